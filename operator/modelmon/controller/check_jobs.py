"""A ModelMonitor's drift-check Jobs at the edge: a finished Job's verdict onto the monitor's
``CheckFailed`` condition (planned by policies/check_jobs.py), written onto the monitor's
version it was planned from, then the Event (controller/check_verdicts.py)."""

from __future__ import annotations

import logging
from typing import Any

import kubernetes

from modelmon import timestamps
from modelmon.controller.check_verdicts import live_monitor, record_verdict
from modelmon.controller.monitor_reads import read_status
from modelmon.k8s import client
from modelmon.policies import check_jobs

log = logging.getLogger(__name__)


def observe_check_job(job: dict[str, Any], *, monitor: str) -> None:
    namespace = job["metadata"]["namespace"]
    # None: the Job's next event (or a resync) tries again
    body = live_monitor(namespace, monitor, what="check Job", name=job["metadata"].get("name"))
    if body is None:
        return
    state = read_status(body, what="check Job")
    if state is None:
        return
    now = timestamps.format_time(timestamps.now())
    verdict = check_jobs.plan_check_job(job, state, now=now)
    if verdict is None:
        return
    if check_jobs.failed(job):  # listed only for a verdict to tell: a failed Job's later events list nothing
        verdict = check_jobs.plan_check_job(job, state, now=now, pod_said=check_jobs.last_words(_pods(job)))
        if verdict is None:
            return
    record_verdict(namespace, monitor, body, verdict.status, verdict.event, what="check Job", recorded="CheckFailed")


def _pods(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The failed Job's pods (by the label the Job controller gives them); none when they cannot be
    listed (the verdict is then told without their last words)."""
    meta = job["metadata"]
    try:
        listed = client.core().list_namespaced_pod(meta["namespace"], label_selector=f"job-name={meta['name']}")
    except kubernetes.client.ApiException as error:
        log.warning("check Job %s/%s: cannot list its pods: %s", meta["namespace"], meta["name"], error.status)
        return []
    return [client.api_client().sanitize_for_serialization(pod) for pod in listed.items]
