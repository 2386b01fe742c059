"""A ModelMonitor's drift-check Jobs at the edge: a finished Job's verdict onto the monitor's
``CheckFailed`` condition (planned by policies/check_jobs.py), written onto the monitor's
version it was planned from, then the Event (controller/check_verdicts.py)."""

from __future__ import annotations

from typing import Any

from modelmon import timestamps
from modelmon.controller.check_verdicts import live_monitor, record_verdict
from modelmon.policies import check_jobs
from modelmon.policies.conditions import merge_conditions


def observe_check_job(job: dict[str, Any], *, monitor: str) -> None:
    namespace = job["metadata"]["namespace"]
    # None: the Job's next event (or a resync) tries again
    body = live_monitor(namespace, monitor, what="check Job", name=job["metadata"].get("name"))
    if body is None:
        return
    status = body.get("status") or {}
    verdict = check_jobs.plan_check_job(job, status, generation=body["metadata"].get("generation"))
    if verdict is None:
        return
    conditions = merge_conditions(
        status.get("conditions"), [verdict.condition], now=timestamps.format_time(timestamps.now())
    )
    record_verdict(
        namespace, monitor, body, {"conditions": conditions}, verdict.event, what="check Job", recorded="CheckFailed"
    )
