"""The check job's own path (check_job.check_data) over partitioned logs: the drift window, the
performance span and the late ground truth read only what their windows need.

Partitions outside the windows are overwritten with garbage: reading any of them would fail the
check, so a passing check proves they were never opened. The expected figures are computed from
the written tables with pyarrow and numpy, independently of the product's readers.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelmon import check_job
from modelmon.api.monitor import parse_spec
from modelmon.data.errors import DataError

START = datetime.datetime(2026, 12, 1, 0, tzinfo=datetime.UTC)
HOURS = 12
PER_HOUR = 400


def hourly(root: Path, tables: list[pa.Table], *, start: datetime.datetime = START) -> None:
    for hour, table in enumerate(tables):
        moment = start + datetime.timedelta(hours=hour)
        folder = root / f"date={moment:%Y-%m-%d}" / f"hour={moment:%H}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet", row_group_size=100)


def spoil_before(root: Path, *, hour: int) -> int:
    spoiled = 0
    for path in root.rglob("*.parquet"):
        if int(path.parent.name.split("=")[1]) < hour:
            path.write_bytes(b"garbage: this partition is outside the window")
            spoiled += 1
    return spoiled


@pytest.fixture
def log(tmp_path: Path) -> dict[str, object]:
    rng = np.random.default_rng(11)
    predictions, labels = [], []
    for hour in range(HOURS):
        base = int((START + datetime.timedelta(hours=hour)).timestamp() * 1e6)
        ids = [f"r{hour}-{i}" for i in range(PER_HOUR)]
        truth = rng.integers(0, 2, PER_HOUR)
        # The model is right 90% of the time before 06:00 and 60% after: the late window decays.
        right = rng.random(PER_HOUR) < (0.9 if hour < 6 else 0.6)
        predictions.append(
            pa.table(
                {
                    "timestamp": pa.array(
                        base + np.sort(rng.integers(0, 3_600_000_000, PER_HOUR)), pa.timestamp("us", "UTC")
                    ),
                    "id": ids,
                    "x": rng.normal(0 if hour < 9 else 3, 1, PER_HOUR),
                    "prediction": np.where(right, truth, 1 - truth),
                }
            )
        )
        labels.append(pa.table({"id": ids, "label": truth}))  # each label arrives in the hour of its prediction
    reference = tmp_path / "reference.parquet"
    pq.write_table(pa.table({"x": rng.normal(0, 1, 5000)}), reference)
    hourly(tmp_path / "preds", predictions)
    hourly(tmp_path / "labels", labels)
    return {"root": tmp_path, "predictions": pa.concat_tables(predictions), "labels": pa.concat_tables(labels)}


def spec_for(root: Path, **current: object) -> object:
    return parse_spec(
        {
            "model": {"name": "m"},
            "reference": {"uri": f"file://{root}/reference.parquet"},
            "current": {"uri": f"file://{root}/preds/", "timePartitions": {}, **current},
            "features": [{"name": "x", "type": "numeric"}],
            "performance": {
                "task": "classification",
                "predictionColumn": "prediction",
                "targetColumn": "label",
                "timestampColumn": "timestamp",
                "baseline": {"accuracy": 0.9},
                "minSamples": 30,
                "windows": [{"duration": "1h"}, {"duration": "3h"}],
                "groundTruth": {"uri": f"file://{root}/labels/", "idColumn": "id", "timePartitions": {}},
            },
        }
    )


NOW = (START + datetime.timedelta(hours=HOURS)).timestamp()  # 12:00, the end of the log


def test_duration_windows_read_only_their_partitions(log):
    root = log["root"]
    assert spoil_before(root / "preds", hour=9) == 9 and spoil_before(root / "labels", hour=9) == 9
    spec = spec_for(root, window={"duration": "2h", "timestampColumn": "timestamp"})
    report, performance, _ = check_job.check_data(spec, namespace="ns", clock=lambda: NOW)

    predictions = log["predictions"]
    times = predictions.column("timestamp").cast(pa.int64()).to_numpy() / 1e6
    in_drift = times >= NOW - 7200
    assert report.current_rows == int(in_drift.sum())
    assert report.features[0].current_rows == int(in_drift.sum())
    labels = log["labels"]
    truth = dict(zip(labels.column("id").to_pylist(), labels.column("label").to_pylist()))
    for window, seconds in (("last 1h", 3600), ("last 3h", 10800)):
        inside = times >= NOW - seconds
        ids = np.asarray(predictions.column("id").to_pylist())[inside]
        predicted = predictions.column("prediction").to_numpy()[inside]
        expected = float(np.mean([p == truth[i] for p, i in zip(predicted, ids)]))
        verdict = next(v for v in performance.metrics if v.window == window)
        assert verdict.samples == int(inside.sum())
        assert verdict.value == pytest.approx(expected)


def test_a_row_window_reads_only_the_newest_partitions(log):
    root = log["root"]
    spoil_before(root / "preds", hour=10)
    spec = spec_for(root, window={"rows": 600})
    spec = spec.model_copy(update={"performance": None})
    report, _, _ = check_job.check_data(spec, namespace="ns", clock=lambda: NOW)
    assert report.current_rows == 600


def test_without_time_partitions_every_partition_is_read(log):
    # The same spoiled log fails when the window cannot be pushed to the partitions: what the
    # tests above pass on is the pruning, not luck.
    root = log["root"]
    spoil_before(root / "preds", hour=9)
    spec = spec_for(root, window={"duration": "2h", "timestampColumn": "timestamp"})
    spec = spec.model_copy(
        update={"current": spec.current.model_copy(update={"time_partitions": None}), "performance": None}
    )
    with pytest.raises(DataError, match=r"preds/: cannot count the rows of the window: .*magic bytes"):
        check_job.check_data(spec, namespace="ns", clock=lambda: NOW)


def accuracy_of_last(predictions: pa.Table, labels: pa.Table, rows: int) -> tuple[float, int]:
    truth = dict(zip(labels.column("id").to_pylist(), labels.column("label").to_pylist()))
    pairs = [
        (p, truth[i])
        for i, p in zip(predictions.column("id").to_pylist(), predictions.column("prediction").to_pylist())
        if i in truth
    ]
    last = pairs[-rows:]
    return float(np.mean([p == t for p, t in last])), len(pairs)


def row_windows_spec(root: Path, *, truth: str = "labels") -> object:
    return parse_spec(
        {
            "model": {"name": "m"},
            "reference": {"uri": f"file://{root}/reference.parquet"},
            "current": {"uri": f"file://{root}/preds/", "timePartitions": {}, "window": {"rows": 100}},
            "features": [{"name": "x", "type": "numeric"}],
            "performance": {
                "task": "classification",
                "predictionColumn": "prediction",
                "targetColumn": "label",
                "baseline": {"accuracy": 0.9},
                "windows": [{"rows": 50}, {"rows": 100}, {"rows": 200}],
                "groundTruth": {"uri": f"file://{root}/{truth}/", "idColumn": "id"},
            },
        }
    )


def test_row_windows_read_only_the_newest_predictions(log):
    root = log["root"]
    spoil_before(root / "preds", hour=10)  # 4 x the largest window (200): the last two hours are enough
    _, performance, _ = check_job.check_data(row_windows_spec(root), namespace="ns", clock=lambda: NOW)
    for rows in (50, 100, 200):
        expected, _ = accuracy_of_last(log["predictions"], log["labels"], rows)
        verdict = next(v for v in performance.metrics if v.window == f"last {rows}")
        assert (verdict.samples, verdict.value) == (rows, pytest.approx(expected))


def test_row_windows_read_further_back_while_labels_lag(log):
    # Labels only for the predictions before 08:00: the newest spans hold none, so reading goes
    # back until it finds them, and the verdicts are those of the whole data.
    root = log["root"]
    labels = log["labels"].slice(0, 8 * PER_HOUR)
    hourly(root / "late-labels", [labels.slice(h * PER_HOUR, PER_HOUR) for h in range(8)])
    _, performance, _ = check_job.check_data(
        row_windows_spec(root, truth="late-labels"), namespace="ns", clock=lambda: NOW
    )
    assert (performance.labelled, performance.unlabelled) == (8 * PER_HOUR, 4 * PER_HOUR)
    for rows in (50, 100, 200):
        expected, _ = accuracy_of_last(log["predictions"], labels, rows)
        verdict = next(v for v in performance.metrics if v.window == f"last {rows}")
        assert (verdict.samples, verdict.value) == (rows, pytest.approx(expected))


def test_partition_keys_are_not_new_columns(log):
    root = log["root"]
    spec = spec_for(root, window={"rows": 500}).model_copy(update={"features": None, "performance": None})
    report, _, _ = check_job.check_data(spec, namespace="ns", clock=lambda: NOW)
    new = sorted(issue.column for issue in report.quality_issues if issue.check == "newColumn")
    assert new == ["id", "prediction", "timestamp"]  # in the log, not in the reference; date and hour are paths
