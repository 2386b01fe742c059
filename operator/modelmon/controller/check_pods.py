"""A ModelMonitor's drift-check pods at the edge: a pod stuck on its image or its configuration
turns the monitor's Ready False (planned by policies/check_pods.py) within seconds instead of
when the Job gives up; written onto the monitor's version it was planned from, then the Event."""

from __future__ import annotations

import logging
from typing import Any

import kubernetes

from modelmon import timestamps
from modelmon.api import monitor as api
from modelmon.k8s import client, events, objects
from modelmon.policies import check_pods

log = logging.getLogger(__name__)


def observe_check_pod(pod: dict[str, Any], *, monitor: str) -> None:
    namespace = pod["metadata"]["namespace"]
    try:
        body = objects.get_monitor(namespace, monitor)
    except kubernetes.client.ApiException as error:
        log.warning(
            "check pod %s/%s: cannot read its monitor: %s", namespace, pod["metadata"].get("name"), error.status
        )
        return  # the pod's next event (the kubelet's back-off updates it) tries again
    if body is None or body["metadata"].get("deletionTimestamp"):
        return
    verdict = check_pods.plan_check_pod(body, pod, now=timestamps.format_time(timestamps.now()))
    if verdict is None:
        return
    patch = {"metadata": {"resourceVersion": body["metadata"]["resourceVersion"]}, "status": verdict.status}
    try:
        client.custom_objects().patch_namespaced_custom_object_status(
            api.GROUP, api.VERSION, namespace, api.PLURAL, monitor, patch
        )
    except kubernetes.client.ApiException as error:
        # 409: the monitor moved on; the pod's next event plans again on the new version.
        log.warning("check pod of %s/%s: could not record its state: %s", namespace, monitor, error.status)
        return
    if verdict.event is not None:
        kind, reason, message = verdict.event
        events.post_event(body=body, type=kind, reason=reason, message=message)
