"""Sources that are directories, globs and hive-partitioned datasets, and windows pushed down to them.

Every read goes through a filesystem that records what it opens (tests/support/counting_fs.py),
so "files outside the window are never opened" is observed. Expected values come from reading
the whole dataset with pyarrow and cutting the window in memory: an independent reference.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pa_fs
import pyarrow.parquet as pq
import pytest

from modelmon.api.sources import DataSource, TimePartitions
from modelmon.data import datasets, filesystems
from modelmon.data.errors import DataError
from modelmon.data.filesystems import Located

from support.counting_fs import counting

START = datetime.datetime(2026, 12, 1, 6, tzinfo=datetime.UTC)
HOURS = 8
ROWS_PER_FILE = 1000


def write_log(root: Path, *, hours: int = HOURS, parts: int = 1, row_group_size: int = 250) -> pa.Table:
    """A prediction log in the collector's layout: date=YYYY-MM-DD/hour=HH/part-N.parquet, a
    ``timestamp`` (us, UTC) and an ``id`` column; returns everything written, in time order."""
    rng = np.random.default_rng(7)
    written = []
    for hour in range(hours):
        moment = START + datetime.timedelta(hours=hour)
        for part in range(parts):
            offsets = np.sort(rng.integers(0, 3_600_000_000 // parts, ROWS_PER_FILE)) + part * (3_600_000_000 // parts)
            micros = int(moment.timestamp()) * 1_000_000 + offsets
            n = len(written) * ROWS_PER_FILE
            table = pa.table(
                {
                    "timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")),
                    "id": pa.array([f"p{n + i}" for i in range(ROWS_PER_FILE)]),
                    "x": rng.normal(hour, 1.0, ROWS_PER_FILE),
                    "colour": pa.array(rng.choice(["red", "green"], ROWS_PER_FILE)),
                    "prediction": rng.integers(0, 2, ROWS_PER_FILE),
                }
            )
            folder = root / f"date={moment:%Y-%m-%d}" / f"hour={moment:%H}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / f"part-{part}.parquet", row_group_size=row_group_size)
            written.append(table)
    return pa.concat_tables(written)


def opened(handler, root: Path) -> set[str]:
    return {str(Path(p).relative_to(root).parent) for p in handler.opened}


@pytest.fixture
def log(tmp_path: Path) -> tuple[Path, pa.Table]:
    root = tmp_path / "log"
    return root, write_log(root)


def test_a_directory_is_one_dataset_with_its_partition_keys(log):
    root, written = log
    table = datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}")))
    assert table.num_rows == written.num_rows
    assert table.columns == ["timestamp", "id", "x", "colour", "prediction"]
    assert table.schema.names[-2:] == ["date", "hour"]  # the partition keys: readable, not features
    np.testing.assert_array_equal(table.numeric("x"), written.column("x").to_numpy())  # time order kept
    assert table.column("hour").to_pylist()[::ROWS_PER_FILE] == list(range(6, 6 + HOURS))
    assert table.category_counts("colour")[0] == {
        v: c
        for v, c in zip(*[pc.value_counts(written.column("colour")).field(f).to_pylist() for f in ("values", "counts")])
    }


def test_a_glob_selects_files_at_any_depth(log):
    root, written = log
    hours = datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}/**/hour=1[0-3]/*.parquet")))
    assert hours.num_rows == 4 * ROWS_PER_FILE
    assert sorted(set(hours.column("hour").to_pylist())) == [10, 11, 12, 13]  # keys still parsed from the paths
    one = datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}/date=2026-12-01/hour=0?/*.parquet")))
    assert sorted(set(one.column("hour").to_pylist())) == [6, 7, 8, 9]
    with pytest.raises(DataError, match="no file matches the glob"):
        datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}/**/*.csv")))


def test_segment_glob():
    assert datasets.matches("a/b/c.parquet".split("/"), "a/**/*.parquet".split("/"))
    assert datasets.matches("a/c.parquet".split("/"), "a/**/*.parquet".split("/"))
    assert not datasets.matches("a/b/c.parquet".split("/"), "a/*.parquet".split("/"))


def test_opening_a_history_reads_only_the_newest_footer(log):
    root, _ = log
    filesystem, handler = counting(pa_fs.LocalFileSystem())
    table = datasets.open_dataset(Located(filesystem, str(root), f"file://{root}"), count=False)
    assert table.num_rows == datasets.UNCOUNTED
    assert opened(handler, root) == {"date=2026-12-01/hour=13"}


def test_a_duration_window_never_opens_partitions_before_it(log):
    root, written = log
    filesystem, handler = counting(pa_fs.LocalFileSystem())
    table = datasets.open_dataset(Located(filesystem, str(root), f"file://{root}"), count=False)
    now = (START + datetime.timedelta(hours=HOURS)).timestamp()  # 14:00, just after the last row
    window = datasets.window(
        table, seconds=2.5 * 3600, timestamp_column="timestamp", time_partitions=TimePartitions(), now=now
    )
    values = window.numeric("x")
    inside = pc.greater_equal(
        written.column("timestamp"), pa.scalar(int((now - 9000) * 1e6), pa.timestamp("us", "UTC"))
    )
    expected = written.filter(inside)
    assert window.num_rows == expected.num_rows > 0
    np.testing.assert_array_equal(values, expected.column("x").to_numpy())
    # 11:30 onwards: hour 11 (part of it), 12 and 13; hours 6-10 never opened.
    assert opened(handler, root) == {"date=2026-12-01/hour=11", "date=2026-12-01/hour=12", "date=2026-12-01/hour=13"}


def test_partitions_outside_the_window_may_even_be_corrupt(log):
    root, _ = log
    for old in root.glob("date=2026-12-01/hour=0*/*.parquet"):
        old.write_bytes(b"not parquet at all")
    table = datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}")), count=False)
    window = datasets.window(
        table, seconds=3600, time_partitions=TimePartitions(), now=(START + datetime.timedelta(hours=HOURS)).timestamp()
    )
    assert window.num_rows == ROWS_PER_FILE  # the partition of 13:00, by its key alone
    assert set(window.column("hour").to_pylist()) == {13}
    with pytest.raises(DataError, match="Parquet magic bytes not found"):
        datasets.counted(table)  # the whole history does open them


def test_last_rows_open_only_the_newest_files_and_row_groups(tmp_path):
    root = tmp_path / "log"
    written = write_log(root, parts=2, row_group_size=100)
    filesystem, handler = counting(pa_fs.LocalFileSystem())
    table = datasets.open_dataset(Located(filesystem, str(root), f"file://{root}"), count=False)
    window = datasets.window(table, rows=1250, now=0)
    assert window.num_rows == 1250
    np.testing.assert_array_equal(window.numeric("x"), written.column("x").to_numpy()[-1250:])
    assert window.column("id").to_pylist() == written.column("id").to_pylist()[-1250:]
    assert opened(handler, root) == {"date=2026-12-01/hour=13"}
    # Of part-0 (1000 rows in 10 row groups), 250 rows are needed: 3 row groups, and 50 rows skipped.
    assert window._scan is not None and window._scan.skip == 50
    fragments = list(window._scan.dataset.get_fragments())
    assert [len(f.row_groups) for f in fragments] == [3, 10]


def wide_file(path: Path, *, rows: int = 100_000) -> None:
    """Six columns of a few MB: larger than the reader's speculative footer read (64 KiB)."""
    rng = np.random.default_rng(3)
    pq.write_table(
        pa.table({"id": np.arange(rows), **{f"f{i}": rng.normal(size=rows) for i in range(5)}}),
        path,
        row_group_size=10_000,
    )


def test_a_column_is_read_alone(tmp_path):
    (tmp_path / "date=2026-12-01").mkdir()
    path = tmp_path / "date=2026-12-01" / "part-0.parquet"
    wide_file(path)
    filesystem, handler = counting(pa_fs.LocalFileSystem())
    table = datasets.open_dataset(Located(filesystem, str(tmp_path), f"file://{tmp_path}"))
    before = handler.bytes_read
    assert table.numeric("f3").size == 100_000
    # One column of six, plus the footer.
    assert handler.bytes_read - before < path.stat().st_size / 4


def test_time_partitions_must_be_in_the_paths(log):
    root, _ = log
    table = datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}")), count=False)
    with pytest.raises(DataError, match=r"timePartitions names 'day'.*partition keys: date, hour"):
        datasets.window(table, seconds=60, time_partitions=TimePartitions(date_key="day"), now=0)


def test_a_single_parquet_file_windowed_reads_only_its_window(tmp_path):
    path = tmp_path / "one.parquet"
    table = pa.table({"x": np.arange(10_000, dtype=float)})
    pq.write_table(table, path, row_group_size=1000)
    from modelmon.data import tables

    window = datasets.window(tables.open_table(str(path)), rows=1500, now=0)
    assert window.num_rows == 1500
    np.testing.assert_array_equal(window.numeric("x"), np.arange(8500, 10_000, dtype=float))
    assert window._scan is not None and [len(f.row_groups) for f in window._scan.dataset.get_fragments()] == [2]


def test_ids_restrict_a_ground_truth_dataset(tmp_path):
    (tmp_path / "date=2026-12-01").mkdir()
    path = tmp_path / "date=2026-12-01" / "labels.parquet"
    wide_file(path)
    filesystem, handler = counting(pa_fs.LocalFileSystem())
    truth = datasets.open_dataset(Located(filesystem, str(tmp_path), f"file://{tmp_path}"), count=False)
    only = datasets.only_ids(truth, "id", pa.array(["5", "17", "94000"]))
    before = handler.bytes_read
    assert only.column("id").to_pylist() == [5, 17, 94000]
    assert only.numeric("f1").size == 3
    # Row groups 0 and 9 of 10 hold them: the others are skipped by their statistics.
    assert handler.bytes_read - before < path.stat().st_size / 4


def test_azure_filesystem_from_spec_and_secret_environment():
    key = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="
    source = DataSource.model_validate(
        {"uri": "az://predictions/credit/", "azure": {"accountName": "mlstore1", "endpoint": "http://127.0.0.1:10000"}}
    )
    located = filesystems.locate(source, environ={filesystems.AZURE_ACCOUNT_KEY: key})
    assert isinstance(located.filesystem, pa_fs.AzureFileSystem)
    assert located.path == "predictions/credit"
    options = located.filesystem.__reduce__()[1][0]
    assert (
        options["account_name"],
        options["account_key"],
        options["blob_storage_authority"],
        options["blob_storage_scheme"],
    ) == ("mlstore1", key, "127.0.0.1:10000", "http")
    sas = filesystems.locate(source, environ={filesystems.AZURE_SAS_TOKEN: "sv=2024&sig=abc"}).filesystem
    assert sas.__reduce__()[1][0]["sas_token"] == "sv=2024&sig=abc"
    principal = filesystems.locate(source, environ=dict(zip(filesystems.AZURE_CLIENT, ["c", "s", "t"]))).filesystem
    assert [principal.__reduce__()[1][0][k] for k in ("client_id", "client_secret", "tenant_id")] == ["c", "s", "t"]
    default = filesystems.locate(source, environ={}).filesystem.__reduce__()[1][0]
    assert default["account_key"] == default["sas_token"] == default["client_secret"] == ""


def test_gcs_filesystem_from_spec():
    emulator = filesystems.locate(
        DataSource.model_validate(
            {"uri": "gs://ml-logs/preds/**/*.parquet", "gcs": {"endpoint": "http://127.0.0.1:4443"}}
        ),
        environ={},
    )
    assert isinstance(emulator.filesystem, pa_fs.GcsFileSystem)
    options = emulator.filesystem.__reduce__()[1][0]
    assert (options["anonymous"], options["scheme"], options["endpoint_override"]) == (True, "http", "127.0.0.1:4443")
    assert emulator.path == "ml-logs/preds/**/*.parquet"
    google = filesystems.locate(DataSource(uri="gs://ml-logs/preds/"), environ={}).filesystem
    assert google.__reduce__()[1][0]["anonymous"] is False  # Workload Identity / default credentials


def test_cloud_options_belong_to_their_scheme():
    with pytest.raises(ValueError, match="needs azure.accountName"):
        DataSource.model_validate({"uri": "az://c/p"})
    with pytest.raises(ValueError, match="gcs applies only to a gs:// uri"):
        DataSource.model_validate({"uri": "s3://bucket/p/", "gcs": {}})


def test_s3_filesystem_takes_the_spec_endpoint():
    located = filesystems.locate(
        DataSource.model_validate(
            {"uri": "s3://ml-logs/preds/", "s3": {"endpoint": "http://127.0.0.1:9000", "region": "eu-west-1"}}
        ),
        environ={},
    )
    assert isinstance(located.filesystem, pa_fs.S3FileSystem)
    assert located.path == "ml-logs/preds"
    assert located.filesystem.region == "eu-west-1"


def test_dataset_is_a_pyarrow_dataset(log):
    # The reading is pyarrow's own (no hand-made listing): the scan is a FileSystemDataset.
    root, _ = log
    table = datasets.open_dataset(filesystems.locate(DataSource(uri=f"file://{root}")))
    assert table._scan is not None and isinstance(table._scan.dataset, ds.FileSystemDataset)


def test_the_collectors_log_is_a_source(tmp_path):
    """What modelmon collect and its PredictionLog helper write is read with timePartitions: {}."""
    from modelmon.collector.capture import PredictionLog

    root = tmp_path / "kserve" / "ml" / "credit"
    with PredictionLog(str(root), flush_rows=10**6) as log:
        for hour in range(5):
            for i in range(100):
                moment = START + datetime.timedelta(hours=hour, seconds=30 * i)
                log.log(
                    id=f"{hour}-{i}", features={"age": 20 + i, "region": "west"}, prediction=i % 2, timestamp=moment
                )
    (root / "date=2026-12-01" / "hour=10" / ".part-unfinished.parquet").write_bytes(b"being written")
    for uri in (f"file://{root}/", f"file://{root}/**/*.parquet"):
        table = datasets.open_dataset(filesystems.locate(DataSource(uri=uri)), count=False)
        window = datasets.window(
            table,
            seconds=7200,
            timestamp_column="timestamp",
            time_partitions=TimePartitions(),
            now=(START + datetime.timedelta(hours=5)).timestamp(),
        )
        assert window.num_rows == 200
        assert sorted(set(window.column("hour").to_pylist())) == [9, 10]
        assert window.numeric("age").mean() == pytest.approx(20 + 49.5)


def test_credentials_in_an_endpoint_variable_are_not_taken_for_the_host():
    environ = {"AWS_ENDPOINT_URL": "http://user:pa55word@minio.storage:9000"}
    located = filesystems.locate(DataSource(uri="s3://ml-logs/preds/"), environ=environ)
    options = located.filesystem.__reduce__()[1][0]
    assert options["endpoint_override"] == "minio.storage:9000" and options["scheme"] == "http"
    assert "pa55word" not in repr(options)


def test_a_pyarrow_without_azure_is_named(monkeypatch):
    monkeypatch.delattr(pa_fs, "AzureFileSystem")
    source = DataSource.model_validate({"uri": "az://predictions/credit/", "azure": {"accountName": "mlstore1"}})
    with pytest.raises(DataError, match=r"^uri: this check's pyarrow .* has no Azure filesystem; run the check with"):
        filesystems.locate(source, environ={})
