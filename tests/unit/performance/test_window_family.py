"""The performance windows of a check are one family: a model steady at its baseline is called
critical on at most the stated level of checks (issue 15 measured 8.8 % with three windows each
at 0.05, the worst winning), while the newest window still decides a real decay alone."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

from modelmon.api.performance import PerformanceSpec
from modelmon.performance.assessment import assess_performance, fixed_sequence_pvalues
from modelmon.performance.labelled import LabelledPredictions
from modelmon.stats import proportions


def spec(baseline: dict[str, float], **extra) -> PerformanceSpec:
    return PerformanceSpec.model_validate({"task": "classification", "predictionColumn": "p", "targetColumn": "t",
                                           "positiveLabel": "1", "baseline": baseline, **extra})


def steady(rng: np.random.Generator, rows: int, accuracy: float) -> LabelledPredictions:
    targets = rng.choice(["0", "1"], rows)
    hit = rng.random(rows) < accuracy
    predicted = np.where(hit, targets, np.where(targets == "1", "0", "1"))
    return LabelledPredictions(predictions=predicted.astype(object), targets=targets.astype(object))


def test_the_docstring_worked_example():
    tests = {("accuracy", 50): 0.03, ("accuracy", 100): 0.01, ("accuracy", 200): 0.2}
    assert fixed_sequence_pvalues(tests) == {("accuracy", 50): 0.03, ("accuracy", 100): 0.03,
                                             ("accuracy", 200): 0.2}
    both = {**tests, ("recall", 50): 0.5}
    assert fixed_sequence_pvalues(both)[("accuracy", 50)] == pytest.approx(0.06)
    assert fixed_sequence_pvalues(both)[("recall", 50)] == 1.0


@given(st.dictionaries(st.tuples(st.sampled_from(["accuracy", "recall"]), st.integers(30, 500)),
                       st.floats(0, 1), min_size=1, max_size=8))
def test_adjusted_values_never_fall_below_the_raw_ones_and_grow_along_the_sequence(tests):
    adjusted = fixed_sequence_pvalues(tests)
    assert all(adjusted[k] >= p for k, p in tests.items())
    for metric in {k[0] for k in tests}:
        ordered = [adjusted[k] for k in sorted((k for k in tests if k[0] == metric), key=lambda k: (k[1], tests[k]))]
        assert ordered == sorted(ordered)


@pytest.mark.parametrize("baseline", [0.65, 0.9])
def test_a_model_steady_at_its_baseline_is_rarely_critical(baseline):
    """2,000 seeded checks of 200 labelled predictions at the baseline accuracy, default windows
    (50, 100, 200) and alpha 0.05. The bound is alpha plus three standard errors; the raw rate
    (each window at 0.05, worst wins) is reported to show what the family control removes."""
    rng = np.random.default_rng(int(baseline * 100))
    checks = 2000
    critical = raw_critical = 0
    for _ in range(checks):
        report = assess_performance(steady(rng, 200, baseline), spec=spec({"accuracy": baseline}), now=0)
        critical += report.severity == "critical"
        raw_critical += any(v.severity != "unknown" and v.value is not None and v.change is not None
                            and -v.change >= 0.05 - 1e-9 and proportions.one_proportion_test(
                                round(v.value * v.samples), v.samples, baseline=baseline,
                                alternative="less").p_value <= 0.05 for v in report.metrics)
    bound = 0.05 + 3 * np.sqrt(0.05 * 0.95 / checks)
    assert critical / checks <= bound
    assert raw_critical > critical  # the unadjusted rule would have raised more alarms


def test_the_newest_window_decides_a_decay_alone():
    """26 of the last 50 correct against 0.65 (p = 0.027) with the older windows near the
    baseline: critical, as docs/statistics.md's worked example says."""
    targets = np.array(["1"] * 200, dtype=object)
    predicted = targets.copy()
    wrong = np.r_[np.arange(0, 150, 3)[:50], 150 + np.arange(24)]  # 100/150 older right, 26/50 newest
    predicted[wrong] = "0"
    labelled = LabelledPredictions(predictions=predicted, targets=targets)
    report = assess_performance(labelled, spec=spec({"accuracy": 0.65}), now=0)
    newest = next(v for v in report.metrics if v.window == "last 50")
    assert newest.value == pytest.approx(0.52) and newest.p_value == pytest.approx(0.027, abs=5e-4)
    assert newest.severity == "critical" and report.severity == "critical"


def test_two_metrics_share_the_level():
    rng = np.random.default_rng(4)
    labelled = steady(rng, 200, 0.9)
    report = assess_performance(labelled, spec=spec({"accuracy": 0.9, "recall": 0.9}), now=0)
    newest = next(v for v in report.metrics if v.metric == "accuracy" and v.window == "last 50")
    raw = proportions.one_proportion_test(round(newest.value * 50), 50, baseline=0.9, alternative="less").p_value
    assert newest.p_value == pytest.approx(min(1.0, 2 * raw))  # Bonferroni over the two metrics
