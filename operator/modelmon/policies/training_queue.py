"""The operator-wide training queue: which Pending RetrainingJobs may start their Job now.

Pure: the caller lists the live RetrainingJobs and training Jobs (so the queue survives an
operator restart: nothing is remembered in memory) and passes them in. At most ``limit``
training Jobs run at once; free slots go to Pending RetrainingJobs by priority (critical >
high > medium > low), then age (creationTimestamp), then namespace/name so the order is
total and every replica of the decision agrees.

Worked example, limit 2, one Job running: Pending ``a`` (low, 09:00), ``b`` (critical,
10:00), ``c`` (critical, 09:30) -> one free slot -> ``c`` starts (critical, older than b).

One model trains once at a time: a RetrainingJob whose monitor already has one training,
validating or rolling out waits without holding a slot (the next in line gets it), and of
two queued for the same monitor only the first may start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueuedJob:
    namespace: str
    name: str
    priority: str
    created: str
    """creationTimestamp (RFC 3339, so text order is time order)."""
    monitor: str = ""
    """The ModelMonitor it retrains (spec.monitorRef.name)."""

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


def order(pending: Iterable[QueuedJob]) -> list[QueuedJob]:
    """Pending RetrainingJobs in the order they are served."""
    return sorted(pending, key=lambda j: (PRIORITY_RANK.get(j.priority, len(PRIORITY_RANK)), j.created,
                                          j.namespace, j.name))


def admitted(*, pending: Iterable[QueuedJob], running: int, limit: int,
             busy: Iterable[tuple[str, str]] = ()) -> list[QueuedJob]:
    """The Pending RetrainingJobs that may start now: from the head of the queue, as many as slots
    are free, skipping those whose (namespace, monitor) is in ``busy`` or already chosen."""
    free = max(0, limit - running)
    taken = set(busy)
    chosen: list[QueuedJob] = []
    for job in order(pending):
        if len(chosen) == free:
            break
        if (job.namespace, job.monitor) in taken:
            continue
        chosen.append(job)
        taken.add((job.namespace, job.monitor))
    return chosen


def position(job: tuple[str, str], *, pending: Sequence[QueuedJob]) -> int | None:
    """1-based place of ``job`` in the queue, None when it is not queued."""
    for index, queued in enumerate(order(pending), start=1):
        if queued.key == job:
            return index
    return None
