"""The operator-wide training queue: which Pending RetrainingJobs may start their Job now.

Pure: the caller lists the live RetrainingJobs and training Jobs (so the queue survives an
operator restart: nothing is remembered in memory) and passes them in. At most ``limit``
training Jobs run at once; free slots go to Pending RetrainingJobs by priority (critical >
high > medium > low), then age (creationTimestamp), then namespace/name so the order is
total and every replica of the decision agrees.

Worked example, limit 2, one Job running: Pending ``a`` (low, 09:00), ``b`` (critical,
10:00), ``c`` (critical, 09:30) -> one free slot -> ``c`` starts (critical, older than b).
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

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


def order(pending: Iterable[QueuedJob]) -> list[QueuedJob]:
    """Pending RetrainingJobs in the order they are served."""
    return sorted(pending, key=lambda j: (PRIORITY_RANK.get(j.priority, len(PRIORITY_RANK)), j.created,
                                          j.namespace, j.name))


def admitted(*, pending: Iterable[QueuedJob], running: int, limit: int) -> list[QueuedJob]:
    """The Pending RetrainingJobs that may start now: the head of the queue, as many as slots are free."""
    free = max(0, limit - running)
    return order(pending)[:free]


def position(job: tuple[str, str], *, pending: Sequence[QueuedJob]) -> int | None:
    """1-based place of ``job`` in the queue, None when it is not queued."""
    for index, queued in enumerate(order(pending), start=1):
        if queued.key == job:
            return index
    return None
