"""Rendering the Helm chart with Helm's own engine (helm-python-sdk binds Helm's Go SDK)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import yaml

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "charts" / "modelmon"
RELEASE = "mm"
NAMESPACE = "modelmon-system"
#: The control plane the integration tests run (hack/control_plane.py).
KUBERNETES_VERSION = "1.34"


def render(values: dict[str, Any] | None = None, *, namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    """Every object the chart's templates render, in template order (CRDs are not templates)."""
    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(values or {}, name=RELEASE, namespace=namespace, is_install=True)
    documents: list[dict[str, Any]] = []
    for path in sorted(rendered):
        if path.endswith(".yaml"):
            documents.extend(d for d in yaml.safe_load_all(rendered[path]) if d)
    return documents


def select(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["kind"] == kind]


def one(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = select(documents, kind)
    assert len(found) == 1, f"expected one {kind}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"


def is_user_role(document: dict[str, Any]) -> bool:
    """The ClusterRoles aggregated into the built-in view/edit/admin roles: people's rights."""
    return any(key.startswith(AGGREGATE) for key in document["metadata"].get("labels", {}))


def operator_cluster_role(documents: list[dict[str, Any]]) -> dict[str, Any]:
    roles = [d for d in select(documents, "ClusterRole") if not is_user_role(d)]
    assert len(roles) == 1, [r["metadata"]["name"] for r in roles]
    return roles[0]


def watched_namespace_roles(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Role the operator holds in each watched namespace (namespaced installs)."""
    return [d for d in select(documents, "Role") if d["metadata"]["name"] == f"{RELEASE}-modelmon"]


def operator_container(documents: list[dict[str, Any]]) -> dict[str, Any]:
    containers = one(documents, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["operator"]
    return containers[0]


def env(documents: list[dict[str, Any]]) -> dict[str, str]:
    """The container's literal environment (entries from valueFrom are in env_sources)."""
    return {e["name"]: e["value"] for e in operator_container(documents).get("env", []) if "value" in e}


def env_sources(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e["valueFrom"] for e in operator_container(documents).get("env", []) if "valueFrom" in e}


#: Non-default values exercising every optional part of the chart.
EVERYTHING_ON: dict[str, Any] = {
    "watchNamespaces": ["team-a", "team-b"],
    "image": {"repository": "registry.example.com/ml/modelmon", "tag": "0.2.0-rc1", "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "regcred"}],
    "alerts": {"defaults": {"cooldown": "2h", "sinks": [
        {"name": "oncall", "minSeverity": "critical",
         "slack": {"webhookUrlSecretRef": {"name": "slack-webhook", "key": "url"}}}]}},
    "operator": {"logFormat": "json", "maxTrainingJobs": 5, "metricsPort": 9100, "healthPort": 8081,
                 "retraining": {"pollSeconds": 2.5, "trainingActiveDeadlineSeconds": 3600, "trainingBackoffLimit": 0},
                 "checkImage": {"repository": "registry.example.com/ml/modelmon-check", "tag": "7"},
                 "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy.example.com:3128"}]},
    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
    "metrics": {"service": {"enabled": True, "port": 9100},
                "serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "kube-prometheus-stack"}}},
    "dashboard": {"enabled": True, "namespace": "monitoring", "annotations": {"grafana_folder": "ML"}},
    "podDisruptionBudget": {"enabled": True},
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/modelmon"}},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}],
    "priorityClassName": "system-cluster-critical",
}
