"""Datasets, not files: a source that is a file, a directory, a glob or a hive-partitioned
dataset, on any filesystem of :mod:`modelmon.data.filesystems`, read through ``pyarrow.dataset``.

The check's window is pushed down so that memory and time follow the window, not the
history: a duration prunes whole partitions by their keys (``timePartitions``) before any
file is opened, and row groups by their statistics on the timestamp column; the last N rows
open only the newest files (partition order), and of the oldest of them only the row groups
that hold the window. Every column is then read on its own (projection), as for one file.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pa_fs

from modelmon.api.durations import parse_duration
from modelmon.api.monitor import CurrentData
from modelmon.api.performance import PerformanceSpec
from modelmon.api.sources import TimePartitions
from modelmon.data import tables
from modelmon.data.errors import DataError
from modelmon.data.filesystems import Located

GLOB_CHARACTERS = frozenset("*?[")
UTC_MICROS = pa.timestamp("us", tz="UTC")
#: Performance's first span of predictions, in multiples of its largest row window, and its growth.
SPAN_START = 4
SPAN_GROWTH = 8


UNCOUNTED = -1


def open_dataset(located: Located, *, format: str | None = None, count: bool = True) -> tables.Table:
    """The data at ``located`` as a lazily read table; raises DataError naming the fix.

    Listing and hive partition keys come from pyarrow's dataset factory without opening a
    file; the columns come from the newest file's footer alone (the producer's current
    schema, and a file every window holds), so opening a long history reads one footer.
    Counting the rows reads every file's footer: a table that is about to be windowed is
    opened with ``count=False`` (``num_rows`` is then ``UNCOUNTED``) and counted by the window."""
    try:
        fmt, dataset, partitions = _discover(located, format=format)
    except DataError:
        raise
    except (pa.ArrowException, OSError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{located.uri}: cannot open as a dataset: {first}") from error
    tables.require_unique_names(located.uri, dataset.schema)
    scan = tables.Scan(dataset=dataset, partitions=partitions)
    return _table(located.uri, fmt, scan, rows=None if count else UNCOUNTED)


def _discover(located: Located, *, format: str | None) -> tuple[tables.Format, ds.FileSystemDataset, pa.Schema]:
    filesystem, path = located.filesystem, located.path
    hive = ds.HivePartitioning.discover()
    fmt: tables.Format
    if is_glob(path):
        base = _glob_base(path)
        paths = _matching(filesystem, base=base, pattern=path)
        if not paths:
            raise DataError(f"{located.uri}: no file matches the glob; check the pattern and the prefix {base!r}")
        fmt = tables.detect_format(path, format) if format or _has_extension(path) else "parquet"
        factory = ds.FileSystemDatasetFactory(
            filesystem, paths, _format(fmt), ds.FileSystemFactoryOptions(partition_base_dir=base, partitioning=hive)
        )
    else:
        info = filesystem.get_file_info(path)
        if info.type == pa_fs.FileType.NotFound:
            raise DataError(f"{located.uri}: no such file or directory; check the path")
        if info.type == pa_fs.FileType.File:
            fmt = tables.detect_format(path, format)
            factory = ds.FileSystemDatasetFactory(filesystem, [path], _format(fmt), ds.FileSystemFactoryOptions())
        else:
            fmt = tables.detect_format("", format) if format else "parquet"
            factory = ds.FileSystemDatasetFactory(
                filesystem,
                pa_fs.FileSelector(path, recursive=True),
                _format(fmt),
                ds.FileSystemFactoryOptions(partition_base_dir=path, partitioning=hive),
            )
    partitions = factory.inspect(fragments=0)  # the keys in the paths: no file is opened
    fragments = sorted(factory.finish(partitions).get_fragments(), key=lambda f: _fragment_order(f, partitions.names))
    if not fragments:
        raise DataError(f"{located.uri}: holds no {fmt} file; check the path (files starting with . or _ are skipped)")
    physical = _format(fmt).inspect(fragments[-1].path, filesystem)
    text = [f.name for f in physical if tables.is_text(f.type)] if fmt == "parquet" else []
    reader = _format(fmt, dictionary=text)
    fields = [pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in text else f for f in physical]
    fields += [f for f in partitions if f.name not in physical.names]
    # Re-made with the read options, in time order, from the paths already listed: no second listing.
    remade = [reader.make_fragment(f.path, filesystem, f.partition_expression) for f in fragments]
    return fmt, ds.FileSystemDataset(remade, pa.schema(fields), reader, filesystem), partitions


def counted(table: tables.Table) -> tables.Table:
    """``table`` with its rows counted (see :func:`open_dataset`)."""
    if table.num_rows != UNCOUNTED or table._scan is None:
        return table
    return _table(table.path, table.format, table._scan)


def _table(path: str, fmt: tables.Format, scan: tables.Scan, *, rows: int | None = None) -> tables.Table:
    """A table over ``scan``; its rows counted from footers (no condition) or from the
    condition's columns alone, unless already known."""
    if rows is None:
        try:
            rows = scan.dataset.count_rows(filter=scan.condition) - scan.skip
        except (pa.ArrowException, OSError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataError(f"{path}: cannot count the rows of the window: {first}") from error
    return tables.Table(
        path=path,
        format=fmt,
        schema=scan.dataset.schema,
        num_rows=rows,
        _scan=scan,
    )


def _format(fmt: str, *, dictionary: Sequence[str] = ()) -> ds.FileFormat:
    if fmt == "parquet":
        # Text read dictionary-encoded, as Parquet stores it (see tables._open_parquet): counting
        # categories is then a bincount of small integers, not hashing every string.
        return ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=list(dictionary)))
    if fmt == "jsonl":
        return ds.JsonFileFormat()
    return ds.CsvFileFormat()


def _has_extension(path: str) -> bool:
    try:
        tables.detect_format(path)
    except DataError:
        return False
    return True


def is_glob(path: str) -> bool:
    return any(c in GLOB_CHARACTERS for c in path)


def _glob_base(pattern: str) -> str:
    """The directory above the first segment holding a wildcard: where listing starts."""
    parts = pattern.split("/")
    fixed = [p for p in _until_glob(parts)]
    return "/".join(fixed)


def _until_glob(parts: Sequence[str]) -> list[str]:
    out = []
    for part in parts:
        if is_glob(part):
            break
        out.append(part)
    return out


def _matching(filesystem: pa_fs.FileSystem, *, base: str, pattern: str) -> list[str]:
    """Files under ``base`` matching ``pattern``, listed by the filesystem (one recursive listing)."""
    selector = pa_fs.FileSelector(base, recursive=True, allow_not_found=True)
    wanted = pattern.split("/")
    # As the dataset factory does for directories: names starting with "." or "_" are a writer's
    # temporary files or metadata, never data (the collector renames a hidden file into place).
    return sorted(
        info.path
        for info in filesystem.get_file_info(selector)
        if info.type == pa_fs.FileType.File
        and not any(part.startswith((".", "_")) for part in info.path[len(base) :].split("/") if part)
        and matches(info.path.split("/"), wanted)
    )


def matches(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    """Segment-wise glob: ``*``/``?``/``[...]`` within a segment, ``**`` for any number of segments."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(matches(parts[skip:], pattern[1:]) for skip in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and matches(parts[1:], pattern[1:])


def window(
    table: tables.Table,
    *,
    rows: int | None = None,
    seconds: float | None = None,
    timestamp_column: str | None = None,
    time_partitions: TimePartitions | None = None,
    now: float,
) -> tables.Table:
    """The window of ``table``: rows within ``seconds`` before ``now`` (by ``timestamp_column``
    and/or the partitions' time), then the last ``rows`` of those; pushed down to the files."""
    if rows is None and seconds is None:
        return counted(table)
    if table._scan is None and table._parquet is not None:
        located = Located(filesystem=pa_fs.LocalFileSystem(), path=table.path, uri=table.path)
        table = dataclasses.replace(open_dataset(located, format="parquet"), path=table.path)
    scan = table._scan
    if scan is None:  # CSV and JSON Lines are parsed whole anyway: cut the window in memory
        if seconds is not None and timestamp_column is None:
            raise DataError(
                f"{table.path}: timePartitions apply to a partitioned dataset; name "
                f"window.timestampColumn for a single file"
            )
        return tables.window(table, rows=rows, seconds=seconds, timestamp_column=timestamp_column, now=now)
    condition = scan.condition
    if seconds is not None:
        cutoff = now - seconds
        if time_partitions is not None:
            condition = _and(
                condition, partition_cutoff(scan.partitions, time_partitions, cutoff=cutoff, where=table.path)
            )
        if timestamp_column is not None:
            condition = _and(condition, time_cutoff(table.schema, timestamp_column, cutoff=cutoff, where=table.path))
    if rows is None:
        return _table(table.path, table.format, dataclasses.replace(scan, condition=condition))
    try:
        dataset, skip, total = last_rows(scan.dataset, rows=rows, condition=condition, partitions=scan.partitions)
    except (pa.ArrowException, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{table.path}: cannot read the window: {first}") from error
    return _table(
        table.path, table.format, dataclasses.replace(scan, dataset=dataset, condition=condition, skip=skip), rows=total
    )


def restrict(table: tables.Table, condition: ds.Expression) -> tables.Table:
    """``table`` with only the rows meeting ``condition`` (pushed down to the files' statistics)."""
    scan = table._scan
    if scan is None:
        return table
    return _table(
        table.path, table.format, dataclasses.replace(scan, condition=_and(scan.condition, condition)), rows=UNCOUNTED
    )


def _and(left: ds.Expression | None, right: ds.Expression) -> ds.Expression:
    return right if left is None else left & right


def time_cutoff(schema: pa.Schema, column: str, *, cutoff: float, where: str) -> ds.Expression:
    """``column >= cutoff``, written so the Parquet reader can skip row groups by their statistics."""
    if column not in schema.names:
        raise DataError(
            f"{where}: window.timestampColumn {column!r} is not a column; name the column holding each row's time"
        )
    kind = schema.field(column).type
    micros = int(round(cutoff * 1_000_000))
    if pa.types.is_timestamp(kind):
        # Naive timestamps are taken as UTC; compared in the column's own type, statistics apply.
        bound = (
            pc.cast(pa.scalar(micros, type=UTC_MICROS), pa.timestamp(kind.unit, tz=kind.tz), safe=False)
            if kind.tz
            else pa.scalar(micros, type=pa.timestamp("us")).cast(kind, safe=False)
        )
        return ds.field(column) >= bound
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return ds.field(column) >= pa.scalar(cutoff)  # epoch seconds
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ds.field(column).cast(UTC_MICROS) >= pa.scalar(micros, type=UTC_MICROS)
    raise DataError(
        f"{where}: column {column!r} is {kind}, not a timestamp; point window.timestampColumn at "
        f"a timestamp, ISO-8601 text or epoch seconds"
    )


def partition_cutoff(partitions: pa.Schema, keys: TimePartitions, *, cutoff: float, where: str) -> ds.Expression:
    """Partitions that can hold a row at or after ``cutoff``: a later date, or the same date and
    an hour at or after the cutoff's hour (UTC). Evaluated on partition keys only, so the files
    of every other partition are never opened."""
    names = partitions.names
    missing = [k for k in (keys.date_key, keys.hour_key) if k is not None and k not in names]
    if missing:
        raise DataError(
            f"{where}: timePartitions names {', '.join(repr(k) for k in missing)}, which the paths do not "
            f"hold as KEY=VALUE directories (partition keys: {', '.join(names) or 'none'}); fix "
            f"timePartitions"
        )
    moment = datetime.datetime.fromtimestamp(cutoff, tz=datetime.UTC)
    date_type = partitions.field(keys.date_key).type
    day = (
        pa.scalar(moment.date(), type=pa.date32()).cast(date_type)
        if pa.types.is_date(date_type)
        else pa.scalar(moment.date().isoformat()).cast(date_type)
    )
    date = ds.field(keys.date_key)
    if keys.hour_key is None:
        return date >= day
    hour_type = partitions.field(keys.hour_key).type
    hour = pa.scalar(moment.hour).cast(hour_type)
    return (date > day) | ((date == day) & (ds.field(keys.hour_key) >= hour))


def last_rows(
    dataset: ds.Dataset, *, rows: int, condition: ds.Expression | None, partitions: pa.Schema
) -> tuple[ds.Dataset, int, int]:
    """A dataset of the newest files holding the last ``rows`` rows, how many of its first rows
    to skip, and how many rows the window holds. Files are ordered by their partition keys, then
    path; only the newest files' footers are read (with a row condition, only its columns)."""
    fragments = list(dataset.get_fragments(filter=condition))  # in time order (see _discover)
    chosen: list[ds.Fragment] = []
    have = 0
    for fragment in reversed(fragments):
        count = fragment.count_rows(filter=condition) if condition is not None else _rows_of(fragment)
        chosen.append(fragment)
        have += count
        if have >= rows:
            break
    chosen.reverse()
    skip = max(0, have - rows)
    if skip and condition is None and isinstance(chosen[0], ds.ParquetFileFragment):
        chosen[0], skip = _newest_row_groups(chosen[0], rows=_rows_of(chosen[0]) - skip)
    return ds.FileSystemDataset(chosen, dataset.schema, dataset.format, dataset.filesystem), skip, min(have, rows)


def _rows_of(fragment: ds.Fragment) -> int:
    if isinstance(fragment, ds.ParquetFileFragment):
        # From the footer alone (count_rows of a row-group subset reports the whole file).
        return sum(group.num_rows for group in fragment.row_groups)
    return int(fragment.count_rows())


def _newest_row_groups(fragment: ds.ParquetFileFragment, *, rows: int) -> tuple[ds.Fragment, int]:
    """The fewest last row groups of ``fragment`` holding ``rows`` rows, and the surplus to skip."""
    groups = fragment.row_groups
    kept: list[int] = []
    have = 0
    for group in reversed(groups):
        kept.append(group.id)
        have += group.num_rows
        if have >= rows:
            break
    return fragment.subset(row_group_ids=sorted(kept)), have - rows


def _fragment_order(fragment: ds.Fragment, names: Sequence[str]) -> tuple[tuple[str, ...], str]:
    keys = ds.get_partition_keys(fragment.partition_expression)
    # Hour 9 before hour 10 whether or not the producer zero-pads: numbers compared as numbers.
    ordered = tuple(f"{keys[n]:020d}" if isinstance(keys.get(n), int) else str(keys.get(n, "")) for n in names)
    return ordered, fragment.path


def current_window(table: tables.Table, source: CurrentData, *, now: float) -> tables.Table:
    """The check's window of the current data, as ``source.window`` asks (all of it when absent)."""
    win = source.window
    if win is None:
        return counted(table)
    return window(
        table,
        rows=win.rows,
        seconds=parse_duration(win.duration) if win.duration else None,
        timestamp_column=win.timestamp_column,
        time_partitions=source.time_partitions,
        now=now,
    )


def performance_lookback(spec: PerformanceSpec) -> float | None:
    """How far back performance needs predictions: its longest window when every window is a
    duration (a row window counts labelled predictions, which only reading can find)."""
    if not spec.windows or any(w.duration is None for w in spec.windows) or spec.timestamp_column is None:
        return None
    return max(parse_duration(w.duration) for w in spec.windows if w.duration is not None)


def performance_span(
    predictions: tables.Table,
    truth: tables.Table | None,
    *,
    spec: PerformanceSpec,
    time_partitions: TimePartitions | None,
    now: float,
) -> tuple[tables.Table, tables.Table | None]:
    """The predictions performance reads (its longest duration window, pushed down) and the
    ground truth that can label them: a label arrives after its prediction, so ground-truth
    partitions older than the span's start are skipped unopened."""
    seconds = performance_lookback(spec)
    if seconds is None:
        return predictions, truth
    predictions = window(
        predictions, seconds=seconds, timestamp_column=spec.timestamp_column, time_partitions=time_partitions, now=now
    )
    source = spec.ground_truth
    if truth is not None and source is not None and source.time_partitions is not None and truth._scan is not None:
        truth = window(truth, seconds=seconds, time_partitions=source.time_partitions, now=now)
    return predictions, truth


def only_ids(table: tables.Table, column: str, ids: pa.ChunkedArray | pa.Array) -> tables.Table:
    """``table`` with only the rows whose ``column`` is among ``ids`` (text), pushed down: a
    ground truth as large as its history is read, and held, only for the window's predictions."""
    if table._scan is None or column not in table.schema.names:
        return table
    wanted = pc.unique(ids.drop_null() if isinstance(ids, pa.Array) else pa.concat_arrays(ids.chunks).drop_null())
    kind = table.schema.field(column).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    field = ds.field(column)
    if pa.types.is_integer(kind):
        try:  # in the column's own type, so row-group statistics on sorted ids prune too
            return restrict(table, field.isin(pc.cast(wanted, kind)))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # an id that is no integer of that width: compared as text below
    if tables.is_text(kind):
        return restrict(table, field.isin(wanted))
    return table  # floats and others: matched as text after reading (ground_truth._ids)


def materialise(table: tables.Table) -> tables.Table:
    """A dataset of CSV or JSON Lines files read into memory once (text is parsed whole anyway)."""
    scan = table._scan
    if scan is None:
        return table
    try:
        data = scan.dataset.to_table(filter=scan.condition)
    except (pa.ArrowException, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{table.path}: cannot read as {table.format}: {first}") from error
    return tables.Table(path=table.path, format=table.format, schema=data.schema, num_rows=data.num_rows, _table=data)


def rows_needed(spec: PerformanceSpec) -> int | None:
    """Labelled predictions the performance windows need when all of them are row windows."""
    rows = [w.rows for w in spec.windows if w.rows is not None]
    return max(rows) if rows and len(rows) == len(spec.windows) else None


def performance_spans(predictions: tables.Table, spec: PerformanceSpec) -> Iterator[tuple[tables.Table, bool]]:
    """Spans of the newest predictions, smallest first, each with whether it is all of them.

    A row window counts *labelled* predictions, and which ones are labelled only reading tells:
    the newest ``4 x`` the largest window are read first, then eight times as many, and so on,
    until the caller finds enough labelled ones (pushed down like the drift window's last rows,
    so memory follows what the windows need, not the log's history). Reading grows
    geometrically, so the total read is at most ~1.15 times the last span. Predictions in
    partition order, as the drift window's last rows."""
    needed = rows_needed(spec)
    if needed is None or predictions._scan is None:
        yield predictions, True
        return
    span = SPAN_START * needed
    while True:
        piece = window(predictions, rows=span, now=0.0)
        whole = piece.num_rows < span
        yield piece, whole
        if whole:
            return
        span *= SPAN_GROWTH
