"""When a monitor's model is retrained: the trigger policy, pure.

Inputs are the monitor's ``spec.retraining``, its status (what the last check found, the
retraining memory in ``status.retraining``), its annotations, the RetrainingJobs of the
monitor still active, and the clock; the output is whether to start a RetrainingJob, why,
with what priority, and under which key (the key makes the RetrainingJob's name, so a
decision repeated after a crash names the same object and cannot start a second one).

The rules, in order:

1. Nothing starts while retraining is disabled, or while a RetrainingJob of the monitor is
   active (at most one per monitor). A ``modelmon.io/retrain-now`` annotation waits for the
   active one to finish; with retraining disabled it is dropped with a reason.
2. Manual (the annotation): starts at once; a person asked, so neither the cooldown nor the
   sample minimum applies. Priority high.
3. Performance critical (``lastCheck.performance.severity == "critical"``, priority
   critical) and critical drift (the dataset verdict, ``lastCheck.dataset.drifted``, priority
   high) fire once per check, only for a check newer than the last retraining's start,
   only after the cooldown since that start, and only with at least ``minNewSamples`` rows
   checked since then. A promotion counts as such a start: a check from before it judged the
   old model, and the cooldown runs from it (``status.activeModel.promotedAt``). Health is never read: a data-quality finding (a new column upstream,
   a column all missing) makes health Critical, and pages the data's owner through alerts,
   but retraining the model on data it cannot use fixes nothing. A firing records what fired
   it: the features the check found drifted and the metric windows it judged critical.
4. Schedule: the latest cron time not yet served fires, with priority low, if the sample
   minimum is met; the cooldown does not apply (the schedule is its own cadence: a weekly
   schedule with a 7-day cooldown would otherwise skip every other week by seconds). A
   slot skipped for lack of samples is served all the same, so it never fires late.

Samples: each new check (``lastCheck.time`` not yet counted) adds its ``currentRows``. With a
sliding window (``window.rows``), rows seen by several checks are counted by each: the count
is of rows *checked*, an upper bound of rows *new*.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import croniter

from modelmon import timestamps
from modelmon.api.durations import parse_duration
from modelmon.policies import active_model
from modelmon.api.retraining import (
    RETRAIN_NOW,
    MonitorRetrainingStatus,
    Priority,
    RetrainingSpec,
    TriggerReason,
    TriggerRecord,
)

DEFAULT_PRIORITY: dict[str, Priority] = {"performance": "critical", "drift": "high", "manual": "high",
                                         "schedule": "low"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Samples:
    count: int
    """Rows checked since the last retraining started."""
    last_counted_check: str | None
    """Time of the last check counted."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class TriggerDecision:
    create: bool
    """Whether to start a RetrainingJob now."""
    why: str
    """Which trigger fired, or why none did, in words."""
    reason: TriggerReason | None = None
    priority: Priority | None = None
    key: str | None = None
    """Identifies this firing; the RetrainingJob's name is derived from it."""
    consume_annotation: bool = False
    """Remove the retrain-now annotation (served, or ignored for a stated reason)."""
    schedule_time: str | None = None
    """The cron time served by this evaluation, to remember in status."""
    check_time: str | None = None
    """The check whose findings fired a drift or performance trigger."""
    features: tuple[str, ...] = ()
    """The features that check found drifted (its dataset verdict was drift)."""
    metrics: tuple[str, ...] = ()
    """The performance metric windows it judged critical, as ``metric (window)``."""


def count_samples(retraining: Mapping[str, Any] | None, last_check: Mapping[str, Any] | None) -> Samples:
    """``samplesSinceLast`` with the last check counted once (deduplicated by its time).

    Worked example: 1200 counted up to the check of 10:00; the check of 11:00 with 300 rows
    gives 1500 (up to 11:00); seeing the 11:00 check again gives 1500 still.
    """
    return _count(MonitorRetrainingStatus.model_validate(retraining or {}), last_check)


def _count(memory: MonitorRetrainingStatus, last_check: Mapping[str, Any] | None) -> Samples:
    count, counted = memory.samples_since_last, memory.last_counted_check
    time = (last_check or {}).get("time")
    if time and time != counted and not (last_check or {}).get("error"):
        return Samples(count=count + int((last_check or {}).get("currentRows") or 0), last_counted_check=time)
    return Samples(count=count, last_counted_check=counted)


def plan_trigger(*, spec: RetrainingSpec | None, status: Mapping[str, Any], annotations: Mapping[str, str],
                 active: Sequence[str], samples: int, created: datetime.datetime,
                 now: datetime.datetime) -> TriggerDecision:
    """Whether a RetrainingJob starts now; see the module docstring for the rules."""
    memory = MonitorRetrainingStatus.model_validate(status.get("retraining") or {})
    return _plan(spec=spec, last_check=status.get("lastCheck"), promoted_at=active_model.promoted_at(status),
                 memory=memory, annotations=annotations, active=active, samples=samples, created=created, now=now)


def _plan(*, spec: RetrainingSpec | None, last_check: Mapping[str, Any] | None, promoted_at: str | None,
          memory: MonitorRetrainingStatus, annotations: Mapping[str, str], active: Sequence[str], samples: int,
          created: datetime.datetime, now: datetime.datetime) -> TriggerDecision:
    manual = annotations.get(RETRAIN_NOW)
    if spec is None or not spec.enabled:
        return TriggerDecision(create=False, why="retraining is not enabled (spec.retraining.enabled)",
                               consume_annotation=manual is not None)
    if active:
        return TriggerDecision(create=False, why=f"RetrainingJob {active[0]} is still active (one at a time)")
    generation = memory.last_started_at or "first"
    if manual is not None:
        if not spec.triggers.manual:
            return TriggerDecision(create=False, why=f"{RETRAIN_NOW} ignored: spec.retraining.triggers.manual is false",
                                   consume_annotation=True)
        return _fire(spec, reason="manual", key=f"manual/{manual}/{generation}",
                     why=f"started by {RETRAIN_NOW}" + (f" ({manual})" if manual else ""), consume_annotation=True)
    fired = _decay(spec, last_check=last_check, promoted_at=promoted_at, memory=memory, samples=samples, now=now,
                   generation=generation)
    slot = _schedule_slot(spec, memory=memory, created=created, now=now)
    if fired is not None and fired.create:
        return dataclasses.replace(fired, schedule_time=slot)
    if slot is not None:
        if samples < spec.min_new_samples:
            why = (f"schedule at {slot} skipped: {samples} new samples, fewer than "
                   f"minNewSamples {spec.min_new_samples}")
            return TriggerDecision(create=False, why=why, schedule_time=slot)
        return _fire(spec, reason="schedule", key=f"schedule/{slot}", why=f"schedule ({spec.triggers.schedule}) at {slot}",
                     schedule_time=slot)
    return fired or TriggerDecision(create=False, why="no trigger fired")


def _fire(spec: RetrainingSpec, *, reason: TriggerReason, key: str, why: str, consume_annotation: bool = False,
          schedule_time: str | None = None) -> TriggerDecision:
    priority = (spec.template.priority if spec.template and spec.template.priority else DEFAULT_PRIORITY[reason])
    return TriggerDecision(create=True, why=why, reason=reason, priority=priority, key=key,
                           consume_annotation=consume_annotation, schedule_time=schedule_time)


def _decay(spec: RetrainingSpec, *, last_check: Mapping[str, Any] | None, promoted_at: str | None,
           memory: MonitorRetrainingStatus, samples: int, now: datetime.datetime,
           generation: str) -> TriggerDecision | None:
    """Performance-critical or critical-drift firing for the last check, or why it is held back.

    Reads the dataset verdict and the performance verdict only, never ``status.health``: a
    data-quality finding alone turns health Critical and must not retrain the model.
    """
    last_check = _mapping(last_check)
    performance = _mapping(last_check.get("performance"))
    candidates: list[tuple[TriggerReason, str]] = []
    metrics: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    if spec.triggers.performance_critical and performance.get("severity") == "critical":
        candidates.append(("performance", "performance critical in the last check"))
        metrics = _critical_metrics(performance)
    if spec.triggers.critical_drift and _mapping(last_check.get("dataset")).get("drifted") is True:
        candidates.append(("drift", "critical drift in the last check"))
        features = _drifted_features(last_check)
    if not candidates:
        return None
    reason, what = candidates[0]
    check_time = str(last_check.get("time") or "")
    # A promotion starts a generation too: a check before it judged the old model, and the cooldown
    # runs from whichever came last, the last start or the promotion.
    starts = [t for t in (timestamps.parse_time(memory.last_started_at),
                          timestamps.parse_time(promoted_at)) if t is not None]
    started = max(starts) if starts else None
    checked = timestamps.parse_time(check_time)
    if started is not None and (checked is None or checked <= started):
        return TriggerDecision(create=False, why=f"{what}, but that check is not newer than the last retraining "
                                                 "or promotion")
    if started is not None:
        until = started + datetime.timedelta(seconds=parse_duration(spec.cooldown))
        if now < until:
            return TriggerDecision(create=False, why=f"{what}; cooldown ({spec.cooldown}) until {timestamps.format_time(until)}")
    if samples < spec.min_new_samples:
        return TriggerDecision(create=False, why=f"{what}; {samples} new samples, fewer than minNewSamples "
                                                 f"{spec.min_new_samples}")
    fired = _fire(spec, reason=reason, key=f"{reason}/{check_time}/{generation}", why=what + _naming(features, metrics))
    return dataclasses.replace(fired, check_time=check_time or None, features=features, metrics=metrics)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _drifted_features(last_check: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the features the check found drifted, in its order."""
    found = (_mapping(f) for f in last_check.get("features") or [] if isinstance(f, Mapping))
    return tuple(str(f["name"]) for f in found if f.get("drifted") is True and f.get("name"))


def _critical_metrics(performance: Mapping[str, Any]) -> tuple[str, ...]:
    """The metric windows judged critical, as ``metric (window)``: ``accuracy (last 50)``."""
    entries = performance.get("metrics")
    found = [_mapping(m) for m in entries if isinstance(m, Mapping)] if isinstance(entries, list) else []
    return tuple(f"{m.get('metric')} ({m.get('window')})" for m in found if m.get("severity") == "critical")


def _naming(features: Sequence[str], metrics: Sequence[str], *, shown: int = 5) -> str:
    """``: age, income drifted; accuracy (last 50) critical``, at most ``shown`` names of each."""

    def some(names: Sequence[str]) -> str:
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        return ", ".join(names[:shown]) + more

    parts = ([f"{some(metrics)} critical"] if metrics else []) + ([f"{some(features)} drifted"] if features else [])
    return ": " + "; ".join(parts) if parts else ""


def record(decision: TriggerDecision) -> TriggerRecord:
    """What fired a RetrainingJob, for its ``spec.trigger``: the check, its drifted features and
    critical metrics (for drift and performance), and the decision in words."""
    return TriggerRecord(check_time=decision.check_time, features=list(decision.features),
                         metrics=list(decision.metrics), message=decision.why[:1024])


def _schedule_slot(spec: RetrainingSpec, *, memory: MonitorRetrainingStatus, created: datetime.datetime,
                   now: datetime.datetime) -> str | None:
    """The latest cron time at or before ``now`` not yet served (nor before the monitor existed)."""
    if not spec.triggers.schedule:
        return None
    latest = croniter.croniter(spec.triggers.schedule, now + datetime.timedelta(seconds=1)).get_prev(datetime.datetime)
    served = timestamps.parse_time(memory.last_schedule_time) or created
    return timestamps.format_time(latest) if latest > served else None


@dataclasses.dataclass(frozen=True, kw_only=True)
class MonitorPlan:
    """What one evaluation of a monitor's triggers decides: the trigger decision and the
    monitor's retraining memory (``status.retraining``) as it should be if nothing starts."""

    decision: TriggerDecision
    memory: dict[str, Any]
    """The fields of ``status.retraining`` this evaluation sets (``active: None`` forgets a gone RetrainingJob)."""


def plan_monitor(*, spec: RetrainingSpec | None, memory: MonitorRetrainingStatus | None,
                 last_check: Mapping[str, Any] | None, promoted_at: str | None, annotations: Mapping[str, str],
                 active: Sequence[str], created: datetime.datetime, now: datetime.datetime) -> MonitorPlan:
    """Count the samples, decide, and say what the monitor's memory becomes.

    ``memory``: the monitor's ``status.retraining``, parsed by the caller (None: it has none);
    ``promoted_at``: its active model's promotion time (read by the caller with the model);
    ``last_check``: its ``status.lastCheck`` as stored, read here for a few fields (not yet typed: the
    monitor's planners parse it only while it is unassessed, policies/monitor_state.py, and this runs
    on every evaluation).
    ``active``: names of the monitor's RetrainingJobs still active; a remembered active one
    that is not among them was deleted while nobody watched, and is forgotten.
    """
    memory = memory or MonitorRetrainingStatus()
    samples = _count(memory, last_check)
    decision = _plan(spec=spec, last_check=last_check, promoted_at=promoted_at, memory=memory, annotations=annotations,
                     active=active, samples=samples.count, created=created, now=now)
    update: dict[str, Any] = {"samplesSinceLast": samples.count, "lastCountedCheck": samples.last_counted_check,
                              "decision": decision.why}
    stale = memory.active.name if memory.active else None
    if stale and stale not in active:
        update["active"] = None
    if decision.schedule_time:
        update["lastScheduleTime"] = decision.schedule_time
    return MonitorPlan(decision=decision, memory=update)


def started(plan: MonitorPlan, *, name: str, now: datetime.datetime) -> dict[str, Any]:
    """The memory once the RetrainingJob ``name`` the decision asked for exists: its samples start anew."""
    return {**plan.memory, "samplesSinceLast": 0, "lastStartedAt": timestamps.format_time(now),
            "decision": f"started RetrainingJob {name}: {plan.decision.why}"}


def changed_fields(memory: MonitorRetrainingStatus | None, update: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``update`` that differ from what ``status.retraining`` holds (nothing to write when empty)."""
    # compared as stored: the fields it was read with, not the defaults the model fills in (an absent
    # samplesSinceLast is not 0 to a merge patch, so 0 is written)
    held = memory.model_dump(by_alias=True, exclude_unset=True, exclude_none=True, mode="json") if memory else {}
    return {key: value for key, value in update.items() if held.get(key) != value}
