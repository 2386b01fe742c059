"""Verdicts: thresholds (relative, absolute, floors), the one-sided z-test against scipy's
normal distribution, the rule that a non-significant drop is a warning at most, minSamples,
and the recommendation sentence."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from modelmon.api.performance import MetricThresholds
from modelmon.performance.measures import Measure
from modelmon.performance.verdicts import Judging, judge

DEFAULT_PROPORTION = MetricThresholds(warning=0.03, critical=0.05)


def how(metric="accuracy", *, baseline=0.65, window="last 50", thresholds=DEFAULT_PROPORTION, min_samples=30,
        alpha=0.05):
    return Judging(metric=metric, window=window, baseline=baseline, thresholds=thresholds,
                   min_samples=min_samples, alpha=alpha)


def rate(successes, n):
    return Measure(value=successes / n, samples=n, trials=n, successes=successes)


def scipy_p(successes, n, baseline):
    z = (successes / n - baseline) / math.sqrt(baseline * (1 - baseline) / n)
    return float(scipy_stats.norm.cdf(z))


def test_the_issue_example_is_critical_and_significant():
    verdict = judge(rate(26, 50), how=how())
    assert verdict.value == pytest.approx(0.52) and verdict.change == pytest.approx(-0.2)
    assert verdict.p_value == pytest.approx(scipy_p(26, 50, 0.65), rel=1e-9)
    assert verdict.p_value < 0.05 and verdict.significant is True
    assert verdict.severity == "critical"
    assert verdict.recommendation == (f"accuracy 52.0% vs 65.0% baseline over the last 50 predictions, "
                                      f"p={verdict.p_value:.2g}: retrain")


@pytest.mark.parametrize("successes,n,baseline", [(26, 50, 0.65), (63, 100, 0.65), (150, 200, 0.9), (5, 40, 0.2)],
                         ids=["issue", "slight-drop", "high-baseline", "low-baseline"])
def test_p_value_is_scipys_lower_normal_tail(successes, n, baseline):
    """The z-test where n*p0 and n*(1-p0) are both >= 10; below that (low-baseline: n*p0 = 8)
    the exact binomial test, as scipy.stats.binomtest computes it."""
    from scipy import stats as scipy_stats

    verdict = judge(rate(successes, n), how=how(baseline=baseline))
    if min(n * baseline, n * (1 - baseline)) >= 10:
        assert verdict.p_value == pytest.approx(scipy_p(successes, n, baseline), rel=1e-9)
    else:
        exact = scipy_stats.binomtest(successes, n, baseline, alternative="less").pvalue
        assert verdict.p_value == pytest.approx(exact, rel=1e-9)
    assert verdict.significant is (verdict.p_value <= 0.05)


def test_a_small_drop_within_noise_is_ok():
    verdict = judge(rate(63, 100), how=how())  # -3.1 %: a warning by threshold, p = 0.34
    assert verdict.significant is False and verdict.severity == "ok"
    assert "not significant" in verdict.reason
    assert verdict.recommendation.endswith(": no action")


def test_a_large_drop_that_is_not_significant_is_a_warning_at_most():
    verdict = judge(rate(24, 40), how=how(min_samples=10))  # 0.60: -7.7 %, critical by threshold; p = 0.25
    assert verdict.p_value > 0.05 and verdict.severity == "warning"
    assert verdict.recommendation.endswith("not significant yet, keep watching")


def test_a_significant_drop_past_the_warning_threshold_is_a_warning():
    # baseline 0.9, 4147 of 4800 correct: 0.864, a 4 % drop (a warning, not critical), significant at this n
    verdict = judge(rate(4147, 4800), how=how(baseline=0.9, window="last 4800", min_samples=30))
    assert verdict.change == pytest.approx(4147 / 4800 / 0.9 - 1)
    assert 0.03 <= -verdict.change < 0.05 and verdict.significant is True
    assert verdict.severity == "warning" and verdict.recommendation.endswith(": investigate")


def test_a_drop_of_exactly_the_threshold_counts():
    exact = Measure(value=0.65 * 0.95, samples=10_000)  # f1 has no test: thresholds alone decide
    assert judge(exact, how=how("f1")).severity == "critical"


@pytest.mark.parametrize("value,expected", [(1.30, "ok"), (1.42, "ok"), (1.43, "warning"), (1.494, "warning"),
                                            (1.5, "critical")])
def test_error_metrics_worsen_upwards(value, expected):
    verdict = judge(Measure(value=value, samples=100), how=how("mae", baseline=1.3,
                                                              thresholds=MetricThresholds(warning=0.1, critical=0.15)))
    assert verdict.severity == expected
    assert verdict.p_value is None and verdict.significant is None


def test_error_metric_recommendation_states_the_relative_change():
    verdict = judge(Measure(value=1.56, samples=100), how=how("mae", baseline=1.3, window="last 100",
                                                              thresholds=MetricThresholds(warning=0.1, critical=0.15)))
    assert verdict.recommendation == "mae 1.56 vs 1.3 baseline (+20.0%) over the last 100 predictions: retrain"


def test_an_improvement_is_ok():
    assert judge(rate(45, 50), how=how()).severity == "ok"
    assert judge(Measure(value=0.9, samples=50), how=how("mae", baseline=1.3)).severity == "ok"


@pytest.mark.parametrize("value,expected", [(0.62, "ok"), (0.6, "warning"), (0.55, "warning"), (0.5, "critical")])
def test_absolute_bounds_on_a_score(value, expected):
    cuts = MetricThresholds(bound="absolute", warning=0.6, critical=0.5)
    assert judge(Measure(value=value, samples=1000), how=how("f1", thresholds=cuts)).severity == expected


def test_absolute_bounds_on_an_error():
    cuts = MetricThresholds(bound="absolute", warning=2.0, critical=3.0)
    severities = [judge(Measure(value=v, samples=100), how=how("rmse", baseline=1.0, thresholds=cuts)).severity
                  for v in (1.9, 2.0, 3.5)]
    assert severities == ["ok", "warning", "critical"]


def test_a_floor_is_critical_even_without_significance():
    cuts = MetricThresholds(warning=0.03, critical=0.05, floor=0.5)
    verdict = judge(rate(14, 30), how=how(baseline=0.55, thresholds=cuts))  # 0.467, p = 0.18
    assert verdict.significant is False and verdict.severity == "critical"
    assert "below the floor 50.0%" in verdict.reason and verdict.recommendation.endswith(": retrain")


def test_a_ceiling_for_error_metrics():
    cuts = MetricThresholds(warning=0.5, critical=1.0, floor=2.0)
    assert judge(Measure(value=2.1, samples=50), how=how("mae", baseline=1.8, thresholds=cuts)).severity == "critical"


def test_fewer_than_min_samples_is_unknown_not_an_alarm():
    verdict = judge(rate(2, 12), how=how())
    assert verdict.severity == "unknown" and verdict.value == pytest.approx(1 / 6)
    assert "12 labelled predictions" in verdict.reason and "minSamples 30" in verdict.reason
    assert verdict.p_value is None and verdict.change is None


def test_no_value_is_unknown_with_the_measures_reason():
    verdict = judge(Measure(value=None, samples=40, reason="'1' was never predicted"), how=how("precision"))
    assert verdict.severity == "unknown" and verdict.reason == "'1' was never predicted"
    assert verdict.recommendation == "precision last 50: '1' was never predicted"


def test_a_zero_baseline_cannot_have_a_relative_change():
    verdict = judge(Measure(value=0.2, samples=50), how=how("mae", baseline=0.0))
    assert verdict.severity == "unknown" and "bound: absolute" in verdict.reason
    assert judge(Measure(value=0.0, samples=50), how=how("mae", baseline=0.0)).severity == "ok"


def test_significance_level_is_the_specs():
    strict = judge(rate(26, 50), how=how(alpha=0.01))  # p = 0.027 > 0.01
    assert strict.significant is False and strict.severity == "warning"


def test_duration_windows_read_well():
    verdict = judge(rate(26, 50), how=how(window="last 6h"))
    assert "over the predictions of the last 6h," in verdict.recommendation


RANKS = {"ok": 0, "warning": 1, "critical": 2}


@settings(max_examples=200, deadline=None)
@given(n=st.integers(30, 2000), baseline=st.floats(0.05, 0.95), alpha=st.sampled_from([0.01, 0.05, 0.1]),
       share=st.floats(0, 1), fewer=st.floats(0, 1))
def test_fewer_successes_never_make_the_verdict_milder(n, baseline, alpha, share, fewer):
    more = round(share * n)
    less = round(more * fewer)
    cuts = MetricThresholds(warning=0.03, critical=0.05, floor=0.3)
    judged = [judge(rate(s, n), how=how(baseline=baseline, alpha=alpha, thresholds=cuts)) for s in (more, less)]
    assert RANKS[judged[1].severity] >= RANKS[judged[0].severity]
    at_or_above = judge(rate(max(more, math.ceil(baseline * n)), n), how=how(baseline=baseline, alpha=alpha))
    assert at_or_above.severity == "ok"


def test_a_window_not_yet_full_says_how_many_it_holds():
    verdict = judge(rate(62, 120), how=how(window="last 200"))
    assert "over the last 120 predictions (window: last 200), p=" in verdict.recommendation
