"""Rows of captured predictions as an Arrow table with stable column types.

Columns: ``id`` (string), ``timestamp`` (timestamp[us, UTC]), then the features and the predictions in
the order first seen. A column's type follows its values: text if any value is text (other values
kept as their JSON text), bool if all are bools, int64 if all are integers, float64 otherwise (an
all-null column is float64 too, so that a file written while a model sent nothing in that column does
not disagree with the others). The same typing for the collector and for ``capture``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from modelmon.collector import layout

ID, TIMESTAMP = layout.ID, layout.TIMESTAMP
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def build_table(rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] = ()) -> pa.Table:
    """One table of ``rows`` (each with ``id`` and an aware ``timestamp``); ``columns``: ones to include
    even where no row has them (a model's prediction columns when only its requests are written)."""
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


def _utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        raise ValueError("a row's timestamp must be timezone-aware")
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
