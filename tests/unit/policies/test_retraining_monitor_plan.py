"""One evaluation of a monitor's triggers (what controller/retraining.evaluate_triggers applies):
the decision, the monitor's retraining memory it writes, and what a start adds."""

from __future__ import annotations

import datetime

from modelmon.api.retraining import MonitorRetrainingStatus, RetrainingSpec
from modelmon.policies import retraining_triggers as policy

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
TEMPLATE = {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "t", "image": "trainer:1"}]}}}}}
SPEC = RetrainingSpec.model_validate({"enabled": True, "template": TEMPLATE, "minNewSamples": 0})
CHECK = {"time": "2026-03-10T11:00:00Z", "currentRows": 500, "dataset": {"drifted": True}}


def plan(status, *, spec=SPEC, active=(), annotations=None):
    """plan_monitor as the controller calls it: status.retraining parsed once into its model."""
    memory = MonitorRetrainingStatus.model_validate(status["retraining"]) if "retraining" in status else None
    return policy.plan_monitor(
        spec=spec,
        memory=memory,
        last_check=status.get("lastCheck"),
        promoted_at=None,
        annotations=annotations or {},
        active=list(active),
        created=CREATED,
        now=NOW,
    )


def held(memory: dict) -> MonitorRetrainingStatus:
    return MonitorRetrainingStatus.model_validate(memory)


def test_a_critical_drift_decides_a_start_and_counts_the_check_once():
    planned = plan({"lastCheck": CHECK})
    assert (planned.decision.create, planned.decision.reason, planned.decision.priority) == (True, "drift", "high")
    assert planned.memory == {
        "samplesSinceLast": 500,
        "lastCountedCheck": "2026-03-10T11:00:00Z",
        "decision": "critical drift in the last check",
    }
    again = plan({"lastCheck": CHECK, "retraining": planned.memory})
    assert again.memory["samplesSinceLast"] == 500  # the same check is not counted twice


def test_a_start_resets_the_samples_and_names_the_retrainingjob():
    planned = plan({"lastCheck": CHECK})
    memory = policy.started(planned, name="credit-retrain-ab12", now=NOW)
    assert memory == {
        "samplesSinceLast": 0,
        "lastCountedCheck": "2026-03-10T11:00:00Z",
        "lastStartedAt": "2026-03-10T12:00:00Z",
        "decision": "started RetrainingJob credit-retrain-ab12: critical drift in the last check",
    }


def test_a_remembered_active_retrainingjob_that_is_gone_is_forgotten():
    memory = {"active": {"name": "credit-retrain-old", "phase": "Training"}}
    assert plan({"retraining": memory}, active=[]).memory["active"] is None
    assert "active" not in plan({"retraining": memory}, active=["credit-retrain-old"]).memory


def test_the_schedule_slot_served_is_remembered():
    spec = RetrainingSpec.model_validate(
        {"enabled": True, "template": TEMPLATE, "minNewSamples": 0, "triggers": {"schedule": "0 6 * * *"}}
    )
    planned = plan({}, spec=spec)
    assert planned.decision.create and planned.decision.reason == "schedule"
    assert planned.memory["lastScheduleTime"] == "2026-03-10T06:00:00Z"


def test_only_changed_fields_are_written():
    stored = {"samplesSinceLast": 500, "lastCountedCheck": "2026-03-10T11:00:00Z", "decision": "same"}
    update = {"samplesSinceLast": 500, "lastCountedCheck": "2026-03-10T11:00:00Z", "decision": "new", "active": None}
    assert policy.changed_fields(held(stored), update) == {
        "decision": "new"
    }  # absent and None: the same to a merge patch
    assert policy.changed_fields(held(stored), stored) == {}
    assert policy.changed_fields(held({"active": {"name": "gone", "phase": "Training"}}), {"active": None}) == {
        "active": None
    }
