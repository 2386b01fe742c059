"""The active model: what a monitor judges once a RetrainingJob promoted a model. Pure.

A promotion (a RetrainingJob that rolled its model out: phase Succeeded with a rollout) makes
that model the monitor's ``status.activeModel``: its version, artefact, reference data (from the
training result) and baseline (its validation metrics over the spec's baseline metrics). The
model judged before it goes first into ``status.previousModels`` (newest first, at most
:data:`MAX_PREVIOUS`), which undo reads. Checks then use the active model's reference and
baseline where it has them, the spec's otherwise. The spec itself is never written, so GitOps
tools see no drift.

The rule between the spec and the active model: the active model records a digest of the spec
fields it stands in for (``spec.model.version``, ``spec.reference``, ``spec.performance.baseline``)
as they were at its promotion. While they are unchanged, the active model wins (condition
``ActiveModel`` True, reason ``Promoted``); once a person changes any of them (a commit in git
after the promotion), the spec wins (``ActiveModel`` False, reason ``SpecOverrides``) until the
next promotion. Other spec changes (thresholds, schedule, alerts) leave the active model in force.

On promotion, firing alerts that judged the old model (what its checks found: drift, performance,
data quality, all relative to its reference or baseline) resolve, planned and notified by the alert
policy (:func:`modelmon.policies.alert_updates.plan_update`); the trigger's sample count starts
again, and its cooldown runs from the promotion (:mod:`modelmon.policies.retraining_triggers`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from modelmon.api.monitor import ModelMonitorSpec
from modelmon.api.performance import PerformanceSpec
from modelmon.api.retraining import RestoreSpec, RetrainingJobStatus
from modelmon.api.status import ActiveModel
from modelmon.conditions import ConditionType, MonitorReason, RetrainingPhase
from modelmon.policies import conditions as cond

#: Models kept in ``status.previousModels`` (the CRD's bound).
MAX_PREVIOUS = 5


def spec_digest(spec: Mapping[str, Any]) -> str:
    """Digest of the spec fields an active model stands in for (the module docstring's rule).

    Worked example: two specs that differ only in ``drift.thresholds`` have the same digest; one
    with ``model.version`` 1.4.0 and one with 1.5.0 do not.
    """
    model = spec.get("model") or {}
    performance = spec.get("performance") or {}
    judged = {
        "version": model.get("version"),
        "reference": spec.get("reference"),
        "baseline": performance.get("baseline") if isinstance(performance, Mapping) else None,
    }
    text = json.dumps(judged, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse(status: Mapping[str, Any] | None) -> tuple[ActiveModel | None, list[ActiveModel]]:
    """``status.activeModel`` and ``status.previousModels``, typed (a damaged entry reads as absent)."""
    raw = status or {}
    try:
        active = ActiveModel.model_validate(raw["activeModel"]) if raw.get("activeModel") else None
    except pydantic.ValidationError:
        active = None
    previous = []
    for entry in raw.get("previousModels") or []:
        try:
            previous.append(ActiveModel.model_validate(entry))
        except pydantic.ValidationError:
            continue
    return active, previous


def in_force(spec: Mapping[str, Any], status: Mapping[str, Any] | None) -> ActiveModel | None:
    """The active model when it wins over the spec (the rule above), else None."""
    active, _ = parse(status)
    return _wins(spec, active)


def _wins(spec: Mapping[str, Any], active: ActiveModel | None) -> ActiveModel | None:
    """``active`` when it wins over ``spec`` (the rule above), else None."""
    if active is None or active.spec_digest != spec_digest(spec):
        return None
    return active


def _present(active: ActiveModel | None) -> ActiveModel | None:
    """An ``activeModel`` stored empty (``{}``) is none, as :func:`parse` reads it."""
    return active if active is not None and active.model_fields_set else None


def judged_version(spec: Mapping[str, Any], status: Mapping[str, Any] | None) -> str | None:
    """The version the monitor judges: the active model's, or ``spec.model.version``."""
    active = in_force(spec, status)
    if active is not None:
        return active.version
    return (spec.get("model") or {}).get("version")


def judged_baseline(spec: Mapping[str, Any], status: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The performance baseline the monitor judges with: the spec's, overlaid by the active model's."""
    performance = spec.get("performance")
    baseline = performance.get("baseline") if isinstance(performance, Mapping) else None
    if not isinstance(baseline, Mapping):
        return None
    active = in_force(spec, status)
    return {**baseline, **(active.baseline if active else {})}


def judged_spec(
    spec: ModelMonitorSpec, *, raw_spec: Mapping[str, Any], status: Mapping[str, Any] | None
) -> ModelMonitorSpec:
    """The spec a check runs with: the active model's version, reference and baseline where it has them."""
    active = in_force(raw_spec, status)
    if active is None:
        return spec
    update: dict[str, Any] = {"model": spec.model.model_copy(update={"version": active.version})}
    if active.reference is not None:
        update["reference"] = active.reference
    if spec.performance is not None and active.baseline:
        baseline: dict[str, float] = {str(k): v for k, v in spec.performance.baseline.items()}
        baseline.update(active.baseline)
        update["performance"] = spec.performance.model_copy(update={"baseline": baseline})
    return spec.model_copy(update=update)


def promoted_at(status: Mapping[str, Any] | None) -> str | None:
    """When the active model was promoted (the retraining cooldown runs from here too)."""
    active, _ = parse(status)
    return active.promoted_at if active else None


def _baseline(spec: Mapping[str, Any], metrics: Mapping[str, float]) -> tuple[dict[str, float], str]:
    """The new model's baseline: its validation metrics for the metrics the spec has a baseline for,
    kept only if the performance spec stays valid with them (a result in percent would not)."""
    performance = spec.get("performance")
    if not isinstance(performance, Mapping) or not isinstance(performance.get("baseline"), Mapping):
        return {}, ""
    taken = {name: float(value) for name, value in metrics.items() if name in performance["baseline"]}
    if not taken:
        return {}, "; its result reports none of the baseline's metrics, so the spec's baseline stays"
    try:
        PerformanceSpec.model_validate({**performance, "baseline": {**performance["baseline"], **taken}})
    except pydantic.ValidationError as error:
        return {}, f"; its metrics cannot be a baseline ({error.errors()[0]['msg']}), so the spec's baseline stays"
    return taken, ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Promotion:
    status: dict[str, Any]
    """The monitor's status patch (a merge patch)."""
    message: str
    """The ActiveModel condition's message, also the Event's."""


def plan_promotion(
    *,
    retraining_job: str,
    rtj_status: RetrainingJobStatus,
    restore: RestoreSpec | None,
    spec: Mapping[str, Any],
    active: ActiveModel | None,
    previous: Sequence[ActiveModel],
    conditions: Sequence[dict[str, Any]] | None,
    generation: int | None,
    now: str,
) -> Promotion | None:
    """The monitor's status once RetrainingJob ``retraining_job`` promoted its model; None when it did not
    promote one (not Succeeded, no rollout, or no model) or the monitor already records it.

    The monitor as its status was read (by the caller, once): its ``activeModel`` and ``previousModels``,
    its ``conditions`` as stored, and ``metadata.generation``; ``spec`` as written (its digest is taken)."""
    model = rtj_status.model
    if rtj_status.phase != RetrainingPhase.SUCCEEDED or rtj_status.rollout is None or model is None:
        return None
    active = _present(active)
    if active is not None and active.retraining_job == retraining_job:
        return None
    if restore is not None:
        baseline, note = dict(restore.baseline), ""
    else:
        baseline, note = _baseline(spec, model.metrics)
    judged = _wins(spec, active) or ActiveModel(version=(spec.get("model") or {}).get("version"))
    new = ActiveModel(
        version=model.version,
        uri=model.uri,
        sha256=model.sha256,
        reference=model.reference,
        baseline=baseline,
        promoted_at=now,
        retraining_job=retraining_job,
        spec_digest=spec_digest(spec),
    )
    kept = [judged] + [p for p in previous if not _same(p, new) and not _same(p, judged)]
    source = "its own reference data" if model.reference is not None else "spec.reference (its result named none)"
    message = (
        f"checks judge model {model.version}, promoted by RetrainingJob {retraining_job} at {now}, against "
        f"{source} and " + ("its validation metrics as baseline" if baseline else "the spec's baseline") + note
    )
    patch: dict[str, Any] = {
        # the stored one's every field is in the model's dump, so each one it loses is sent as null
        "activeModel": replacing(_dump(active) if active is not None else None, _dump(new)),
        "previousModels": [_dump(p, compact=True) for p in kept[:MAX_PREVIOUS]],
        "retraining": {"samplesSinceLast": 0},
        "conditions": cond.merge_conditions(conditions, [_condition(True, message, generation)], now=now),
    }
    return Promotion(status=patch, message=message)


def plan_condition(
    *,
    spec: Mapping[str, Any],
    active: ActiveModel | None,
    conditions: Sequence[dict[str, Any]] | None,
    generation: int | None,
    now: str,
) -> list[dict[str, Any]] | None:
    """The monitor's conditions with ``ActiveModel`` told from its spec and its active model (the status
    parsed by the caller; ``conditions`` as they will be stored); None when unchanged (or there is no
    active model)."""
    active = _present(active)
    if active is None:
        return None
    if _wins(spec, active) is not None:
        wanted = _condition(
            True,
            f"checks judge model {active.version}, promoted by RetrainingJob "
            f"{active.retraining_job} at {active.promoted_at}",
            generation,
        )
    else:
        wanted = _condition(
            False,
            f"spec.model.version, spec.reference or spec.performance.baseline changed after "
            f"model {active.version} was promoted at {active.promoted_at}: checks judge the "
            f"spec's until the next promotion",
            generation,
        )
    held = cond.find(conditions, ConditionType.ACTIVE_MODEL.value)
    if held is not None and all(held.get(k) == wanted[k] for k in ("status", "reason")):
        return None
    return cond.merge_conditions(conditions, [wanted], now=now)


def _condition(wins: bool, message: str, generation: int | None) -> dict[str, Any]:
    reason = MonitorReason.PROMOTED if wins else MonitorReason.SPEC_OVERRIDES
    return cond.condition(
        type=ConditionType.ACTIVE_MODEL.value,
        status=wins,
        reason=reason.value,
        message=message[:1024],
        generation=generation,
    )


def _same(a: ActiveModel, b: ActiveModel) -> bool:
    return (a.version, a.uri) == (b.version, b.uri)


def _dump(model: ActiveModel, *, compact: bool = False) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=compact, mode="json")


def replacing(old: Any, new: Any) -> Any:
    """A merge patch that makes ``old`` equal ``new``: keys that go are sent as null, nested maps too
    (a plain merge would keep an old reference's ``format`` or an old baseline's metric)."""
    if not isinstance(new, Mapping):
        return new
    before = old if isinstance(old, Mapping) else {}
    patch = {key: None for key in before if key not in new}
    for key, value in new.items():
        patch[key] = replacing(before.get(key), value) if isinstance(value, Mapping) else value
    return patch
