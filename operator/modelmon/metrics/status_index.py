"""The operator's in-memory index of the statuses it watches, the source of the per-object series.

The watch keeps it: every ModelMonitor and RetrainingJob event (the initial list included) puts
the object's status here, and its DELETED event takes it out. Series served from it exist for
exactly the objects that exist, with the values their status holds: after a restart they come
back at the first list (not at each monitor's next check, up to an hour later), and a deleted
object leaves nothing stale behind.

Only the status is kept (a reference to the dict the event carried, not a copy): the spec and
metadata of 10,000 objects would cost memory for nothing a series reads. One lock, held only to
put, drop or copy the mapping, because the watch writes from kopf's workers while the scrape
reads from the HTTP server's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from modelmon.metrics.exposition import RenderedStatus

Key = tuple[str, str]  # (namespace, name)


class StatusIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: A monitor's status with its rendered series (exposition.py), dropped when a new status comes.
        self._monitors: dict[Key, RenderedStatus] = {}
        self._retraining_jobs: dict[Key, Mapping[str, Any]] = {}

    def observe_monitor(self, body: Mapping[str, Any], *, deleted: bool) -> None:
        key = _key(body)
        with self._lock:
            if deleted:
                self._monitors.pop(key, None)
            else:
                self._monitors[key] = RenderedStatus(body.get("status") or {})

    def observe_retraining_job(self, body: Mapping[str, Any], *, deleted: bool) -> None:
        key = _key(body)
        with self._lock:
            if deleted:
                self._retraining_jobs.pop(key, None)
            else:
                self._retraining_jobs[key] = body.get("status") or {}

    def rendered_monitors(self) -> list[tuple[Key, RenderedStatus]]:
        """A copy to iterate without the lock (the watch replaces entries, never changes them)."""
        with self._lock:
            return list(self._monitors.items())

    def monitors(self) -> list[tuple[Key, Mapping[str, Any]]]:
        with self._lock:
            return [(key, entry.status) for key, entry in self._monitors.items()]

    def retraining_jobs(self) -> list[tuple[Key, Mapping[str, Any]]]:
        with self._lock:
            return list(self._retraining_jobs.items())


def _key(body: Mapping[str, Any]) -> Key:
    meta = body.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
