"""The monitor side of retraining plans on typed status what it planned on dicts (#16).

``golden_retraining_monitor.json.gz`` holds every distinct call of the dict-based planners of
4c7a0af, inputs and outputs: the monitor's view of a RetrainingJob (retraining_job.monitor_view),
the promotion and the ActiveModel condition (active_model.plan_promotion, plan_condition), the
triggers' plan and memory (retraining_triggers.plan_monitor, changed_fields, started) and undo
(undo.plan_undo), as called by tests/unit/policies, rollout, cli, tests/emulation and by the
operator in tests/integration/test_retraining.py, test_day_two.py and test_rollout.py (there,
statuses as the API server returned them). Monitor bodies are trimmed to what the planners read
(spec, status, metadata.generation). Each call is replayed through the path the controller takes
and must give the recorded output, value for value: the RetrainingJob's status parsed into
RetrainingJobStatus, the monitor's status.retraining into MonitorRetrainingStatus (read_memory), its
models for a promotion by read_models and for the ActiveModel condition by read_monitor. The triggers'
lastCheck (handed over as stored) and undo's status are still dicts, and replay as recorded.
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import json
import pathlib
from typing import Any

import pydantic
import pytest

from modelmon.api.retraining import MonitorRetrainingStatus, RestoreSpec, RetrainingJobStatus, RetrainingSpec
from modelmon.policies import active_model, retraining_job, retraining_triggers, undo
from modelmon.controller.retraining import read_models
from modelmon.policies.monitor_state import read_monitor

GOLDEN = json.loads(gzip.decompress((pathlib.Path(__file__).parent / "golden_retraining_monitor.json.gz").read_bytes()))
_MODELS = {"RestoreSpec": RestoreSpec, "RetrainingSpec": RetrainingSpec}


def _decode(value: Any) -> Any:
    """The recorded argument back as the planner took it: models and datetimes were tagged."""
    if isinstance(value, dict) and "__model__" in value:
        return _MODELS[value["__model__"]].model_validate(value["raw"])
    if isinstance(value, dict) and "__dt__" in value:
        return datetime.datetime.fromisoformat(value["__dt__"])
    return value


def _encode(value: Any) -> Any:
    """An output as it was recorded: dataclasses as dicts of their fields, tuples as lists, models by alias."""
    if isinstance(value, pydantic.BaseModel):
        return {
            "__model__": type(value).__name__,
            "raw": value.model_dump(by_alias=True, exclude_unset=True, mode="json"),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _plan(raw: dict[str, Any]) -> retraining_triggers.MonitorPlan:
    decision = {k: tuple(v) if isinstance(v, list) else v for k, v in raw["decision"].items()}
    return retraining_triggers.MonitorPlan(
        decision=retraining_triggers.TriggerDecision(**decision), memory=raw["memory"]
    )


def _stored_rollout(status: dict[str, Any]) -> dict[str, Any]:
    """test_active_model's statuses stood a rollout in with ``{"phase": "Succeeded"}``, which no rollout
    controller writes and the status model refuses; the dict planner read only whether there was one, so
    such a rollout is completed with the fields the rollout controller always stores (the operator's
    recordings carry full ones and are replayed as they are)."""
    rollout = status.get("rollout")
    if not isinstance(rollout, dict) or "strategy" in rollout:
        return status
    started = {"startedAt": "t", "stepStartedAt": "t", "progressAt": "t"}
    return {**status, "rollout": {"strategy": "canary", **started, **rollout}}


def _memory(raw: dict[str, Any] | None) -> MonitorRetrainingStatus | None:
    """test_retraining_monitor_plan stood a remembered active RetrainingJob in with its name alone, which
    the mirror never writes (it writes the phase with it) and the model refuses; changed_fields compared
    it with None only, so it is completed with a phase."""
    if raw is not None and isinstance(raw.get("active"), dict) and "phase" not in raw["active"]:
        raw = {**raw, "active": {**raw["active"], "phase": "Training"}}
    return MonitorRetrainingStatus.model_validate(raw) if raw is not None else None


def _replay(call: str, args: dict[str, Any]) -> Any:
    kwargs = {k: _decode(v) for k, v in args.items()}
    if call == "monitor_view":  # the controller parses both statuses once and hands the typed values on
        memory = kwargs["monitor_retraining"]
        kwargs.update(
            status=RetrainingJobStatus.model_validate(kwargs["status"]),
            monitor_retraining=MonitorRetrainingStatus.model_validate(memory) if memory is not None else None,
        )
        return retraining_job.monitor_view(**kwargs)
    if call == "plan_promotion":  # both statuses read once, as the controller reads them
        body = kwargs.pop("monitor")
        models, _ = read_models(body)
        assert models is not None
        return active_model.plan_promotion(
            rtj_status=RetrainingJobStatus.model_validate(_stored_rollout(kwargs.pop("rtj_status"))),
            spec=body.get("spec") or {},
            active=models.active_model,
            previous=models.previous_models,
            conditions=body["status"].get("conditions"),
            generation=body.get("metadata", {}).get("generation"),
            **kwargs,
        )
    if call == "plan_condition":  # on the monitor's status as the controller reads it once per event
        body = kwargs.pop("monitor")
        state = read_monitor(body)
        return active_model.plan_condition(
            spec=body.get("spec") or {},
            active=state.status.active_model,
            conditions=state.stored.get("conditions"),
            generation=state.generation,
            **kwargs,
        )
    if call == "plan_monitor":  # the controller reads status.retraining and the active model once
        status = kwargs.pop("status")
        models, _ = read_models({"status": status})
        assert models is not None
        return retraining_triggers.plan_monitor(
            memory=_memory(status.get("retraining")),
            last_check=status.get("lastCheck"),
            promoted_at=models.active_model.promoted_at if models.active_model is not None else None,
            **kwargs,
        )
    if call == "changed_fields":
        return retraining_triggers.changed_fields(_memory(kwargs["memory"]), kwargs["update"])
    if call == "started":
        return retraining_triggers.started(_plan(kwargs.pop("plan")), **kwargs)
    assert call == "plan_undo"
    return undo.plan_undo(**kwargs)


def test_the_recording_covers_each_planner_and_its_outcomes():
    calls = {c["call"] for c in GOLDEN}
    assert calls == {
        "monitor_view",
        "plan_promotion",
        "plan_condition",
        "plan_monitor",
        "changed_fields",
        "started",
        "plan_undo",
    }
    promotions = [c["result"] for c in GOLDEN if c["call"] == "plan_promotion"]
    assert None in promotions and any(p is not None for p in promotions)
    views = [c["result"] for c in GOLDEN if c["call"] == "monitor_view"]
    assert {} in views and any("active" in v for v in views) and any("last" in v for v in views)
    assert any(c["result"]["decision"]["create"] for c in GOLDEN if c["call"] == "plan_monitor")
    assert any(c["result"]["create"] for c in GOLDEN if c["call"] == "plan_undo")


@pytest.mark.parametrize("index", range(len(GOLDEN)))
def test_a_recorded_call_is_planned_the_same(index):
    recorded = GOLDEN[index]
    planned = _encode(_replay(recorded["call"], recorded["args"]))
    assert planned == recorded["result"]
    assert json.dumps(planned, sort_keys=True) == json.dumps(recorded["result"], sort_keys=True)
