"""modelmon.collector.capture: a model server logging its own predictions in the collector's layout."""

from __future__ import annotations

import ast
import datetime
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from modelmon.collector import capture

T0 = datetime.datetime(2026, 12, 1, 13, 30, tzinfo=datetime.UTC)


def test_predictions_land_in_hour_partitions_with_the_collectors_columns(tmp_path):
    with capture.PredictionLog(str(tmp_path), writer="server-0") as log:
        log.log(id="a", features={"age": 41, "city": "Oslo"}, prediction=0.8, timestamp=T0)
        log.log(
            id="b", features={"age": 35, "city": "Bergen"}, prediction=0.1, timestamp=T0 + datetime.timedelta(hours=1)
        )
        log.log(id="c", features={"age": 29, "city": "Oslo"}, prediction=[0.3, 0.7], timestamp=T0)
        assert not list(tmp_path.rglob("*.parquet"))  # buffered until close
    files = sorted(p.relative_to(tmp_path).parent.as_posix() for p in tmp_path.rglob("part-*.parquet"))
    assert files == ["date=2026-12-01/hour=13", "date=2026-12-01/hour=14"]
    assert not list(tmp_path.rglob(".*"))
    table = ds.dataset(str(tmp_path), format="parquet", partitioning="hive").to_table()
    rows = sorted(table.to_pylist(), key=lambda row: row["id"])
    assert [(r["id"], r["age"], r["city"], r["prediction"], r["prediction_1"]) for r in rows] == [
        ("a", 41, "Oslo", 0.8, None),
        ("b", 35, "Bergen", 0.1, None),
        ("c", 29, "Oslo", None, 0.7),
    ]
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("id").type == pa.string()


def test_written_every_flush_rows(tmp_path):
    log = capture.PredictionLog(str(tmp_path), flush_rows=2)
    log.log(id="a", features={"x": 1.0}, prediction=1, timestamp=T0)
    assert not list(tmp_path.rglob("*.parquet"))
    log.log(id="b", features={"x": 2.0}, prediction=0, timestamp=T0)
    assert len(list(tmp_path.rglob("part-*.parquet"))) == 1


def test_rows_that_could_not_be_written_stay_buffered(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    log = capture.PredictionLog(str(blocker / "preds"))
    log.log(id="a", features={"x": 1.0}, prediction=1, timestamp=T0)
    with pytest.raises(OSError):
        log.flush()
    log.root = str(tmp_path / "preds")
    [written] = log.flush()
    assert ds.dataset(written, format="parquet").to_table().column("id").to_pylist() == ["a"]


def test_a_naive_timestamp_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        capture.partition(datetime.datetime(2026, 12, 1))


def test_the_helper_imports_only_the_standard_library_and_pyarrow():
    tree = ast.parse(Path(capture.__file__).read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - set(sys.stdlib_module_names) == {"pyarrow"}, imported
