"""Alert state in status: round trip, scoped planning, Events' state changes, acknowledgement."""

from modelmon.policies.alert_state import (acknowledge, active_counts, alert_from_status, alert_to_status,
                                           cleaned_annotation, effective_acks, parse_acks, plan_step)
from modelmon.api.retraining import MonitorRetrainingStatus
from modelmon.api.status import AlertStatus, LastCheck, ModelMonitorStatus
from modelmon.timestamps import to_epoch
from modelmon.policies.alerts import Observation, Policy, alert_id
from modelmon.policies.observations import check_observations
from modelmon.policies.observations import lifecycle_observations as observations_of

T0 = to_epoch("2026-11-23T10:00:00Z")
DRIFT = Observation(type="drift", subject="income", severity="warning", message="income drifted")
RETRAIN = Observation(type="retraining", subject="rtj-1/active", severity="info", message="running")


def step(status, observations, *, now, scope="check", ack=None, policy=Policy()):
    return plan_step(status=ModelMonitorStatus.model_validate(status), observations=observations, scope=scope,
                     ack_annotation=ack, now=now, policy=policy)


def acknowledged(status, ack):
    return acknowledge(status=ModelMonitorStatus.model_validate(status), ack_annotation=ack)


def checked(last_check):
    return LastCheck.model_validate({"time": "2026-11-23T10:00:00Z", "durationSeconds": 1.0, **last_check})


def feature(name, *, drifted, severity, **found):
    return {"name": name, "kind": "numeric", "status": "judged", "drifted": drifted, "severity": severity,
            "severityScore": 0, **found}


def metric(name, window, severity, **found):
    return {"metric": name, "window": window, "samples": 50, "baseline": 0.9, "severity": severity, **found}


def test_status_round_trip_keeps_every_field():
    first = step({}, [DRIFT], now=T0)
    (raw,) = first.status["alerts"]
    assert raw["firstSeen"] == "2026-11-23T10:00:00Z" and raw["state"] == "firing" and raw["count"] == 1
    assert alert_to_status(alert_from_status(AlertStatus.model_validate(raw))).model_dump(
        by_alias=True, exclude_none=True, mode="json") == raw
    assert first.status["alertNotifications"] == ["2026-11-23T10:00:00Z"]


def test_a_lifecycle_step_leaves_check_alerts_untouched():
    checked = step({}, [DRIFT], now=T0)
    lifecycle = step(checked.status, [RETRAIN], now=T0 + 60, scope="lifecycle")
    by_type = {a["type"]: a for a in lifecycle.status["alerts"]}
    assert by_type["drift"] == checked.status["alerts"][0]  # not resolved, not counted again
    assert by_type["retraining"]["state"] == "firing"
    assert [c.change for c in lifecycle.changes] == ["firing"]
    # The notification history is shared, so the per-monitor rate limit spans both scopes.
    assert len(lifecycle.status["alertNotifications"]) == 2


def test_state_changes_name_every_transition_for_events():
    fired = step({}, [DRIFT], now=T0)
    assert [(c.change, c.alert.subject) for c in fired.changes] == [("firing", "income")]
    same = step(fired.status, [DRIFT], now=T0 + 60, policy=Policy(escalate_after=5))
    assert same.changes == []
    worse = step(same.status, [Observation(type="drift", subject="income", severity="critical", message="m")],
                 now=T0 + 120)
    assert [c.change for c in worse.changes] == ["escalated"]
    better = step(worse.status, [DRIFT], now=T0 + 180, policy=Policy(escalate_after=99))
    assert [c.change for c in better.changes] == ["deescalated"]
    gone = step(better.status, [], now=T0 + 240)
    assert [c.change for c in gone.changes] == ["resolved"] and gone.status["alerts"][0]["state"] == "resolved"


def test_acknowledgement_applies_at_once_and_is_consumed_by_escalation_and_resolution():
    fired = step({}, [DRIFT], now=T0)
    ident = alert_id("drift", "income")
    alerts, changes = acknowledged(fired.status, f"{ident}, other")
    assert alerts[0].acknowledged and [c.change for c in changes] == ["acknowledged"]
    acked = {**fired.status, "alerts": alerts}
    again, changes = acknowledged(acked, ident)
    assert changes == []  # idempotent: no second Event
    quiet = step(acked, [DRIFT], now=T0 + 6 * 3600, ack=ident, policy=Policy(escalate_after=99))
    assert quiet.notifications == [] and quiet.consumed == []
    worse = step(quiet.status, [Observation(type="drift", subject="income", severity="critical", message="m")],
                 now=T0 + 7 * 3600, ack=f"{ident},other")
    assert [n.action for n in worse.notifications] == ["escalated"]
    assert worse.consumed == [ident] and worse.status["consumedAcks"] == [ident]
    assert not worse.status["alerts"][0]["acknowledged"]
    # While the consumed id is still in the annotation it does not count ...
    assert effective_acks(worse.consumed_acks, f"{ident},other") == ["other"]
    _, changes = acknowledged(worse.status, ident)
    assert changes == []
    later = step(worse.status, [Observation(type="drift", subject="income", severity="critical", message="m")],
                 now=T0 + 20 * 3600, ack=ident)
    assert [n.action for n in later.notifications] == ["repeat"]  # the cooldown passed: it pages again
    # ... and the operator strips it from the annotation.
    assert cleaned_annotation(worse.consumed_acks, f"{ident},other") == "other"
    assert cleaned_annotation(worse.consumed_acks, ident) == ""
    assert cleaned_annotation(worse.consumed_acks, "other") is None
    resolved = step({**fired.status, "alerts": alerts}, [], now=T0 + 60, ack=ident)
    assert resolved.consumed == [ident]


def test_bounded_status_drops_the_oldest_resolved_first():
    policy = Policy(max_alerts=3, escalate_after=99)
    status = step({}, [Observation(type="drift", subject=f"f{i}", severity="warning", message="m")
                       for i in range(3)], now=T0, policy=policy).status
    status = step(status, [Observation(type="drift", subject="f2", severity="warning", message="m")],
                  now=T0 + 60, policy=policy).status  # f0, f1 resolved
    status = step(status, [Observation(type="drift", subject=s, severity="warning", message="m")
                           for s in ("f2", "f3")], now=T0 + 120, policy=policy).status
    subjects = {a["subject"]: a["state"] for a in status["alerts"]}
    assert len(subjects) == 3 and subjects["f2"] == subjects["f3"] == "firing"
    assert active_counts(status["alerts"]) == {"info": 0, "warning": 2, "critical": 0}


def test_parse_acks_ignores_blanks():
    assert parse_acks(" a, ,b,") == ["a", "b"] and parse_acks(None) == []


def test_check_observations_map_every_finding():
    last_check = checked({
        "dataset": {"drifted": True, "message": "7 of 9 drifted", "driftedFeatures": 7, "judgedFeatures": 9},
        "features": [
            feature("income", drifted=True, severity="critical", method="wasserstein", score=0.6, severityScore=85),
            feature("age", drifted=True, severity="moderate", method="ks", score=0.01, severityScore=40),
            feature("debt", drifted=False, severity="stable"),
        ],
        "qualityIssues": [{"column": "region", "check": "unseenCategories", "severity": "critical", "message": "x"}],
        "performance": {"task": "classification", "labelled": 50, "unlabelled": 0, "severity": "critical", "metrics": [
            metric("accuracy", "last 50", "critical", recommendation="retrain"),
            metric("f1", "last 50", "ok"),
            metric("f1", "last 100", "unknown"),
        ]},
    })
    found = {(o.type, o.subject): o.severity for o in check_observations(last_check)}
    assert found == {("drift", "dataset"): "critical", ("drift", "income"): "critical", ("drift", "age"): "warning",
                     ("dataQuality", "region/unseenCategories"): "critical",
                     ("performance", "accuracy/last 50"): "critical"}


def test_unreadable_data_is_one_warning_and_nothing_else():
    (only,) = check_observations(checked({"error": "403 Forbidden",
                                          "features": [feature("x", drifted=True, severity="critical")]}))
    assert (only.type, only.severity) == ("dataUnavailable", "warning") and "403" in only.message


def test_lifecycle_observations_follow_the_retraining_status():
    def lifecycle_observations(retraining):
        parsed = None if retraining is None else MonitorRetrainingStatus.model_validate(retraining)
        return observations_of(parsed)

    assert lifecycle_observations(None) == []
    running = lifecycle_observations({"active": {"name": "r1", "phase": "Training", "reason": "drift"}})
    assert [(o.type, o.severity) for o in running] == [("retraining", "info")]
    rolling = lifecycle_observations({"active": {"name": "r1", "phase": "RollingOut"}})
    assert [o.type for o in rolling] == ["rollout"]
    failed = lifecycle_observations({"last": {"name": "r1", "phase": "Failed", "message": "exit code 1"}})
    assert [(o.type, o.severity) for o in failed] == [("retraining", "warning")] and "exit code 1" in failed[0].message
    rolled = lifecycle_observations({"last": {"name": "r1", "phase": "RolledBack"}})
    assert [(o.type, o.severity) for o in rolled] == [("rollout", "warning")]
    model = {"uri": "s3://models/r1", "version": "v3", "sha256": "0" * 64}
    done = lifecycle_observations({"last": {"name": "r1", "phase": "Succeeded", "model": model}})
    assert [(o.severity, o.subject) for o in done] == [("info", "r1/succeeded")] and "v3" in done[0].message
