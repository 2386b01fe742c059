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
