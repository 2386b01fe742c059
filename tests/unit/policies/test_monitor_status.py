"""A ModelMonitor's status, planned (what controller/handlers.py writes once, then tells):
Ready after the children, and what one watch event changes."""

from __future__ import annotations

from modelmon.conditions import MonitorReason
from modelmon.policies import monitor_status
from modelmon.policies.alerts import Policy
from modelmon.policies.monitor_state import read_monitor
from modelmon.timestamps import to_epoch
from support.monitors import drifted_check

NOW = to_epoch("2026-11-23T10:00:00Z")
CHECK = drifted_check("2026-11-23T09:59:00.500Z")  # income drifted (critical), age stable


def body(status=None, generation=2):
    return {"metadata": {"name": "credit", "namespace": "ml", "generation": generation}, "status": status or {}}


def test_ready_after_the_children_names_the_cronjob_and_starts_unknown():
    patch = monitor_status.ready_status(
        read_monitor(body()),
        ok=True,
        reason=MonitorReason.RECONCILED,
        message="children up to date",
        cronjob="credit-check",
        now="2026-11-23T10:00:00Z",
    )
    assert patch["observedGeneration"] == 2 and patch["checkCronJob"] == "credit-check"
    assert patch["health"] == "Unknown"
    (ready,) = patch["conditions"]
    assert (ready["type"], ready["status"], ready["reason"]) == ("Ready", "True", "Reconciled")
    assert ready["lastTransitionTime"] == "2026-11-23T10:00:00Z"


def test_an_invalid_spec_is_not_ready_and_keeps_the_health():
    patch = monitor_status.ready_status(
        read_monitor(body({"health": "Critical"})),
        ok=False,
        reason=MonitorReason.INVALID_SPEC,
        message="bad",
        cronjob="credit-check",
        now="2026-11-23T10:00:00Z",
    )
    assert "checkCronJob" not in patch and "health" not in patch
    assert patch["conditions"][0]["status"] == "False"


def test_a_new_check_is_judged_once_with_its_alerts_in_the_same_patch():
    first = body({"lastCheck": CHECK, "health": "Healthy"})
    plan = monitor_status.plan_event(read_monitor(first), policy=Policy(), now=NOW)
    assert plan is not None and plan.check is not None and plan.alerts is not None
    assert plan.patch["health"] == "Critical" and plan.patch["assessedCheck"] == CHECK["time"]
    assert plan.patch["driftedFeatures"] == 1
    assert {a["subject"] for a in plan.patch["alerts"]} == {"dataset", "income"}
    assert plan.status == {**first["status"], **plan.patch}
    # The same event again, once the patch is stored: nothing to write, nothing to tell.
    assert monitor_status.plan_event(read_monitor(body(plan.status)), policy=Policy(), now=NOW + 1) is None


def test_an_event_without_a_check_changes_nothing():
    assert (
        monitor_status.plan_event(
            read_monitor(body({"health": "Unknown", "alertLifecycleSeen": None})), policy=Policy(), now=NOW
        )
        is not None
    )  # the lifecycle signature is recorded once
    seen = monitor_status.plan_event(read_monitor(body({})), policy=Policy(), now=NOW)
    assert seen is not None and seen.check is None
    assert monitor_status.plan_event(read_monitor(body(seen.status)), policy=Policy(), now=NOW) is None


def test_only_a_new_monitors_first_alert_record_may_go_with_kopfs_patch():
    new = body({})
    first = monitor_status.plan_event(read_monitor(new), policy=Policy(), now=NOW)
    assert first is not None and monitor_status.is_first_alert_record(read_monitor(new), first)
    assert first.patch["alerts"] == [] and "alertLifecycleSeen" in first.patch
    # a check to judge: written on its own version, then told
    checked = body({"lastCheck": CHECK, "health": "Healthy"})
    judged = monitor_status.plan_event(read_monitor(checked), policy=Policy(), now=NOW)
    assert judged is not None and not monitor_status.is_first_alert_record(read_monitor(checked), judged)
    # a later lifecycle record (a retraining started) is never written over a newer one unguarded
    started = body({**first.status, "retraining": {"active": {"name": "credit-retrain-1", "phase": "Training"}}})
    later = monitor_status.plan_event(read_monitor(started), policy=Policy(), now=NOW)
    assert later is not None and not monitor_status.is_first_alert_record(read_monitor(started), later)
