"""A ModelMonitor's drift-check Jobs at the edge: a finished Job's verdict onto the monitor's
``CheckFailed`` condition (planned by policies/check_jobs.py), written onto the monitor's
version it was planned from, then the Event."""

from __future__ import annotations

import logging
from typing import Any

import kubernetes

from modelmon import timestamps
from modelmon.api import monitor as api
from modelmon.k8s import client, events, objects
from modelmon.policies import check_jobs
from modelmon.policies.conditions import merge_conditions

log = logging.getLogger(__name__)


def observe_check_job(job: dict[str, Any], *, monitor: str) -> None:
    namespace = job["metadata"]["namespace"]
    try:
        body = objects.get_monitor(namespace, monitor)
    except kubernetes.client.ApiException as error:
        log.warning(
            "check Job %s/%s: cannot read its monitor: %s", namespace, job["metadata"].get("name"), error.status
        )
        return  # the Job's next event (or a resync) tries again
    if body is None or body["metadata"].get("deletionTimestamp"):
        return
    status = body.get("status") or {}
    verdict = check_jobs.plan_check_job(job, status, generation=body["metadata"].get("generation"))
    if verdict is None:
        return
    conditions = merge_conditions(
        status.get("conditions"), [verdict.condition], now=timestamps.format_time(timestamps.now())
    )
    patch = {"metadata": {"resourceVersion": body["metadata"]["resourceVersion"]}, "status": {"conditions": conditions}}
    try:
        client.custom_objects().patch_namespaced_custom_object_status(
            api.GROUP, api.VERSION, namespace, api.PLURAL, monitor, patch
        )
    except kubernetes.client.ApiException as error:
        # 409: the monitor moved on; the Job's next event or resync plans again on the new version.
        log.warning("check Job of %s/%s: could not record CheckFailed: %s", namespace, monitor, error.status)
        return
    if verdict.event is not None:
        kind, reason, message = verdict.event
        events.post_event(body=body, type=kind, reason=reason, message=message)
