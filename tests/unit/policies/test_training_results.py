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
    assert verdict.lines == ["accuracy 0.84 - baseline 0.85 = -0.01 >= -0.02 (untested: the training result "
                             "reports no validationSamples, so the margin could not be tested): pass",
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


# --- significance of a margin over the baseline ---------------------------------------------------


def _model(accuracy: float, samples: int | None, **metrics: float) -> TrainedModel:
    return TrainedModel(uri="s3://m/2", version="2", sha256=SHA.lower(), metrics={"accuracy": accuracy, **metrics},
                        validation_samples=samples)


def _validation(**extra) -> ValidationSpec:
    return ValidationSpec.model_validate({"metrics": [{"name": "accuracy", "minDeltaFromBaseline": 0.0}], **extra})


def test_validation_samples_are_parsed_and_checked():
    assert parse_result(message(validationSamples=2000)).validation_samples == 2000
    assert parse_result(message()).validation_samples is None
    for bad in (0, -5, 2.5, "2000", True):
        with pytest.raises(InvalidResult, match="validationSamples must be a positive integer"):
            parse_result(message(validationSamples=bad))


@pytest.mark.parametrize("samples,passes", [(2000, True), (200, False)])
def test_an_improvement_must_be_significant_on_the_validation_sample(samples, passes):
    """The docstring's worked example, p from scipy's normal tail: +3 points over 0.88 is
    significant on 2,000 rows, not on 200."""
    from scipy import stats as scipy_stats

    verdict = validate(_model(0.91, samples), validation=_validation(), baseline={"accuracy": 0.88})
    z = (0.91 - 0.88) / (0.88 * 0.12 / samples) ** 0.5
    assert verdict.passed is passes
    [line] = verdict.lines
    assert f"on n={samples}" in line and "one-sided z-test" in line
    assert f"p={scipy_stats.norm.sf(z):.2g}" in line


def test_a_non_inferiority_margin_is_tested_against_baseline_plus_delta():
    """minDeltaFromBaseline -0.01: H1 accuracy > 0.87. Equal to the baseline on 5,000 rows passes;
    0.5 point below it on 500 rows cannot exclude the margin."""
    validation = ValidationSpec.model_validate({"metrics": [{"name": "accuracy", "minDeltaFromBaseline": -0.01}]})
    assert validate(_model(0.88, 5000), validation=validation, baseline={"accuracy": 0.88}).passed
    close = validate(_model(0.875, 500), validation=validation, baseline={"accuracy": 0.88})
    assert not close.passed and "accuracy > 0.87" in close.lines[0]


def test_small_samples_use_the_exact_binomial_test():
    from scipy import stats as scipy_stats

    # 60 rows against a 0.9 margin: n(1-p0) = 6 < 10, so the exact test
    verdict = validate(_model(59 / 60, 60), validation=_validation(), baseline={"accuracy": 0.9})
    exact = scipy_stats.binomtest(59, 60, 0.9, alternative="greater").pvalue
    assert "exact binomial test" in verdict.lines[0] and f"p={exact:.2g}" in verdict.lines[0]
    assert verdict.passed is bool(exact <= 0.05)


def test_without_validation_samples_the_verdict_says_it_is_untested_or_fails_when_required():
    loose = validate(_model(0.91, None), validation=_validation(), baseline={"accuracy": 0.88})
    assert loose.passed and "untested" in loose.lines[0] and "validationSamples" in loose.lines[0]
    strict = validate(_model(0.91, None), validation=_validation(requireSignificance=True),
                      baseline={"accuracy": 0.88})
    assert not strict.passed and "requireSignificance" in strict.failures[0]


def test_metrics_that_are_not_a_share_of_the_rows_are_judged_by_their_bound_alone():
    validation = ValidationSpec.model_validate({"metrics": [{"name": "rmse", "maxDeltaFromBaseline": 0.0}]})
    verdict = validate(_model(0.9, 2000, rmse=1.0), validation=validation, baseline={"rmse": 1.2})
    assert verdict.passed and "no test: rmse is not a share" in verdict.lines[0]


def test_the_significance_level_is_configurable():
    at_10 = validate(_model(0.91, 200), validation=_validation(significanceLevel=0.1), baseline={"accuracy": 0.88})
    assert at_10.passed  # p = 0.096
