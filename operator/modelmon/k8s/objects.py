"""Reading the operator's own custom objects (ModelMonitor, RetrainingJob): None when absent."""

from __future__ import annotations

from typing import Any, cast

import kubernetes

from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as retraining_api
from modelmon.k8s import client, errors


def get_monitor(namespace: str, name: str) -> dict[str, Any] | None:
    return _get(namespace, monitor_api.PLURAL, name)


def get_retraining_job(namespace: str, name: str) -> dict[str, Any] | None:
    return _get(namespace, retraining_api.PLURAL, name)


def patch_retraining_job_status(namespace: str, name: str, status: dict[str, Any]) -> None:
    """Merge ``status`` into the RetrainingJob's status (the status subresource). The training
    steps and the rollout ticks of one RetrainingJob run under one lock, so this is its one writer."""
    client.custom_objects().patch_namespaced_custom_object_status(
        monitor_api.GROUP, monitor_api.VERSION, namespace, retraining_api.PLURAL, name, {"status": status}
    )


def annotate_monitor(namespace: str, name: str, key: str, value: str) -> None:
    """Set one annotation of a ModelMonitor (what ``kubectl annotate`` does)."""
    client.custom_objects().patch_namespaced_custom_object(
        monitor_api.GROUP,
        monitor_api.VERSION,
        namespace,
        monitor_api.PLURAL,
        name,
        {"metadata": {"annotations": {key: value}}},
    )


def _get(namespace: str, plural: str, name: str) -> dict[str, Any] | None:
    try:
        return cast(
            dict[str, Any],
            client.custom_objects().get_namespaced_custom_object(
                monitor_api.GROUP, monitor_api.VERSION, namespace, plural, name
            ),
        )
    except kubernetes.client.ApiException as error:
        if errors.is_missing(error):
            return None
        raise
