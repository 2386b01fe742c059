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

Key = tuple[str, str]  # (namespace, name)


class StatusIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._monitors: dict[Key, Mapping[str, Any]] = {}
        self._retraining_jobs: dict[Key, Mapping[str, Any]] = {}

    def observe_monitor(self, body: Mapping[str, Any], *, deleted: bool) -> None:
        self._observe(self._monitors, body, deleted=deleted)

    def observe_retraining_job(self, body: Mapping[str, Any], *, deleted: bool) -> None:
        self._observe(self._retraining_jobs, body, deleted=deleted)

    def _observe(self, into: dict[Key, Mapping[str, Any]], body: Mapping[str, Any], *, deleted: bool) -> None:
        meta = body.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        with self._lock:
            if deleted:
                into.pop(key, None)
            else:
                into[key] = body.get("status") or {}

    def monitors(self) -> list[tuple[Key, Mapping[str, Any]]]:
        """A copy to iterate without the lock (the dicts inside are replaced, never changed, by the watch)."""
        with self._lock:
            return list(self._monitors.items())

    def retraining_jobs(self) -> list[tuple[Key, Mapping[str, Any]]]:
        with self._lock:
            return list(self._retraining_jobs.items())
