"""The ModelMonitor's status planners on typed status give what they gave on dicts (#16).

``golden_monitor_status.json.gz`` holds every distinct call of the monitor's planners made with the
dict-based planners of e4b83ac (recorded in a885f0e): monitor_status.plan_event (with the plan's
patch and ``is_first_alert_record``), ready_status, alert_updates.ack_cleanup, check_pods.plan_check_pod
and holds_ready, check_jobs.plan_check_job (with the conditions the controller merged from it), as
tests/unit, tests/emulation and the control-plane tests of the operator, its alerts, stuck check pods,
surfaced failures and day two made them (there, statuses as the API server returned them). Each call is
replayed here through the typed path the controllers now take (the body read once by
monitor_state.read_monitor, the plan made on ModelMonitorStatus, the patch serialised once) and must
give the same patch, value for value, and the same Events, notifications and answers.

Compared as canonical JSON (key order aside, which a merge patch ignores), with two differences
stated, both what the API server does to what it stores (crds/modelmonitors.yaml), so the object
ends the same: a null *inside* a written value (a condition's ``observedGeneration`` when the object
had no generation) is left out by the typed path, as the API server prunes it (nullable is not set);
a null at the top of the patch removes a field and is kept. A condition without ``message`` (only
unit tests' statuses have one) reads as ``message: ""``, the schema's default.

A few unit tests' statuses lack a field the CRD requires (a condition's reason, a check's
durationSeconds): the typed path refuses them, naming the field (controller/monitor_reads.py logs
it and plans nothing), and the test proves the CRD would have refused them too.
"""

from __future__ import annotations

import dataclasses
import enum
import gzip
import json
import pathlib
from typing import Any

import pytest
import yaml

from modelmon.api.alerts import AlertPolicy
from modelmon.conditions import MonitorReason
from modelmon.policies import alert_updates, check_jobs, check_pods, monitor_status
from modelmon.policies.monitor_state import MonitorState, UnreadableStatus, read_monitor

ROOT = pathlib.Path(__file__).resolve().parents[3]
STATUS_SCHEMA = yaml.safe_load((ROOT / "crds" / "modelmonitors.yaml").read_text())["spec"]["versions"][0]["schema"][
    "openAPIV3Schema"
]["properties"]["status"]
GOLDEN = json.loads(gzip.decompress((pathlib.Path(__file__).parent / "golden_monitor_status.json.gz").read_bytes()))
CALLS = GOLDEN["calls"]


def _plain(value: Any) -> Any:
    """A planner's answer as JSON values (dataclasses as dicts, enums as their words)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _pruned(value: Any, *, top: bool = True) -> Any:
    """Nulls below the top level dropped, a condition's message defaulted (the API server's pruning
    and defaulting; see the module's docstring)."""
    if isinstance(value, dict):
        kept = {k: _pruned(v, top=False) for k, v in value.items() if top or v is not None}
        if isinstance(kept.get("conditions"), list):
            kept["conditions"] = [{"message": "", **c} if isinstance(c, dict) else c for c in kept["conditions"]]
        return kept
    if isinstance(value, list):
        return [_pruned(v, top=False) for v in value]
    return value


def _required_by_the_crd(field: str) -> bool:
    """Whether the CRD's schema requires ``field`` (``status.a[0].b`` as UnreadableStatus names it)."""
    schema = STATUS_SCHEMA
    *parents, last = field.removeprefix("status.").replace("[", ".[").split(".")
    for part in parents:
        schema = schema["items"] if part.startswith("[") else schema["properties"][part]
    return last in schema.get("required", [])


def _monitor(body: dict[str, Any]) -> MonitorState | None:
    """The body read as the controllers read it; None for a status the CRD refuses too (proven here)."""
    try:
        return read_monitor(body)
    except UnreadableStatus as error:
        assert _required_by_the_crd(error.field), error
        return None


def _canonical(value: Any) -> str:
    return json.dumps(_pruned(_plain(value)), sort_keys=True)


def _argument(call: dict[str, Any], position: int, name: str) -> Any:
    return call["args"][position] if len(call["args"]) > position else call["kwargs"][name]


def _calls(name: str) -> list[dict[str, Any]]:
    return [c for c in CALLS if c["call"] == name]


def _ids(calls: list[dict[str, Any]]) -> list[str]:
    return [f"{i}-{c['source']}" for i, c in enumerate(calls)]


def _event_plan(plan: monitor_status.EventPlan) -> dict[str, Any]:
    """What the recorded EventPlan held, from the typed one."""
    check = plan.check
    alerts = plan.alerts
    return {
        "check": None if check is None else {"patch": check.patch, "assessment": check.assessment},
        "alerts": None
        if alerts is None
        else {
            "status": alerts.status,
            "changes": alerts.changes,
            "notifications": alerts.notifications,
            "held_back": alerts.held_back,
        },
        "status": plan.status,
    }


def test_the_recording_covers_what_the_planners_decide():
    plans = [c for c in _calls("monitor_status.plan_event") if c["result"] is not None]
    assert len(plans) > 100
    assert any(c["result"]["check"] for c in plans), "a new check assessed"
    # Warning is not among them (test_health judges it directly).
    assert {"Healthy", "Critical", "Unknown"} <= {
        c["result"]["check"]["assessment"]["health"] for c in plans if c["result"]["check"]
    }
    changes = {ch["change"] for c in plans if c["result"]["alerts"] for ch in c["result"]["alerts"]["changes"]}
    assert {"firing", "resolved", "acknowledged"} <= changes  # escalation: test_alert_state
    assert any(c["is_first_alert_record"] for c in plans) and not all(c["is_first_alert_record"] for c in plans)
    assert {"unit", "emu", "int"} <= {c["source"] for c in plans}
    assert any(c["result"] for c in _calls("check_pods.plan_check_pod"))
    assert any(c["result"] for c in _calls("check_jobs.plan_check_job"))
    assert any(c["result"] for c in _calls("check_pods.holds_ready"))
    assert any(c["result"] is not None for c in _calls("alert_updates.ack_cleanup"))


PLAN_EVENTS = _calls("monitor_status.plan_event")


@pytest.mark.parametrize("call", PLAN_EVENTS, ids=_ids(PLAN_EVENTS))
def test_a_recorded_event_is_planned_the_same(call):
    body = _argument(call, 0, "body")
    monitor = _monitor(body)
    if monitor is None:
        return
    policy = AlertPolicy(**call["kwargs"]["policy"])
    plan = monitor_status.plan_event(monitor, policy=policy, now=call["kwargs"]["now"])
    if call["result"] is None:
        assert plan is None
        return
    assert plan is not None
    assert _canonical(plan.patch) == _canonical(call["patch"])
    assert _canonical(_event_plan(plan)) == _canonical(call["result"])
    assert monitor_status.is_first_alert_record(monitor, plan) == call["is_first_alert_record"]


READY = _calls("monitor_status.ready_status")


@pytest.mark.parametrize("call", READY, ids=_ids(READY))
def test_a_recorded_ready_status_is_the_same(call):
    kwargs = {**call["kwargs"], "reason": MonitorReason(call["kwargs"]["reason"])}
    monitor = _monitor(_argument(call, 0, "body"))
    if monitor is None:
        return
    patch = monitor_status.ready_status(monitor, **kwargs)
    assert _canonical(patch) == _canonical(call["result"])


ACKS = _calls("alert_updates.ack_cleanup")


@pytest.mark.parametrize("call", ACKS, ids=_ids(ACKS))
def test_a_recorded_ack_cleanup_is_the_same(call):
    monitor = _monitor(_argument(call, 0, "body"))
    if monitor is not None:
        assert alert_updates.ack_cleanup(monitor) == call["result"]


PODS = _calls("check_pods.plan_check_pod")


@pytest.mark.parametrize("call", PODS, ids=_ids(PODS))
def test_a_recorded_check_pod_verdict_is_the_same(call):
    monitor = _monitor(_argument(call, 0, "monitor"))
    if monitor is None:
        return
    verdict = check_pods.plan_check_pod(monitor, _argument(call, 1, "pod"), now=call["kwargs"]["now"])
    if call["result"] is None:
        assert verdict is None
        return
    assert verdict is not None
    assert _canonical({"status": verdict.status, "event": verdict.event}) == _canonical(call["result"])


HELD = _calls("check_pods.holds_ready")


@pytest.mark.parametrize("call", HELD, ids=_ids(HELD))
def test_a_recorded_held_ready_is_the_same(call):
    monitor = _monitor(_argument(call, 0, "monitor"))
    if monitor is None:
        return
    held = check_pods.holds_ready(monitor)
    told = None if held is None else held.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert _canonical(told) == _canonical(call["result"])


JOBS = _calls("check_jobs.plan_check_job")


@pytest.mark.parametrize("call", JOBS, ids=_ids(JOBS))
def test_a_recorded_check_job_verdict_is_the_same(call):
    status = _argument(call, 1, "status")
    body = {"metadata": {"generation": call["kwargs"]["generation"]}, "status": status}
    now = call.get("merged_now") or "2026-12-02T06:00:00Z"
    monitor = _monitor(body)
    if monitor is None:
        return
    verdict = check_jobs.plan_check_job(_argument(call, 0, "job"), monitor, now=now)
    if call["result"] is None:
        assert verdict is None
        return
    assert verdict is not None
    assert _canonical({"condition": verdict.condition, "event": verdict.event}) == _canonical(call["result"])
    assert _canonical(verdict.status) == _canonical({"conditions": call["merged"]})
