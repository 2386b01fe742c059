"""Which finished RetrainingJobs of a monitor are deleted: its history limits, pure.

As a CronJob's ``successfulJobsHistoryLimit`` and ``failedJobsHistoryLimit`` keep its Jobs, a
monitor's ``spec.retraining`` keeps the newest ``successfulJobsHistoryLimit`` (default 3)
Succeeded RetrainingJobs it owns and the newest ``failedJobsHistoryLimit`` (default 1) of the
ones that ended otherwise (Failed, RolledBack, Cancelled); older ones are deleted, and the
garbage collector then deletes their training Jobs and pods (their ownerReferences).

Never deleted: a RetrainingJob still active (Pending, Training, Validating, RollingOut), one
the monitor does not own (created by hand, whoever made it decides), one already being
deleted. Newest means latest ``completionTime``, then ``creationTimestamp``, then name (the
API's times have a resolution of one second).

Worked example, limits 3 and 1: owned s1..s5 Succeeded in that order, f1 Failed, then c1
Cancelled, t1 Training, and h1 Succeeded created by hand: s1, s2 and f1 are deleted; s3, s4,
s5, c1, t1 and h1 stay.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence

from modelmon import timestamps
from modelmon.api.retraining import FINISHED_PHASES, Phase

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PastJob:
    """One RetrainingJob naming the monitor in its monitorRef, as the planner sees it."""

    name: str
    uid: str
    phase: Phase | None
    """status.phase (None: not yet given one, so Pending)."""
    completed: str | None = None
    """status.completionTime."""
    created: str | None = None
    """metadata.creationTimestamp."""
    owned: bool = True
    """The monitor is among its owners (a trigger started it)."""
    deleting: bool = False
    """metadata.deletionTimestamp is set."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class HistoryPlan:
    delete: tuple[PastJob, ...]
    """The RetrainingJobs to delete, oldest first."""
    kept_successful: int
    """Succeeded RetrainingJobs of the monitor kept."""
    kept_failed: int
    """Failed, rolled back or cancelled ones kept."""

    @property
    def message(self) -> str:
        """The monitor's Event, in words."""
        shown = 10
        names = ", ".join(job.name for job in self.delete[:shown])
        names += f" and {len(self.delete) - shown} more" if len(self.delete) > shown else ""
        return (
            f"deleted {len(self.delete)} finished RetrainingJob(s) beyond the history limits: {names} "
            f"(kept {self.kept_successful} succeeded, {self.kept_failed} failed)"
        )


def plan_history(*, jobs: Sequence[PastJob], successful_limit: int, failed_limit: int) -> HistoryPlan:
    """The finished RetrainingJobs the monitor owns beyond its limits; see the module docstring."""
    finished = [job for job in jobs if job.owned and not job.deleting and job.phase in FINISHED_PHASES]
    successful = _newest_first([job for job in finished if job.phase == Phase.SUCCEEDED])
    failed = _newest_first([job for job in finished if job.phase != Phase.SUCCEEDED])
    beyond = successful[successful_limit:] + failed[failed_limit:]
    return HistoryPlan(
        delete=tuple(sorted(beyond, key=_age)),
        kept_successful=min(len(successful), successful_limit),
        kept_failed=min(len(failed), failed_limit),
    )


def _age(job: PastJob) -> tuple[datetime.datetime, datetime.datetime, str]:
    created = timestamps.parse_time(job.created) or _EPOCH
    return timestamps.parse_time(job.completed) or created, created, job.name


def _newest_first(jobs: list[PastJob]) -> list[PastJob]:
    return sorted(jobs, key=_age, reverse=True)
