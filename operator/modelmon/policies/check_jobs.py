"""The CheckFailed condition of a ModelMonitor, from its drift-check Jobs (pure).

A check Job whose pod cannot run (an image that cannot be pulled or started, a Secret in
``spec.checkJob.env`` that does not exist, a crash before the report is written) writes nothing,
so without this the monitor kept ``Ready=True`` and ``health: Unknown`` and said nothing. The
Job's own verdict (its ``Failed`` condition: ``BackoffLimitExceeded`` after the retries, or
``DeadlineExceeded`` after ``spec.checkJob.activeDeadlineSeconds``) becomes ``CheckFailed=True``
naming the Job, its reason and what to look at; the next Job that completes clears it.

Worked example: Job credit-drift-check-2931 Failed (BackoffLimitExceeded) at 10:05, the last
check written at 09:00: CheckFailed True. An older Job's failure (09:30, before a check written
at 10:00) is stale and changes nothing. Job credit-drift-check-2932 Complete at 11:05 with
CheckFailed True since 10:05: CheckFailed False, reason CheckSucceeded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from modelmon import timestamps
from modelmon.api.base import Condition
from modelmon.policies.check_pods import scrub
from modelmon.policies.conditions import ConditionUpdate, condition_update, find_condition, merge

from modelmon.policies.monitor_state import MonitorState, status_patch

CHECK_FAILED = "CheckFailed"
SUCCEEDED = "CheckSucceeded"


@dataclasses.dataclass(frozen=True)
class CheckJobVerdict:
    condition: ConditionUpdate
    event: tuple[str, str, str] | None
    """(type, reason, message) of the Event to post once the condition is stored, if any."""
    conditions: list[Condition]
    """The monitor's conditions with ``condition`` merged in."""
    monitor: MonitorState
    """The monitor it was planned from."""

    @property
    def status(self) -> dict[str, Any]:
        """The status patch (the merged conditions)."""
        return status_patch(self.monitor.status.model_copy(update={"conditions": self.conditions}), {"conditions"})


def _finished(job: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    """(Failed|Complete, reason, message, time) of a finished Job, else None."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Failed", "Complete") and cond.get("status") == "True":
            when = cond.get("lastTransitionTime") or (job.get("status") or {}).get("completionTime") or ""
            return cond["type"], cond.get("reason") or "", cond.get("message") or "", when
    return None


def _after(when: str, than: str | None) -> bool:
    """``when`` is not before ``than`` (unknown times never hide a failure)."""
    first, second = timestamps.to_epoch(when), timestamps.to_epoch(than)
    return first is None or second is None or first >= second


def failed(job: Mapping[str, Any]) -> bool:
    """The Job ended Failed (its pods' last words are then worth reading)."""
    finished = _finished(job)
    return finished is not None and finished[0] == "Failed"


def last_words(pods: Sequence[Mapping[str, Any]]) -> str | None:
    """What the check container of a failed Job's last pod ended with: the last line of its termination
    message (the check's one-line error, or the log's last line: ``FallbackToLogsOnError``), else the
    kubelet's reason and exit code (``OOMKilled, exit 137``); redacted and cut (check_pods.scrub).
    None when no container ended with an error."""
    ended: list[tuple[str, Mapping[str, Any]]] = []
    for pod in pods:
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            for state in (container.get("state"), container.get("lastState")):
                terminated = (state or {}).get("terminated") or {}
                if terminated and terminated.get("exitCode") not in (0, None):
                    ended.append((str(terminated.get("finishedAt") or ""), terminated))
    if not ended:
        return None
    terminated = max(ended, key=lambda pair: pair[0])[1]
    lines = [line for line in str(terminated.get("message") or "").splitlines() if line.strip()]
    said = lines[-1] if lines else f"{terminated.get('reason') or 'Error'}, exit {terminated.get('exitCode')}"
    return scrub(said)


def plan_check_job(
    job: Mapping[str, Any], monitor: MonitorState, *, now: str, pod_said: str | None = None
) -> CheckJobVerdict | None:
    """The CheckFailed condition a finished check Job calls for; None when it changes nothing.
    ``pod_said``: what its pod's check container ended with (:func:`last_words`), quoted when given."""
    finished = _finished(job)
    if finished is None:
        return None
    outcome, reason, detail, when = finished
    conditions = monitor.status.conditions
    current = find_condition(conditions, CHECK_FAILED)
    name = (job.get("metadata") or {}).get("name", "")
    if outcome == "Complete":
        if current is None or current.status != "True" or not _after(when, current.last_transition_time):
            return None
        update = condition_update(
            type=CHECK_FAILED,
            status=False,
            reason=SUCCEEDED,
            message=f"Job {name} completed",
            generation=monitor.generation,
        )
        return CheckJobVerdict(update, None, merge(conditions, [update], now=now), monitor)
    if not _after(when, monitor.last_check_time):
        return None  # a check written since: this failure is history
    if current is not None and current.status == "True" and name in current.message:
        return None  # already said
    message = (
        f"check Job {name} failed ({reason or 'Failed'}: {detail or 'no detail'}): its pod never wrote a "
        f"report{f' and ended with: {pod_said}' if pod_said else ''}. Look at `kubectl describe job {name}` and its pod's events: an image that cannot be pulled "
        f"or run (spec.checkJob.image), a Secret of spec.checkJob.env that does not exist, or a pod killed "
        f"at spec.checkJob.activeDeadlineSeconds"
    )
    update = condition_update(
        type=CHECK_FAILED, status=True, reason=reason or "JobFailed", message=message, generation=monitor.generation
    )
    return CheckJobVerdict(update, ("Warning", CHECK_FAILED, message), merge(conditions, [update], now=now), monitor)
