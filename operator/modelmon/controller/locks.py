"""One lock per object, shared by everything that reconciles it (its event handler, its timer,
the events of its children), so that one RetrainingJob is never stepped by two threads at once."""

from __future__ import annotations

import collections
import threading


class ObjectLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = collections.defaultdict(threading.Lock)

    def of(self, namespace: str, name: str) -> threading.Lock:
        with self._guard:
            return self._locks[(namespace, name)]

    def forget(self, namespace: str, name: str) -> None:
        with self._guard:
            self._locks.pop((namespace, name), None)
