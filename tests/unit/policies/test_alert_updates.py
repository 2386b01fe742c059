"""A monitor's alert update at one event (what the ModelMonitor handler stores, then tells):
new checks, lifecycle changes and acknowledgements, each planned once."""

from __future__ import annotations

from modelmon.api.retraining import MonitorRetrainingStatus
from modelmon.api.status import ModelMonitorStatus
from modelmon.policies import alert_updates
from modelmon.policies.alert_state import ACK_ANNOTATION
from modelmon.policies.alerts import Policy, alert_id
from modelmon.policies.monitor_state import read_monitor
from modelmon.timestamps import to_epoch

T0 = to_epoch("2026-11-23T10:00:00Z")
CHECK = {
    "time": "2026-11-23T09:59:00Z",
    "durationSeconds": 1.0,
    "dataset": {"drifted": True, "message": "1 of 2 features drifted", "driftedFeatures": 1, "judgedFeatures": 2},
    "features": [
        {
            "name": "income",
            "kind": "numeric",
            "status": "judged",
            "drifted": True,
            "method": "wasserstein",
            "score": 0.6,
            "severity": "critical",
            "severityScore": 85,
        }
    ],
}
DATASET, INCOME = alert_id("drift", "dataset"), alert_id("drift", "income")


def body(ack: str | None = None) -> dict:
    annotations = {ACK_ANNOTATION: ack} if ack is not None else {}
    return {"metadata": {"name": "credit", "namespace": "ml", "annotations": annotations}}


def plan(status, *, new_check=False, ack=None, now=T0):
    return alert_updates.plan_update(
        read_monitor(body(ack)),
        status=ModelMonitorStatus.model_validate(status),
        new_check=new_check,
        policy=Policy(),
        now=now,
    )


def stored(status, update):
    return {**status, **update.status}


def test_a_new_check_fires_its_alerts_and_the_same_event_again_changes_nothing():
    status = {"lastCheck": CHECK}
    update = plan(status, new_check=True)
    assert update is not None
    assert sorted(update.status) == ["alertLifecycleSeen", "alertNotifications", "alerts", "consumedAcks"]
    assert {(c.change, c.alert.subject) for c in update.changes} == {("firing", "dataset"), ("firing", "income")}
    assert {n.alert.id for n in update.notifications} == {DATASET, INCOME}
    assert plan(stored(status, update)) is None  # nothing new: no write, no Event, no notification


def test_the_check_is_judged_only_when_the_event_brings_a_new_one():
    status = {"lastCheck": CHECK, "alertLifecycleSeen": alert_updates.lifecycle_signature(None)}
    assert plan(status, new_check=False) is None


def test_an_acknowledgement_is_stored_once_and_told_once():
    fired = stored({"lastCheck": CHECK}, plan({"lastCheck": CHECK}, new_check=True))
    acked = plan(fired, ack=INCOME, now=T0 + 60)
    assert acked is not None
    assert [(c.change, c.alert.subject) for c in acked.changes] == [("acknowledged", "income")]
    assert {a["id"]: a.get("acknowledged", False) for a in acked.status["alerts"]} == {DATASET: False, INCOME: True}
    assert not acked.notifications
    assert plan(stored(fired, acked), ack=INCOME, now=T0 + 120) is None


def test_a_lifecycle_change_raises_its_alert_once():
    retraining = {"active": {"name": "credit-retrain-1", "phase": "Training", "reason": "drift"}}
    status = {"retraining": retraining}
    update = plan(status)
    assert update is not None
    assert update.status["alertLifecycleSeen"] == alert_updates.lifecycle_signature(
        MonitorRetrainingStatus.model_validate(retraining)
    )
    assert [(c.change, c.alert.type, c.alert.subject) for c in update.changes] == [
        ("firing", "retraining", "credit-retrain-1/active")
    ]
    assert plan(stored(status, update), now=T0 + 60) is None


def test_events_tell_each_change_with_its_severity():
    update = plan({"lastCheck": CHECK}, new_check=True)
    told = sorted(alert_updates.event_for(change) for change in update.changes)
    assert told[0][:2] == ("Warning", "AlertFiring")
    assert told[0][2].startswith("[critical] drift/dataset (id ")
