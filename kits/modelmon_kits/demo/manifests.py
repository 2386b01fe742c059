"""The demo's objects: a model Deployment and Service, its data, and its ModelMonitor.

The bundled example data ships with the package's source tree (examples/data); the demo
reads it from there, so what it checks is what `modelmon check` on those files reports.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import kubernetes

from modelmon.k8s import client

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "data"
LABELS = {"app": "credit-model"}


def data(name: str) -> str:
    return (EXAMPLES / name).read_text()


def setup(*, namespace: str, monitor: str, webhook_url: str, analysis_url: str) -> list[dict[str, Any]]:
    meta = {"namespace": namespace}
    container = {
        "name": "server",
        "image": "ghcr.io/example/credit-server:1.4",
        "env": [{"name": "MODEL_URI", "value": "s3://models/credit-risk/v1"}, {"name": "MODEL_VERSION", "value": "v1"}],
        "ports": [{"containerPort": 8080}],
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {**meta, "name": "credit-data"},
            "data": {"reference.csv": data("reference.csv"), "current.csv": data("current-stable.csv")},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {**meta, "name": "alert-webhook"},
            "data": {"url": base64.b64encode(webhook_url.encode()).decode()},
            "type": "Opaque",
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {**meta, "name": "credit-model", "labels": LABELS},
            "spec": {
                "replicas": 4,
                "selector": {"matchLabels": LABELS},
                "template": {"metadata": {"labels": LABELS}, "spec": {"containers": [container]}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {**meta, "name": "credit-model"},
            "spec": {"selector": LABELS, "ports": [{"port": 80, "targetPort": 8080}]},
        },
        monitor_manifest(namespace=namespace, name=monitor, analysis_url=analysis_url),
    ]


def monitor_manifest(*, namespace: str, name: str, analysis_url: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "model": {"name": "credit-risk", "version": "v1", "deploymentRef": {"name": "credit-model"}},
        "schedule": "*/30 * * * *",
        "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
        "current": {"configMapKeyRef": {"name": "credit-data", "key": "current.csv"}},
        "alerts": {
            "sinks": [
                {
                    "name": "team-webhook",
                    "minSeverity": "warning",
                    "webhook": {"urlSecretRef": {"name": "alert-webhook", "key": "url"}},
                }
            ]
        },
        "retraining": {
            "enabled": True,
            "triggers": {"criticalDrift": True},
            "cooldown": "7d",
            "minNewSamples": 1000,
            "template": {
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {
                                        "name": "train",
                                        "image": "ghcr.io/example/credit-trainer:1.4",
                                        "args": [
                                            "--data",
                                            "s3://features/credit-risk/latest",
                                            "--out",
                                            "s3://models/credit-risk",
                                        ],
                                    }
                                ]
                            }
                        }
                    }
                },
                # The new model must be at least as accurate as the backtest and reach 0.6 F1.
                "validation": {"metrics": [{"name": "accuracy", "min": 0.65}, {"name": "f1", "min": 0.6}]},
                "rollout": rollout(analysis_url),
            },
        },
    }
    return {
        "apiVersion": "modelmon.io/v1alpha1",
        "kind": "ModelMonitor",
        "metadata": {"namespace": namespace, "name": name},
        "spec": spec,
    }


def rollout(analysis_url: str) -> dict[str, Any]:
    """A canary of the new model: 25 %, measured, 50 %, measured, then promotion.

    The analysis is a webhook (the demo's receiver answers for the live quality of the canary);
    intervals are seconds so the demo ends in well under a minute.
    """
    return {
        "targetRef": {"name": "credit-model"},
        "container": "server",
        "handover": {"env": {"uri": "MODEL_URI", "version": "MODEL_VERSION"}},
        "progressDeadline": "2m",
        "strategy": {
            "canary": {
                "steps": [
                    {"setWeight": 25},
                    {"analysis": {"template": "live-quality"}},
                    {"setWeight": 50},
                    {"analysis": {"template": "live-quality"}},
                ]
            }
        },
        "analysisTemplates": [
            {
                "name": "live-quality",
                "interval": "1s",
                "count": 2,
                "failureLimit": 0,
                "metrics": [{"name": "canary-smoke", "webhook": {"url": analysis_url}}],
            }
        ],
    }


def create(body: dict[str, Any]) -> None:
    namespace = body["metadata"]["namespace"]
    if body["apiVersion"].startswith("modelmon.io/"):
        group, version = body["apiVersion"].split("/")
        plural = {"ModelMonitor": "modelmonitors", "RetrainingJob": "retrainingjobs"}[body["kind"]]
        client.custom_objects().create_namespaced_custom_object(group, version, namespace, plural, body)
        return
    create_one = {
        "ConfigMap": client.core().create_namespaced_config_map,
        "Secret": client.core().create_namespaced_secret,
        "Service": client.core().create_namespaced_service,
        "Deployment": kubernetes.client.AppsV1Api(client.api_client()).create_namespaced_deployment,
    }[body["kind"]]
    create_one(namespace, body)
