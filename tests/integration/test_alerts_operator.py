"""Alerts in the operator against the real control plane: status.alerts, Events, the ack
annotation, resolution, and what is handed to the sinks.

The check job's part is played by patching ``status.lastCheck`` through the status
subresource, as the job does; the operator reacts to it as it would in a cluster.
"""

from __future__ import annotations

import threading

import kubernetes
import pytest

from modelmon.metrics import OperatorMetrics
from modelmon.policies.alerts import alert_id
from modelmon.settings import OperatorSettings

from operator_harness import running_operator
from support.monitors import (GROUP, PLURAL, VERSION, alerts_of, clean_check, create_monitor, drifted_check,
                              events_of, get_monitor, monitor_body, patch_monitor, put_check, ready)
from support.waiting import wait_for

pytestmark = pytest.mark.cluster


class Recorder:
    def __init__(self):
        self.calls: list[tuple[str, list[tuple[str, str, str]]]] = []
        self.lock = threading.Lock()

    def __call__(self, *, body, notifications):
        with self.lock:
            self.calls.append((body["metadata"]["name"],
                               [(n.action, n.alert.type, n.alert.subject) for n in notifications]))


@pytest.fixture(scope="module")
def alert_metrics():
    return OperatorMetrics()


@pytest.fixture(scope="module")
def recorder():
    return Recorder()


@pytest.fixture(scope="module")
def alerting_operator(kube, alert_metrics, recorder):
    with running_operator(api=kube, settings=OperatorSettings(check_image="modelmon:test"), metrics=alert_metrics,
                          dispatch=recorder):
        yield


def test_drift_fires_alerts_ack_silences_and_recovery_resolves(kube, alerting_operator, namespace, alert_metrics,
                                                               recorder):
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")

    put_check(kube, namespace, "credit", drifted_check("2026-11-23T10:00:00Z"))
    alerts = wait_for(lambda: (a := alerts_of(kube, namespace, "credit")) and {"dataset", "income"} <= set(a) and a,
                      what="drift alerts in status")
    assert alerts["dataset"]["severity"] == alerts["income"]["severity"] == "critical"
    assert alerts["income"]["state"] == "firing" and alerts["income"]["count"] == 1
    assert alerts["income"]["id"] == alert_id("drift", "income")
    assert "age" not in alerts  # a stable feature raises nothing
    firing = wait_for(lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "AlertFiring"],
                      what="AlertFiring events")
    assert all(e.type == "Warning" for e in firing) and len(firing) == 2
    calls = wait_for(lambda: [c for c in recorder.calls if c[0] == "credit"], what="notifications dispatched")
    assert sorted(calls[0][1]) == [("firing", "drift", "dataset"), ("firing", "drift", "income")]
    # served from the status the watch last saw: the event after the operator's write
    wait_for(lambda: alert_metrics.registry.get_sample_value(
        "modelmon_alerts_active", {"namespace": namespace, "monitor": "credit", "severity": "critical"}) == 2,
        what="modelmon_alerts_active 2")

    # Acknowledge one alert: status says so at once, and an Event records it.
    income_id = alerts["income"]["id"]
    patch_monitor(kube, namespace, "credit", {"metadata": {"annotations": {"modelmon.io/ack": income_id}}})
    wait_for(lambda: alerts_of(kube, namespace, "credit")["income"]["acknowledged"], what="acknowledged")
    wait_for(lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "AlertAcknowledged"],
             what="AlertAcknowledged event")

    # The same finding again: deduplicated (count 2), nothing new sent within the cooldown.
    sent_before = len(recorder.calls)
    put_check(kube, namespace, "credit", drifted_check("2026-11-23T11:00:00Z"))
    wait_for(lambda: alerts_of(kube, namespace, "credit")["income"]["count"] == 2, what="count 2")
    assert len(recorder.calls) == sent_before

    # Recovery: both resolve, the resolution is sent once, the consumed ack leaves the annotation.
    put_check(kube, namespace, "credit", clean_check("2026-11-23T12:00:00Z"))
    resolved = wait_for(lambda: (a := alerts_of(kube, namespace, "credit")) and
                        all(x["state"] == "resolved" for x in a.values()) and a, what="alerts resolved")
    assert resolved["income"]["resolvedAt"]
    body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit")) and
                    "modelmon.io/ack" not in (b["metadata"].get("annotations") or {}) and b,
                    what="ack annotation consumed")
    assert body["status"]["health"] in ("Healthy", "Warning")
    last = wait_for(lambda: [c for c in recorder.calls if c[0] == "credit" and c[1][0][0] == "resolved"],
                    what="resolution dispatched")
    assert sorted(last[0][1]) == [("resolved", "drift", "dataset"), ("resolved", "drift", "income")]
    resolved_events = wait_for(lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "AlertResolved"],
                               what="AlertResolved events")
    assert len(resolved_events) == 2, [(e.reason, e.message) for e in events_of(kube, namespace, "credit")]
    # served from the status the watch last saw: the event after the operator's write
    wait_for(lambda: alert_metrics.registry.get_sample_value(
        "modelmon_alerts_active", {"namespace": namespace, "monitor": "credit", "severity": "critical"}) == 0,
        what="modelmon_alerts_active 0")


def test_retraining_state_changes_raise_lifecycle_alerts_without_recounting_check_alerts(
        kube, alerting_operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    put_check(kube, namespace, "credit", drifted_check("2026-11-23T10:00:00Z"))
    wait_for(lambda: "income" in alerts_of(kube, namespace, "credit"), what="drift alert")
    custom = kubernetes.client.CustomObjectsApi(kube)
    custom.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "credit", {"status": {
        "retraining": {"active": None, "last": {"name": "credit-retrain-1", "phase": "Failed",
                                                "message": "container exited with code 1"}}}})
    alerts = wait_for(lambda: (a := alerts_of(kube, namespace, "credit")) and "credit-retrain-1/failed" in a and a,
                      what="retraining alert")
    failed = alerts["credit-retrain-1/failed"]
    assert failed["type"] == "retraining" and failed["severity"] == "warning"
    assert "exit" in failed["message"] and "not changed" in failed["message"]
    assert alerts["income"]["count"] == 1 and alerts["income"]["state"] == "firing"

