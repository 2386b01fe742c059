"""Tables on disk, opened lazily and read a column at a time.

Parquet is columnar on disk, so a column is read without touching the others and
memory stays proportional to the columns in flight. CSV and JSON Lines are parsed once
(pyarrow's multithreaded readers) and then served column by column.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from modelmon.api.sources import DataFormat
from modelmon.data.errors import DataError, IdentifierColumn

#: The formats read here are the spec's (api.sources); the shorter name reads better beside the readers.
Format = DataFormat
#: Largest integer a float64 holds exactly; integers beyond it are ids or hashes, not measurements.
FLOAT64_EXACT_INTEGER = 2**53
ColumnKind = Literal["numeric", "categorical", "timestamp", "unsupported"]

_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}


def detect_format(path: str, explicit: str | None = None) -> Format:
    if explicit:
        if explicit not in ("csv", "jsonl", "parquet"):
            raise DataError(f"unknown input format {explicit!r}: use csv, jsonl or parquet")
        return explicit  # type: ignore[return-value]
    suffixes = [s.lower() for s in Path(path).suffixes]
    for suffix in reversed(suffixes):
        if suffix in _EXTENSIONS:
            return _EXTENSIONS[suffix]
    raise DataError(f"{path}: cannot tell the format from the file name; name it .csv, .jsonl or .parquet, "
                    f"or pass --input-format")


def kind_of(dtype: pa.DataType) -> ColumnKind:
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "numeric"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_boolean(dtype) \
            or pa.types.is_dictionary(dtype):
        return "categorical"
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype) or pa.types.is_time(dtype):
        return "timestamp"
    if pa.types.is_null(dtype):
        return "numeric"  # an all-null column: judged as missing values, never as drift
    return "unsupported"


@dataclasses.dataclass(frozen=True)
class Scan:
    """A dataset read lazily (:mod:`modelmon.data.datasets`): which files, which rows of them."""

    dataset: ds.Dataset
    partitions: pa.Schema
    """The hive keys of its paths (empty when none)."""
    condition: ds.Expression | None = None
    """Rows kept; pushed down to partition keys and row-group statistics."""
    skip: int = 0
    """Rows dropped from the start of what the condition keeps (a last-N window's surplus)."""


@dataclasses.dataclass
class Table:
    """A data file or dataset, opened once; columns are read on demand and are thread-safe to read."""

    path: str
    format: Format
    schema: pa.Schema
    num_rows: int
    _parquet: pq.ParquetFile | None = None
    _table: pa.Table | None = None
    _scan: Scan | None = None
    _local: threading.local = dataclasses.field(default_factory=threading.local)

    @property
    def columns(self) -> list[str]:
        """The data's columns. A dataset's hive partition keys (``date``, ``hour``) come from its
        paths, not from what the model saw: they are readable, but never checked as features or
        reported as new columns."""
        keys = set(self._scan.partitions.names) if self._scan is not None else set()
        return [name for name in self.schema.names if name not in keys]

    def kind(self, column: str) -> ColumnKind:
        return kind_of(self.schema.field(column).type)

    def column(self, name: str) -> pa.ChunkedArray:
        if self._table is not None:
            return self._table.column(name)
        try:
            if self._scan is not None:
                return self._read_scanned_column(name, self._scan)
            return self._read_parquet_column(name)
        except (pa.ArrowException, OSError, ValueError) as error:
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataError(f"{self.path}: column {name!r} cannot be read ({first_line}); the file may be "
                            f"truncated or written by a broken producer: rewrite it") from error

    def _read_scanned_column(self, name: str, scan: Scan) -> pa.ChunkedArray:
        # One column of the window's files and rows (projection); threads off as for a file.
        column = scan.dataset.to_table(columns=[name], filter=scan.condition, use_threads=False).column(0)
        return column.slice(scan.skip) if scan.skip else column

    def _read_parquet_column(self, name: str) -> pa.ChunkedArray:
        # A ParquetFile is not safe to share between threads: one per worker thread, so
        # columns are read in parallel (the columns already run one per thread, so arrow's
        # own thread pool would only contend with them).
        handle = getattr(self._local, "parquet", None)
        if handle is None:
            handle = self._local.parquet = _open_parquet(self.path, self.schema)
        return handle.read(columns=[name], use_threads=False).column(0)

    def numeric(self, name: str) -> npt.NDArray[np.float64]:
        return to_float64(self.column(name), where=f"{self.path}: column {name!r}")

    def category_counts(self, name: str) -> tuple[dict[str, int], int]:
        try:
            return category_counts(self.column(name))
        except (UnicodeDecodeError, pa.ArrowInvalid) as error:
            # Readers do not validate text: a JSON or Parquet string with bytes that are not UTF-8
            # fails only here, when the values are decoded.
            raise DataError(not_text_message(self.path, name)) from error


def is_bytes(dtype: pa.DataType) -> bool:
    return bool(pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_fixed_size_binary(dtype))


def not_text_message(path: str, column: str) -> str:
    return (f"{path}: column {column!r} holds bytes that are not UTF-8 text, so it can be neither compared nor "
            f"skipped unnoticed: write it as UTF-8 (a CSV in another encoding: iconv -f LATIN1 -t UTF-8), or leave "
            f"it out by listing the features to check (spec.features, or --columns)")


def is_text(dtype: pa.DataType) -> bool:
    return bool(pa.types.is_string(dtype) or pa.types.is_large_string(dtype))


def _open_parquet(path: str, schema: pa.Schema | None = None) -> pq.ParquetFile:
    """Text columns are read dictionary-encoded (as Parquet stores them): counting
    categories then costs a bincount of small integers, not hashing every string."""
    schema = schema if schema is not None else pq.read_schema(path)
    text = [f.name for f in schema if is_text(f.type)
            or (pa.types.is_dictionary(f.type) and is_text(f.type.value_type))]
    return pq.ParquetFile(path, read_dictionary=text)


def open_table(path: str, *, format: str | None = None) -> Table:
    """Open a data file; raises :class:`DataError` naming the file and the fix."""
    local = path[len("file://"):] if path.startswith("file://") else path
    fmt = detect_format(local, format)
    if not os.path.exists(local):
        raise DataError(f"{local}: no such file; check the path (relative paths start from {os.getcwd()})")
    if os.path.isdir(local):
        raise DataError(f"{local}: is a directory; point at a {fmt} file")
    try:
        if fmt == "parquet":
            parquet = _open_parquet(local)
            require_unique_names(local, parquet.schema_arrow)
            return Table(path=local, format=fmt, schema=parquet.schema_arrow,
                         num_rows=parquet.metadata.num_rows, _parquet=parquet)
        table = _read_text(local, fmt)
        schema = table.schema
    except DataError:
        raise
    except (pa.ArrowException, OSError, ValueError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{local}: cannot read as {fmt}: {first_line}. {_fix_for(first_line)}") from error
    require_unique_names(local, schema)
    return Table(path=local, format=fmt, schema=schema, num_rows=table.num_rows, _table=table)


def _fix_for(message: str) -> str:
    """What to do about a reader's error, by what the error says."""
    if "changed from" in message:  # JSON: one column, two types in different rows
        return ("A column holds values of different types in different rows (named above): give it one "
                "type in every row, e.g. quote the numbers, or write the data as CSV or Parquet")
    if "conversion error" in message:  # CSV: later rows do not parse as the type of the first ones
        return ("A column's later rows do not parse as the type of its first rows (named above): clean "
                "the column, or quote its values so that it is read as text")
    return "Check the file's format (or pass --input-format) and that it is not truncated"


def require_unique_names(path: str, schema: pa.Schema) -> None:
    """A column name given twice (``a,a,b``) is ambiguous: which one is ``a``? Say so, once."""
    seen: dict[str, int] = {}
    for name in schema.names:
        seen[name] = seen.get(name, 0) + 1
    repeated = [f"{name!r} ({count} times)" for name, count in seen.items() if count > 1]
    if repeated:
        raise DataError(f"{path}: column names repeated in the header: {', '.join(repeated[:5])}; "
                        f"rename or drop the duplicates so each column has one name")


def _read_text(path: str, fmt: Format) -> pa.Table:
    if fmt == "jsonl":
        return pa_json.read_json(path)
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    return pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(delimiter=delimiter))


def to_float64(column: pa.ChunkedArray, *, where: str) -> npt.NDArray[np.float64]:
    """A numeric column as float64 with nulls as NaN (zero-copy when it already is)."""
    if pa.types.is_null(column.type):
        return np.full(len(column), np.nan)
    if not (pa.types.is_floating(column.type) and column.type.bit_width == 64):
        try:
            column = pc.cast(column, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            if pa.types.is_integer(column.type):
                raise IdentifierColumn(
                    f"{where}: integers beyond 2^53 ({FLOAT64_EXACT_INTEGER:,}), which no float holds exactly: "
                    f"ids or hashes, not measured, so not judged; declare it categorical in features to "
                    f"compare its values") from error
            raise DataError(f"{where}: cannot read as numbers ({error}); declare it categorical") from error
    if column.num_chunks == 1 and column.null_count == 0:
        return column.chunk(0).to_numpy(zero_copy_only=True)
    return column.to_numpy()


def category_counts(column: pa.ChunkedArray) -> tuple[dict[str, int], int]:
    """Counts of each category (as text) and the number of missing values."""
    missing = column.null_count
    if pa.types.is_dictionary(column.type) and is_text(column.type.value_type):
        return _dictionary_counts(column), int(missing)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    counted = pc.value_counts(column.drop_null())
    values = counted.field("values").to_pylist()
    counts = counted.field("counts").to_pylist()
    pairs = sorted(zip(values, counts), key=lambda pair: (-pair[1], pair[0]))
    return {str(v): int(c) for v, c in pairs}, int(missing)


def _dictionary_counts(column: pa.ChunkedArray) -> dict[str, int]:
    totals: dict[str, int] = {}
    for chunk in column.chunks:
        indices = chunk.indices.drop_null().to_numpy(zero_copy_only=False)
        per_index = np.bincount(indices, minlength=len(chunk.dictionary))
        for value, count in zip(chunk.dictionary.to_pylist(), per_index.tolist()):
            if count:
                totals[str(value)] = totals.get(str(value), 0) + int(count)
    return dict(sorted(totals.items(), key=lambda pair: (-pair[1], pair[0])))


def window(table: Table, *, rows: int | None = None, seconds: float | None = None,
           timestamp_column: str | None = None, now: float | None = None) -> Table:
    """The current window: the last ``rows`` rows, and/or rows within ``seconds`` before ``now``."""
    if rows is None and seconds is None:
        return table
    data = table._table if table._table is not None else table._parquet.read()  # type: ignore[union-attr]
    if seconds is not None:
        if timestamp_column is None or timestamp_column not in data.column_names:
            raise DataError(f"{table.path}: window.timestampColumn {timestamp_column!r} is not a column; "
                            f"name the column holding each row's time")
        stamps = data.column(timestamp_column)
        if not pa.types.is_timestamp(stamps.type):
            try:
                stamps = pc.cast(stamps, pa.timestamp("us", tz="UTC"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise DataError(f"{table.path}: column {timestamp_column!r} is not a timestamp ({error})") from error
        cutoff = pa.scalar(int(((now or 0.0) - seconds) * 1_000_000), type=pa.timestamp("us", tz="UTC"))
        stamps = pc.cast(stamps, pa.timestamp("us", tz="UTC"))
        data = data.filter(pc.greater_equal(stamps, cutoff))
    if rows is not None and data.num_rows > rows:
        data = data.slice(data.num_rows - rows)
    return Table(path=table.path, format=table.format, schema=data.schema, num_rows=data.num_rows, _table=data)
