"""Training results: parsing the termination message, and validation against absolute and baseline bounds."""

from __future__ import annotations

import json

import pydantic
import pytest

from modelmon.api.retraining import TrainedModel, ValidationSpec
from modelmon.policies.training_results import InvalidResult, parse_result, validate

SHA = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"


def message(**changes) -> str:
    raw = {"modelUri": "s3://m/2", "version": "2", "sha256": SHA, "metrics": {"accuracy": 0.9, "rmse": 1}}
    raw.update(changes)
    return json.dumps({k: v for k, v in raw.items() if v is not None})


def test_a_good_result_is_parsed_and_the_digest_normalised():
    model = parse_result(message())
    assert model == TrainedModel(uri="s3://m/2", version="2", sha256=SHA.lower(), metrics={"accuracy": 0.9, "rmse": 1.0})


def test_metrics_are_optional():
    assert parse_result(message(metrics=None)).metrics == {}


@pytest.mark.parametrize(("text", "fragments"), [
    pytest.param(None, ["wrote no termination message", "/dev/termination-log"], id="missing"),
    pytest.param("  \n", ["wrote no termination message"], id="blank"),
    pytest.param("Traceback (most recent call last): boom", ["not JSON", "Expecting value at character 0",
                                                               "'Traceback (most recent call last): boom'"], id="not-json"),
    pytest.param("[1, 2]", ["JSON but not an object"], id="a-list"),
    pytest.param(message(modelUri=None), ["modelUri missing or not a non-empty string"], id="no-uri"),
    pytest.param(message(version=3), ["version missing or not a non-empty string"], id="version-not-text"),
    pytest.param(message(sha256="abc"), ["sha256 must be 64 hex digits"], id="short-digest"),
    pytest.param(message(metrics=[0.9]), ["metrics must be an object"], id="metrics-a-list"),
    pytest.param(message(metrics={"accuracy": "high"}), ["metrics.accuracy must be a finite number, got 'high'"],
                 id="metric-text"),
    pytest.param(message(metrics={"accuracy": True}), ["metrics.accuracy must be a finite number"], id="metric-bool"),
    pytest.param('{"modelUri": "s3://m", "version": "1", "sha256": "' + SHA + '", "metrics": {"a": NaN}}',
                 ["metrics.a must be a finite number, got nan"], id="metric-nan"),
])
def test_bad_results_say_what_is_wrong(text, fragments):
    with pytest.raises(InvalidResult) as caught:
        parse_result(text)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_all_problems_are_listed_at_once():
    with pytest.raises(InvalidResult) as caught:
        parse_result(json.dumps({"metrics": {}}))
    assert str(caught.value) == ("invalid training result: modelUri missing or not a non-empty string; "
                                 "version missing or not a non-empty string; sha256 missing or not a non-empty string")


MODEL = TrainedModel(uri="s3://m", version="2", sha256="0" * 64, metrics={"accuracy": 0.84, "rmse": 1.25})


def spec(*metrics) -> ValidationSpec:
    return ValidationSpec.model_validate({"metrics": list(metrics)})


def test_absolute_bounds():
    verdict = validate(MODEL, validation=spec({"name": "accuracy", "min": 0.8, "max": 0.99}, {"name": "rmse", "max": 1.0}),
                       baseline=None)
    assert not verdict.passed
    assert verdict.lines == ["accuracy 0.84 >= min 0.8: pass", "accuracy 0.84 <= max 0.99: pass",
                             "rmse 1.25 <= max 1: FAIL"]
    assert verdict.failures == ["rmse 1.25 <= max 1: FAIL"]


def test_bounds_relative_to_the_monitor_baseline():
    # accuracy 0.84 vs baseline 0.85: -0.01, allowed down to -0.02; rmse 1.25 vs 1.2: +0.05, allowed up to 0
    verdict = validate(MODEL, validation=spec({"name": "accuracy", "minDeltaFromBaseline": -0.02},
                                              {"name": "rmse", "maxDeltaFromBaseline": 0}),
                       baseline={"accuracy": 0.85, "rmse": 1.2})
    assert verdict.lines == ["accuracy 0.84 - baseline 0.85 = -0.01 >= -0.02: pass",
                             "rmse 1.25 - baseline 1.2 = +0.05 <= +0: FAIL"]


def test_a_relative_bound_without_a_baseline_fails_naming_it():
    verdict = validate(MODEL, validation=spec({"name": "accuracy", "minDeltaFromBaseline": 0}), baseline={"f1": 0.7})
    assert not verdict.passed
    assert verdict.lines == ["accuracy: a bound relative to the baseline, but the monitor has no "
                             "spec.performance.baseline.accuracy"]


def test_a_metric_missing_from_the_result_fails():
    verdict = validate(MODEL, validation=spec({"name": "f1", "min": 0.5}), baseline=None)
    assert verdict.lines == ["f1: missing from the training result's metrics"] and not verdict.passed


def test_no_validation_passes_any_well_formed_result():
    assert validate(MODEL, validation=None, baseline=None).passed


@pytest.mark.parametrize(("raw", "fragment"), [
    ({"name": "accuracy"}, "set at least one of min, max"),
    ({"name": "accuracy", "min": 0.9, "max": 0.8}, "min 0.9 is above max 0.8"),
    ({"name": "", "min": 0.9}, "at least 1 character"),
])
def test_bad_bounds_are_rejected(raw, fragment):
    with pytest.raises(pydantic.ValidationError, match=fragment):
        spec(raw)
