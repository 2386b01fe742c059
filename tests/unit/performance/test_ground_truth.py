"""Reading labelled predictions from files: columns by task, late ground truth joined on an
id, unlabelled predictions counted, time order, and unusable columns named with the fix."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from modelmon.api.performance import PerformanceSpec
from modelmon.data import ground_truth, tables


def csv(path: Path, columns: dict[str, list]) -> tables.Table:
    pa_csv.write_csv(pa.table(columns), path)
    return tables.open_table(str(path))


def spec(**extra) -> PerformanceSpec:
    return PerformanceSpec.model_validate({"task": "classification", "predictionColumn": "prediction",
                                           "targetColumn": "label", "baseline": {"accuracy": 0.7}, **extra})


def test_targets_in_the_same_file_empty_ones_are_unlabelled(tmp_path):
    table = csv(tmp_path / "p.csv", {"prediction": [1, 0, 1, 1], "label": [1, None, 0, None]})
    got = ground_truth.read_labelled(table, spec=spec())
    assert got.predictions.tolist() == ["1", "1"] and got.targets.tolist() == ["1", "0"]
    assert (got.labelled, got.unlabelled) == (2, 2)


def test_integer_and_text_labels_compare_equal(tmp_path):
    predictions = csv(tmp_path / "p.csv", {"id": [1, 2, 3], "prediction": [1, 0, 1]})
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"id": str(i), "label": str(v)}) + "\n"
                                              for i, v in ((1, 1), (2, 1), (3, 1))))
    truth = tables.open_table(str(tmp_path / "t.jsonl"))
    got = ground_truth.read_labelled(predictions, spec=spec(groundTruth={"uri": "file:///t", "idColumn": "id"}),
                                     ground_truth=truth)
    assert (got.predictions == got.targets).tolist() == [True, False, True]


def test_late_ground_truth_is_joined_on_the_id_last_value_wins(tmp_path):
    predictions = csv(tmp_path / "p.csv", {"request": ["a", "b", "c", "d", "e"],
                                           "prediction": ["x", "y", "x", "y", "x"]})
    truth = csv(tmp_path / "t.csv", {"request": ["c", "a", "a", "zz", "b"], "outcome": ["x", "y", "x", "y", None]})
    wanted = spec(groundTruth={"uri": "file:///t.csv", "idColumn": "request", "targetColumn": "outcome"})
    got = ground_truth.read_labelled(predictions, spec=wanted, ground_truth=truth)
    # a: corrected from y to x (last wins); b: empty target (an empty CSV cell); c: x; d, e: no row;
    # zz: no prediction
    assert got.predictions.tolist() == ["x", "x"] and got.targets.tolist() == ["x", "x"]
    assert got.unlabelled == 3


def test_regression_join_with_float_ids_and_numbers(tmp_path):
    predictions = csv(tmp_path / "p.csv", {"id": [10, 11, 12], "prediction": [1.5, 2.0, 3.0]})
    truth = csv(tmp_path / "t.csv", {"id": [12.0, 10.0], "y": [2.5, 1.0]})
    wanted = PerformanceSpec(task="regression", prediction_column="prediction", target_column="y",
                             baseline={"mae": 1.0}, ground_truth={"uri": "file:///t.csv", "idColumn": "id"})
    got = ground_truth.read_labelled(predictions, spec=wanted, ground_truth=truth)
    assert got.predictions.tolist() == [1.5, 3.0] and got.targets.tolist() == [1.0, 2.5]
    assert got.unlabelled == 1


def test_rows_are_ordered_by_the_timestamp_column(tmp_path):
    table = csv(tmp_path / "p.csv", {"ts": ["2026-11-23T10:02:00Z", "2026-11-23T10:00:00Z", "2026-11-23T10:01:00Z"],
                                     "prediction": [3, 1, 2], "label": [3, 1, 2]})
    got = ground_truth.read_labelled(table, spec=spec(timestampColumn="ts"))
    assert got.predictions.tolist() == ["1", "2", "3"]
    expected = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC).timestamp()
    assert got.times.tolist() == [expected, expected + 60, expected + 120]


def test_epoch_seconds_are_times_too(tmp_path):
    table = csv(tmp_path / "p.csv", {"ts": [30.0, 10.0, 20.0], "prediction": [3, 1, 2], "label": [3, 1, 2]})
    assert ground_truth.read_labelled(table, spec=spec(timestampColumn="ts")).times.tolist() == [10.0, 20.0, 30.0]


def test_parquet_dictionary_labels(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"prediction": ["a", "b"], "label": ["a", "a"]}), path)
    got = ground_truth.read_labelled(tables.open_table(str(path)), spec=spec())
    assert got.predictions.tolist() == ["a", "b"]


@pytest.mark.parametrize("columns,wanted,message", [
    ({"pred": [1], "label": [1]}, {}, "no column 'prediction' (performance.predictionColumn); columns: pred, label"),
    ({"prediction": [0.2, 0.9], "label": [0, 1]}, {},
     "holds non-integer numbers (scores or probabilities?): classification needs class labels"),
    ({"prediction": ["a", "b"], "label": [1.0, 2.0]}, {"task": "regression", "baseline": {"mae": 1}},
     "column 'prediction' (performance.predictionColumn) is string, but regression needs numbers"),
    ({"prediction": [1], "label": [1], "ts": ["yesterday"]}, {"timestampColumn": "ts"},
     "column 'ts' (performance.timestampColumn) is not a time"),
    ({"prediction": [1], "label": [1]}, {"groundTruth": {"uri": "file:///t.csv", "idColumn": "id"}},
     "no column 'id' (performance.groundTruth.idColumn)"),
], ids=["missing-column", "scores-as-labels", "text-for-regression", "bad-timestamp", "missing-id"])
def test_unusable_columns_are_named_with_the_fix(tmp_path, columns, wanted, message):
    table = csv(tmp_path / "p.csv", columns)
    truth = table if "groundTruth" in wanted else None
    with pytest.raises(ground_truth.PerformanceInputError, match=None) as caught:
        ground_truth.read_labelled(table, spec=spec(**wanted), ground_truth=truth)
    assert message in str(caught.value) and str(tmp_path / "p.csv") in str(caught.value)


def test_integral_floats_are_labels(tmp_path):
    table = csv(tmp_path / "p.csv", {"prediction": [1.0, 0.0, np.nan], "label": [1.0, 1.0, 0.0]})
    got = ground_truth.read_labelled(table, spec=spec())
    assert got.predictions.tolist() == ["1", "0", None] and got.targets.tolist() == ["1", "1", "0"]


def test_a_column_of_an_unexpected_type_is_an_input_error_not_a_crash(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": [[1, 2], [3]], "prediction": ["a", "b"]}), path)
    truth = csv(tmp_path / "t.csv", {"id": [1, 3], "label": ["a", "b"]})
    with pytest.raises(ground_truth.PerformanceInputError, match="cannot read the performance columns"):
        ground_truth.read_labelled(tables.open_table(str(path)), ground_truth=truth,
                                   spec=spec(groundTruth={"uri": "file:///t.csv", "idColumn": "id"}))
