"""A ModelMonitor's drift-check Jobs at the edge: a finished Job's verdict onto the monitor's
``CheckFailed`` condition (planned by policies/check_jobs.py), written onto the monitor's
version it was planned from, then the Event (controller/check_verdicts.py)."""

from __future__ import annotations

from typing import Any

from modelmon import timestamps
from modelmon.controller.check_verdicts import live_monitor, record_verdict
from modelmon.controller.monitor_reads import read_status
from modelmon.policies import check_jobs


def observe_check_job(job: dict[str, Any], *, monitor: str) -> None:
    namespace = job["metadata"]["namespace"]
    # None: the Job's next event (or a resync) tries again
    body = live_monitor(namespace, monitor, what="check Job", name=job["metadata"].get("name"))
    if body is None:
        return
    state = read_status(body, what="check Job")
    if state is None:
        return
    verdict = check_jobs.plan_check_job(job, state, now=timestamps.format_time(timestamps.now()))
    if verdict is None:
        return
    record_verdict(namespace, monitor, body, verdict.status, verdict.event, what="check Job", recorded="CheckFailed")
