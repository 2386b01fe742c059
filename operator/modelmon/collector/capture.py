"""Log a model server's own predictions in the layout ``modelmon collect`` writes (no collector needed).

For a custom model server that is not behind KServe's logger. Standalone on purpose: this module
imports only the standard library and pyarrow, so a server can ``pip install pyarrow`` and copy this
one file, or import it from an installed modelmon. ::

    from modelmon.collector.capture import PredictionLog

    log = PredictionLog("s3://preds/kserve/ml/credit/predictor")   # or a directory on a volume
    ...
    log.log(id=request_id, features={"age": 41, "income": 52.5}, prediction=0.83)
    ...
    log.close()   # at shutdown (SIGTERM handler / atexit): writes what is buffered

The format (docs/kserve.md, "The format"): under the model's root,
``date=YYYY-MM-DD/hour=HH/part-<unique>.parquet`` (the event time's hour in UTC), columns ``id``
(string), ``timestamp`` (timestamp[us, UTC]), one per feature, then ``prediction`` (one output) or
``prediction_<i>`` (a list) or ``prediction_<name>`` (a mapping). Types as ``build_table`` says.
Files appear whole: a hidden temporary name renamed on a directory, one upload on an object store.

Rows are buffered and written every ``flush_rows`` rows or when a call to ``log`` finds the oldest
buffered row older than ``flush_seconds`` (no thread of its own); ``flush()`` and ``close()`` write now.
Thread-safe. Rows not yet written are lost if the process is killed before ``close()``: keep
``flush_rows`` small where that matters.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.fs as pa_fs
import pyarrow.parquet as pq

ID, TIMESTAMP = "id", "timestamp"
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def build_table(rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] = ()) -> pa.Table:
    """One table of ``rows`` (each with ``id`` and an aware ``timestamp``); ``columns``: ones to include
    even where no row has them (as nulls).

    Column order: ``id``, ``timestamp``, then the others as first seen. A column's type follows its
    values: text if any value is text (other values kept as their JSON text), bool if all are bools,
    int64 if all are integers, float64 otherwise (an all-null column too, so that files written an hour
    apart agree)."""
    names: dict[str, None] = {ID: None, TIMESTAMP: None}
    for row in rows:
        names.update(dict.fromkeys(row))
    names.update(dict.fromkeys(columns))
    arrays = [
        pa.array([str(row[ID]) for row in rows], pa.string()),
        pa.array([_utc(row[TIMESTAMP]) for row in rows], TIMESTAMP_TYPE),
    ]
    arrays += [_column([row.get(name) for row in rows]) for name in list(names)[2:]]
    return pa.Table.from_arrays(arrays, names=list(names))


def partition(time_: datetime.datetime) -> str:
    """The hour partition of an event time, in UTC."""
    utc = _utc(time_)
    return f"date={utc:%Y-%m-%d}/hour={utc:%H}"


def part_name(*, now: datetime.datetime, writer: str) -> str:
    """A file name no other writer or later flush produces: the time, the writer, a random part."""
    stamp = _utc(now).strftime("%Y%m%dT%H%M%S%f")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_" for c in writer)[:63]
    return f"part-{stamp}-{safe}-{secrets.token_hex(4)}.parquet"


def write_file(root: str, directory: str, name: str, table: pa.Table) -> str:
    """Write ``table`` as ``root/directory/name``, whole or not at all; the file's path or URI."""
    parsed = urllib.parse.urlsplit(root)
    if parsed.scheme in ("", "file"):
        folder = os.path.join(parsed.path if parsed.scheme else root, directory)
        os.makedirs(folder, exist_ok=True)
        final, temporary = os.path.join(folder, name), os.path.join(folder, f".{name}.tmp")
        try:
            pq.write_table(table, temporary)
            with open(temporary, "rb") as written:
                os.fsync(written.fileno())
            os.replace(temporary, final)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return final
    filesystem, base = pa_fs.FileSystem.from_uri(root)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    with filesystem.open_output_stream(f"{base.rstrip('/')}/{directory}/{name}") as stream:
        stream.write(sink.getvalue())
    return f"{root.rstrip('/')}/{directory}/{name}"


def prediction_columns(prediction: Any) -> dict[str, Any]:
    """``prediction`` as columns: a scalar is ``prediction``, a list ``prediction_<i>``, a mapping
    ``prediction_<key>``."""
    if isinstance(prediction, Mapping):
        return {f"prediction_{key}": value for key, value in prediction.items()}
    if isinstance(prediction, list | tuple):
        return {f"prediction_{i}": value for i, value in enumerate(prediction)}
    return {"prediction": prediction}


class PredictionLog:
    def __init__(
        self, root: str, *, flush_rows: int = 1000, flush_seconds: float = 60.0, writer: str | None = None
    ) -> None:
        self.root = root
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.writer = writer or socket.gethostname()
        self._rows: list[dict[str, Any]] = []
        self._oldest: float | None = None
        self._lock = threading.Lock()

    def log(
        self,
        *,
        id: str,
        features: Mapping[str, Any],
        prediction: Any,
        timestamp: datetime.datetime | None = None,
    ) -> None:
        """Buffer one prediction (``timestamp``: when it was made, aware; default now)."""
        row: dict[str, Any] = {ID: str(id), TIMESTAMP: timestamp or datetime.datetime.now(datetime.UTC)}
        row.update(features)
        row.update(prediction_columns(prediction))
        with self._lock:
            self._rows.append(row)
            self._oldest = self._oldest or time.monotonic()
            due = len(self._rows) >= self.flush_rows or time.monotonic() - self._oldest >= self.flush_seconds
        if due:
            self.flush()

    def flush(self) -> list[str]:
        """Write what is buffered (one file per hour); the files written. On an error the rows of the
        hours not written stay buffered for the next flush, and the error is raised."""
        with self._lock:
            by_hour: dict[str, list[dict[str, Any]]] = {}
            for row in self._rows:
                by_hour.setdefault(partition(row[TIMESTAMP]), []).append(row)
            self._rows, self._oldest = [], None
            written = []
            hours = list(by_hour)
            try:
                while hours:
                    now = datetime.datetime.now(datetime.UTC)
                    name = part_name(now=now, writer=self.writer)
                    written.append(write_file(self.root, hours[0], name, build_table(by_hour[hours[0]])))
                    hours.pop(0)
            finally:
                if hours:
                    self._rows = [row for hour in hours for row in by_hour[hour]] + self._rows
                    self._oldest = time.monotonic()
            return written

    def close(self) -> list[str]:
        return self.flush()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        raise ValueError("a timestamp must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.astimezone(datetime.UTC)


def _column(values: list[Any]) -> pa.Array:
    present = [value for value in values if value is not None]
    if any(isinstance(value, str) for value in present):
        text = [value if value is None or isinstance(value, str) else json.dumps(value) for value in values]
        return pa.array(text, pa.string())
    if present and all(isinstance(value, bool) for value in present):
        return pa.array(values, pa.bool_())
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return pa.array(values, pa.int64())
    return pa.array([None if value is None else float(value) for value in values], pa.float64())
