"""``spec.performance``: defaults, and bad specs rejected with the field and the fix."""

from __future__ import annotations

import pydantic
import pytest

from modelmon.api import errors, monitor
from modelmon.api.drift import CheckConfig
from modelmon.api.performance import PerformanceSpec

BASE = {"task": "classification", "predictionColumn": "prediction", "targetColumn": "label",
        "baseline": {"accuracy": 0.65, "f1": 0.6}}


def parse(**changes):
    return PerformanceSpec.model_validate({**BASE, **changes})


def test_defaults_follow_the_issue():
    spec = parse()
    assert [w.label for w in spec.windows] == ["last 50", "last 100", "last 200"]
    assert spec.min_samples == 30 and spec.significance_level == 0.05
    assert spec.watched() == ["accuracy", "f1"]
    assert (spec.thresholds_for("accuracy").warning, spec.thresholds_for("accuracy").critical) == (0.03, 0.05)
    regression = PerformanceSpec.model_validate({**BASE, "task": "regression", "baseline": {"mae": 1.3, "rmse": 2}})
    assert (regression.thresholds_for("mae").warning, regression.thresholds_for("mae").critical) == (0.10, 0.15)
    assert (regression.thresholds_for("rmse").warning, regression.thresholds_for("rmse").critical) == (0.15, 0.20)


def test_a_monitor_and_the_check_config_carry_it():
    raw = {"model": {"name": "m"}, "reference": {"uri": "file:///r.csv"}, "current": {"uri": "file:///c.csv"},
           "performance": {**BASE, "groundTruth": {"uri": "file:///labels.csv", "idColumn": "request_id"},
                           "timestampColumn": "ts", "windows": [{"rows": 100}, {"duration": "6h"}]}}
    spec = monitor.parse_spec(raw)
    assert spec.performance is not None and spec.performance.ground_truth.id_column == "request_id"
    assert [w.label for w in spec.performance.windows] == ["last 100", "last 6h"]
    assert CheckConfig.model_validate({"performance": BASE}).performance.task == "classification"


@pytest.mark.parametrize("changes,message", [
    ({"baseline": {"mae": 1.0}}, "mae do not apply to task classification"),
    ({"metrics": ["recall"]}, "metrics recall have no baseline: add them to performance.baseline"),
    ({"baseline": {"accuracy": 65}}, "baseline.accuracy: a fraction in [0, 1] (0.65, not 65)"),
    ({"baseline": {}}, "at least 1 item"),
    ({"thresholds": {"accuracy": {"warning": 0.1, "critical": 0.05}}}, "need warning <= critical"),
    ({"thresholds": {"accuracy": {"warning": 0.1}}}, "critical 0.05 (a relative level left out takes its default)"),
    ({"thresholds": {"f1": {"bound": "absolute", "warning": 0.5, "critical": 0.6}}},
     "need warning >= critical (the metric falls)"),
    ({"thresholds": {"accuracy": {"floor": 50}}}, "thresholds.accuracy.floor: accuracy is a fraction"),
    ({"windows": [{"rows": 50}, {"rows": 50}]}, "windows listed twice: last 50"),
    ({"windows": [{"rows": 50, "duration": "1h"}]}, "exactly one of rows or duration"),
    ({"windows": [{"duration": "1h"}]}, "duration windows need performance.timestampColumn"),
    ({"windows": [{"duration": "soon"}], "timestampColumn": "ts"}, "is not a duration"),
    ({"significanceLevel": 1.5}, "less than 1"),
    ({"minSamples": 0}, "greater than or equal to 1"),
    ({"classes": ["a", "b"], "positiveLabel": "c"}, "positiveLabel 'c' is not one of classes"),
    ({"task": "ranking"}, "'classification' or 'regression'"),
    ({"groundTruth": {"uri": "file:///l.csv"}}, "idColumn"),
    ({"groundTruth": {"idColumn": "id"}}, "set exactly one of uri or configMapKeyRef"),
    ({"treshold": {}}, "unknown field"),
], ids=["metric-of-other-task", "metric-without-baseline", "percent-not-fraction", "empty-baseline",
        "unordered-relative", "unordered-with-default", "unordered-absolute", "floor-as-percent", "duplicate-window", "window-both",
        "duration-without-timestamp", "bad-duration", "alpha", "min-samples", "positive-not-a-class",
        "unknown-task", "ground-truth-without-id", "ground-truth-without-source", "misspelled-field"])
def test_bad_specs_name_the_field_and_the_fix(changes, message):
    raw = {"model": {"name": "m"}, "reference": {"uri": "file:///r.csv"}, "current": {"uri": "file:///c.csv"},
           "performance": {**BASE, **changes}}
    with pytest.raises(pydantic.ValidationError) as caught:
        monitor.parse_spec(raw)
    described = errors.describe(caught.value)
    assert described.startswith("spec.performance") and message in described, described


def test_regression_metrics_and_absolute_error_bounds():
    spec = PerformanceSpec.model_validate({**BASE, "task": "regression", "baseline": {"mae": 1.3, "hitRate": 0.55},
                                           "thresholds": {"mae": {"bound": "absolute", "warning": 1.5,
                                                                  "critical": 2.0, "floor": 3.0}}})
    assert spec.thresholds_for("mae").bound == "absolute" and spec.thresholds_for("hitRate").warning == 0.03


def test_a_floor_alone_keeps_the_default_drops():
    cuts = parse(thresholds={"accuracy": {"floor": 0.5}, "f1": {"critical": 0.1}})
    accuracy, f1 = cuts.thresholds_for("accuracy"), cuts.thresholds_for("f1")
    assert (accuracy.warning, accuracy.critical, accuracy.floor) == (0.03, 0.05, 0.5)
    assert (f1.warning, f1.critical) == (0.03, 0.1)
    absolute = parse(thresholds={"accuracy": {"bound": "absolute", "critical": 0.55}}).thresholds_for("accuracy")
    assert (absolute.warning, absolute.critical) == (None, 0.55)  # absolute bounds have no defaults
