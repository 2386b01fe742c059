"""A ModelMonitor's drift-check pods at the edge: a pod stuck on its image or its configuration
turns the monitor's Ready False (planned by policies/check_pods.py) within seconds instead of
when the Job gives up; written onto the monitor's version it was planned from, then the Event
(controller/check_verdicts.py)."""

from __future__ import annotations

from typing import Any

from modelmon import timestamps
from modelmon.controller.check_verdicts import live_monitor, record_verdict
from modelmon.controller.monitor_reads import read_status
from modelmon.policies import check_pods


def observe_check_pod(pod: dict[str, Any], *, monitor: str) -> None:
    namespace = pod["metadata"]["namespace"]
    # None: the pod's next event (the kubelet's back-off updates it) tries again
    body = live_monitor(namespace, monitor, what="check pod", name=pod["metadata"].get("name"))
    if body is None:
        return
    state = read_status(body, what="check pod")
    if state is None:
        return
    verdict = check_pods.plan_check_pod(state, pod, now=timestamps.format_time(timestamps.now()))
    if verdict is None:
        return
    record_verdict(namespace, monitor, body, verdict.status, verdict.event, what="check pod", recorded="its state")
