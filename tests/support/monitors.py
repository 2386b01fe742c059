"""ModelMonitors on the real control plane: a body, reads and writes, and what tests wait for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"
GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"


def monitor_body(name: str, **spec: Any) -> dict[str, Any]:
    base = {
        "model": {"name": "credit", "version": "1"},
        "schedule": "*/30 * * * *",
        "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
        "current": {"configMapKeyRef": {"name": "credit-data", "key": "current.csv"}},
    }
    base.update(spec)
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": name}, "spec": base}


def put_data(kube, namespace: str, *, current: str) -> None:
    kubernetes.client.CoreV1Api(kube).create_namespaced_config_map(
        namespace,
        {
            "metadata": {"name": "credit-data"},
            "data": {
                "reference.csv": (DATA / "reference.csv").read_text(),
                "current.csv": (DATA / current).read_text(),
            },
        },
    )


def get_monitor(kube, namespace, name):
    return kubernetes.client.CustomObjectsApi(kube).get_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, name
    )


def create_monitor(kube, namespace, body):
    return kubernetes.client.CustomObjectsApi(kube).create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body
    )


def patch_monitor(kube, namespace, name, patch):
    return kubernetes.client.CustomObjectsApi(kube).patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, name, patch
    )


def condition(body, kind):
    return next((c for c in (body.get("status") or {}).get("conditions") or [] if c["type"] == kind), None)


def ready(kube, namespace, name):
    body = get_monitor(kube, namespace, name)
    cond = condition(body, "Ready")
    if cond and cond["status"] == "True" and body["status"].get("observedGeneration") == body["metadata"]["generation"]:
        return body
    return None


def events_of(kube, namespace, name):
    listed = kubernetes.client.CoreV1Api(kube).list_namespaced_event(namespace)
    return [e for e in listed.items if e.involved_object.name == name]


def impersonating(control_plane, namespace, account):
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(control_plane.kubeconfig), client_configuration=configuration)
    api = kubernetes.client.ApiClient(configuration)
    api.set_default_header("Impersonate-User", f"system:serviceaccount:{namespace}:{account}")
    return api


# --- checks as the drift-check job writes them (status.lastCheck) ---


def drifted_check(time):
    return {
        "time": time,
        "durationSeconds": 1.0,
        "referenceRows": 1000,
        "currentRows": 1000,
        "dataset": {
            "drifted": True,
            "driftedFeatures": 1,
            "judgedFeatures": 2,
            "share": 0.5,
            "message": "1 of 2 features drifted",
        },
        "features": [
            {
                "name": "income",
                "kind": "numeric",
                "status": "judged",
                "method": "wasserstein",
                "score": 0.6,
                "severity": "critical",
                "severityScore": 85,
                "drifted": True,
            },
            {
                "name": "age",
                "kind": "numeric",
                "status": "judged",
                "method": "wasserstein",
                "score": 0.01,
                "severity": "stable",
                "severityScore": 2,
                "drifted": False,
            },
        ],
        "qualityIssues": [],
    }


def clean_check(time):
    check = drifted_check(time)
    check["dataset"] = {
        "drifted": False,
        "driftedFeatures": 0,
        "judgedFeatures": 2,
        "share": 0.0,
        "message": "no drift",
    }
    check["features"][0].update(severity="stable", severityScore=3, drifted=False, score=0.01)
    return check


def put_check(kube, namespace, name, check):
    kubernetes.client.CustomObjectsApi(kube).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, name, {"status": {"lastCheck": check}}
    )


def alerts_of(kube, namespace, name):
    return {a["subject"]: a for a in (get_monitor(kube, namespace, name).get("status") or {}).get("alerts") or []}


def deployment_monitor_body(name: str, *, version: str, deployment: str = "credit", **spec: Any) -> dict[str, Any]:
    """A monitor of the model served by ``deployment`` whose schedule never comes round during a
    test (its checks are run by the test, or not at all)."""
    model = {"name": "credit", "version": version, "deploymentRef": {"name": deployment}}
    return monitor_body(name, model=model, schedule="0 0 1 1 *", **spec)
