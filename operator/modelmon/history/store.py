"""The history store: a folder of day partitions, one JSON file per check, appended to, never edited.

Layout: ``ROOT/date=YYYY-MM-DD/<HHMMSS.ffffff>Z-<8 hex>.json``. A record is written to a hidden
temporary name in its partition and renamed into place, so a reader never sees half a file and
two checks finishing at once never overwrite each other. Reading takes the newest ``last`` records
only (partitions and files are listed newest first and reading stops there), so memory stays
proportional to what is shown, never to the history. Retention removes whole day partitions
(``records.plan_retention``).

Stores are local folders (``/path`` or ``file:///path``: a mounted volume); object stores are not
supported yet and are refused with a one-line error.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import uuid
from pathlib import Path

from modelmon.history import records


class HistoryError(Exception):
    """A store that cannot be used: one line saying which and why."""


def _root(uri: str) -> Path:
    if "://" in uri and not uri.startswith("file://"):
        raise HistoryError(f"{uri}: a history store is a local folder (PATH or file:///PATH) for now")
    return Path(uri.removeprefix("file://"))


def append(
    uri: str, record: records.CheckRecord, *, now: datetime.datetime, retention: datetime.timedelta | None = None
) -> Path:
    """Add ``record`` (finished at ``now``) to the store, then drop the partitions past ``retention``."""
    root = _root(uri)
    partition = root / records.partition_of(now)
    name = f"{now.astimezone(datetime.UTC).strftime('%H%M%S.%f')}Z-{uuid.uuid4().hex[:8]}.json"
    try:
        partition.mkdir(parents=True, exist_ok=True)
        temporary = partition / f".{name}.tmp"
        temporary.write_text(json.dumps(records.to_document(record), separators=(",", ":")) + "\n", encoding="utf-8")
        os.replace(temporary, partition / name)
        if retention is not None:
            for old in records.plan_retention((p.name for p in root.iterdir() if p.is_dir()), now=now, keep=retention):
                shutil.rmtree(root / old)
    except OSError as error:
        raise HistoryError(f"{root}: cannot write the history ({error.strerror or error})") from error
    return partition / name


def read(uri: str, *, last: int) -> list[records.CheckRecord]:
    """The newest ``last`` records, oldest first. A missing store is an empty history; an unreadable
    record is an error naming the file."""
    root = _root(uri)
    if not root.exists():
        return []
    if not root.is_dir():
        raise HistoryError(f"{root}: not a folder; a history store is a folder of date=YYYY-MM-DD partitions")
    found: list[records.CheckRecord] = []
    try:
        partitions = sorted(
            (p for p in root.iterdir() if p.is_dir() and p.name.startswith(records.PARTITION_PREFIX)), reverse=True
        )
        for partition in partitions:
            for path in sorted(
                (p for p in partition.iterdir() if p.suffix == ".json" and not p.name.startswith(".")), reverse=True
            ):
                found.append(_load(path))
                if len(found) >= last:
                    return found[::-1]
    except OSError as error:
        raise HistoryError(f"{root}: cannot read the history ({error.strerror or error})") from error
    return found[::-1]


def _load(path: Path) -> records.CheckRecord:
    try:
        return records.from_document(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, UnicodeDecodeError) as error:
        raise HistoryError(f"{path}: {error}; move the file out of the store") from error
