"""Live performance through the operator on a real control plane (issue #6).

The check job's code runs as the job's own ServiceAccount and reads predictions, the
reference and late ground truth from a ConfigMap; it writes ``status.lastCheck.performance``
through the status subresource (so the CRD's schema must keep every field); the operator
turns it into health, the Degraded condition, an Event, a performance alert and metrics.
Then the model recovers and Degraded clears.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes
import pytest

from modelmon import check_job
from modelmon.k8s import client as k8s_client
from modelmon.manifests import checkjob
from support.monitors import condition, impersonating

from support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "performance"
GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"

NAMESPACE_PREFIX = "perf"

pytestmark = pytest.mark.cluster


def source(key: str) -> dict[str, Any]:
    return {"configMapKeyRef": {"name": "churn-data", "key": key}}


MONITOR = {
    "apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": "churn"},
    "spec": {
        "model": {"name": "churn", "version": "2.3.1"}, "schedule": "*/30 * * * *",
        "reference": source("reference.csv"), "current": source("predictions.csv"),
        "features": [{"name": "tenure_months", "type": "numeric"}, {"name": "plan", "type": "categorical"}],
        "performance": {"task": "classification", "predictionColumn": "prediction", "targetColumn": "churned",
                        "classes": ["churn", "stay"], "baseline": {"accuracy": 0.65},
                        "groundTruth": {**source("ground-truth.csv"), "idColumn": "request_id"}},
    },
}


def data(predictions: str) -> dict[str, str]:
    return {"reference.csv": (EXAMPLE / "reference.csv").read_text(),
            "predictions.csv": (EXAMPLE / predictions).read_text(),
            "ground-truth.csv": (EXAMPLE / "ground-truth.csv").read_text()}


def get_monitor(kube, namespace):
    return kubernetes.client.CustomObjectsApi(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                                                 "churn")


def test_decay_degrades_the_monitor_and_recovery_clears_it(kube, operator, namespace, control_plane, metrics):
    core = kubernetes.client.CoreV1Api(kube)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "churn-data"},
                                                  "data": data("predictions-decayed.csv")})
    kubernetes.client.CustomObjectsApi(kube).create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                                             MONITOR)
    wait_for(lambda: (condition(get_monitor(kube, namespace), "Ready") or {}).get("status") == "True", what="Ready")
    as_job = impersonating(control_plane, namespace, checkjob.account_name("churn"))
    with k8s_client.use(as_job):
        outcome = check_job.run_monitor_check(namespace=namespace, name="churn")
    assert outcome.performance is not None and outcome.performance.severity == "critical"

    body = wait_for(lambda: (b := get_monitor(kube, namespace))["status"].get("health") == "Critical" and b,
                    what="health Critical")
    stored = body["status"]["lastCheck"]["performance"]  # kept whole by the CRD's status schema
    assert (stored["labelled"], stored["unlabelled"], stored["severity"]) == (200, 30, "critical")
    newest = stored["metrics"][0]
    assert (newest["metric"], newest["window"], newest["samples"], newest["severity"]) == ("accuracy", "last 50", 50,
                                                                                           "critical")
    assert newest["value"] == pytest.approx(0.52) and newest["pValue"] < 0.05 and newest["significant"] is True
    assert body["status"]["lastCheck"]["dataset"]["drifted"] is False
    degraded = condition(body, "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "PerformanceDegraded")
    assert degraded["observedGeneration"] == body["metadata"]["generation"]
    assert degraded["message"].startswith("accuracy 52.0% vs 65.0% baseline over the last 50 predictions, p=0.027")

    def events():
        listed = core.list_namespaced_event(namespace).items
        return [e for e in listed if e.involved_object.name == "churn" and e.reason == "PerformanceDegraded"]
    (event, *_) = wait_for(events, what="a PerformanceDegraded Event")
    assert event.type == "Warning" and "retrain" in event.message
    alerts = wait_for(lambda: [a for a in get_monitor(kube, namespace)["status"].get("alerts") or []
                               if a["type"] == "performance"], what="a performance alert")
    assert {(a["subject"], a["severity"]) for a in alerts} >= {("accuracy/last 50", "critical")}
    labels = {"namespace": namespace, "monitor": "churn", "metric": "accuracy", "window": "last 50"}
    wait_for(lambda: metrics.registry.get_sample_value("modelmon_performance_severity", labels) == 2,
             what="the severity served from status")
    assert metrics.registry.get_sample_value("modelmon_performance_metric_value", labels) == pytest.approx(0.52)

    # The retrained model performs like its backtest again: Degraded clears, health recovers.
    core.patch_namespaced_config_map("churn-data", namespace, {"data": data("predictions-steady.csv")})
    with k8s_client.use(as_job):
        check_job.run_monitor_check(namespace=namespace, name="churn", clock=lambda: 4102444800.0)
    body = wait_for(lambda: (b := get_monitor(kube, namespace))["status"].get("health") == "Healthy" and b,
                    what="health Healthy")
    degraded = condition(body, "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("False", "PerformanceOK")
    assert body["status"]["lastCheck"]["performance"]["recommendation"] == "no action"
    wait_for(lambda: metrics.registry.get_sample_value("modelmon_performance_severity", labels) == 0,
             what="the new severity served from status")
