"""The collector's write-ahead log: every event is recorded before it is acknowledged.

Without it, what a collector holds in memory is lost when the process is killed without warning
(SIGKILL, an out-of-memory kill). With ``--wal-dir`` each accepted event is appended to the current
segment (``wal-<n>.jsonl``, one JSON line per event, one ``write`` call: once it returns, the line
survives the process) before the 200 goes out. A segment is deleted once every event recorded in it is
written to the store or settled (a dropped response, a resend that replaced it); the flusher starts a
new segment at every flush, so old ones drain. At start the collector replays the segments left by a
killed predecessor into its buffer (re-recording them in a fresh segment first), so every event that
was acknowledged is written, at least once: an event replayed after its row was written but before
its segment was deleted is written again.

The log lives on a volume that outlives the process (the chart: an emptyDir, which survives container
restarts in the pod). It is not fsynced per event: a node crash can lose its last lines.
"""

from __future__ import annotations

import collections
import datetime
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from modelmon.collector.events import InferenceEvent, Kind, ModelKey

logger = logging.getLogger("modelmon.collector")

_SEGMENT = re.compile(r"^wal-(\d{12})\.jsonl$")


class WriteAheadLog:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._current = 0
        self._descriptor: int | None = None
        self._outstanding: collections.Counter[int] = collections.Counter()
        self._recovered: list[Path] = []

    def recover(self) -> list[InferenceEvent]:
        """The events recorded by a previous process, oldest first; then opens a new segment."""
        self.directory.mkdir(parents=True, exist_ok=True)
        segments = sorted(
            (int(m.group(1)), self.directory / m.group(0)) for m in map(_SEGMENT.match, os.listdir(self.directory)) if m
        )
        events: list[InferenceEvent] = []
        for _, path in segments:
            for line in path.read_bytes().splitlines():
                try:
                    events.append(_decode(json.loads(line)))
                except (ValueError, KeyError, TypeError):
                    # A line cut short by the kill: its write had not returned, so it was never acknowledged.
                    logger.warning("write-ahead log %s: skipped a damaged line", path.name)
        self._recovered = [path for _, path in segments]
        self._current = segments[-1][0] if segments else 0
        self._open_next()
        return events

    def forget_recovered(self) -> None:
        """The recovered events are recorded again (in the new segment): drop the old segments."""
        for path in self._recovered:
            path.unlink(missing_ok=True)
        self._recovered = []

    def append(self, event: InferenceEvent) -> int:
        """Record ``event``; its mark (the segment), to release once it is written. Raises OSError."""
        assert self._descriptor is not None, "recover() opens the log"
        line = json.dumps(_encode(event), separators=(",", ":")).encode() + b"\n"
        written = os.write(self._descriptor, line)
        if written != len(line):
            raise OSError(f"write-ahead log: short write ({written} of {len(line)} bytes)")
        self._outstanding[self._current] += 1
        return self._current

    def rotate(self) -> None:
        """Start a new segment, so that the older ones can drain and go."""
        if self._outstanding[self._current]:
            self._open_next()

    def release(self, marks: collections.Counter[int]) -> None:
        """Events of these segments are written or settled; delete the segments nothing is left in."""
        for segment, count in marks.items():
            self._outstanding[segment] -= count
            if self._outstanding[segment] <= 0 and segment != self._current:
                del self._outstanding[segment]
                self._path(segment).unlink(missing_ok=True)

    def close(self) -> None:
        """At a clean stop: the current segment goes too if everything in it is written."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        if self._outstanding[self._current] <= 0:
            self._path(self._current).unlink(missing_ok=True)

    @property
    def held(self) -> int:
        return sum(count for count in self._outstanding.values() if count > 0)

    def _open_next(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            if self._outstanding[self._current] <= 0:
                self._path(self._current).unlink(missing_ok=True)
        self._current += 1
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        self._descriptor = os.open(self._path(self._current), flags, 0o600)

    def _path(self, segment: int) -> Path:
        return self.directory / f"wal-{segment:012d}.jsonl"


def _encode(event: InferenceEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind.value,
        "namespace": event.model.namespace,
        "name": event.model.name,
        "component": event.model.component,
        "time": event.time.isoformat(),
        "rows": list(event.rows),
    }


def _decode(record: dict[str, Any]) -> InferenceEvent:
    return InferenceEvent(
        id=record["id"],
        kind=Kind(record["kind"]),
        model=ModelKey(record["namespace"], record["name"], record["component"]),
        time=datetime.datetime.fromisoformat(record["time"]),
        rows=tuple(record["rows"]),
    )
