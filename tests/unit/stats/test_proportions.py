"""The one-sided one-proportion z-test against hand-computed values, scipy's normal tails
and the exact binomial test."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from modelmon.stats import proportions


def test_worked_example_of_the_docstring() -> None:
    result = proportions.one_proportion_ztest(348, 400, baseline=0.9)
    assert result.proportion == pytest.approx(0.87)
    assert result.z == pytest.approx(-2.0)
    assert result.p_value == pytest.approx(0.022750131948179)
    assert result.significant(alpha=0.05)
    assert not result.significant(alpha=0.01)
    assert result.reason is None


@pytest.mark.parametrize(
    ("successes", "n", "baseline"),
    [
        pytest.param(90, 100, 0.95, id="below-baseline"),
        pytest.param(96, 100, 0.95, id="above-baseline"),
        pytest.param(95, 100, 0.95, id="at-baseline"),
        pytest.param(0, 30, 0.5, id="no-successes"),
        pytest.param(30, 30, 0.5, id="all-successes"),
        pytest.param(512, 1000, 0.55, id="thousand-trials"),
        pytest.param(3, 10, 0.01, id="rare-baseline"),
    ],
)
@pytest.mark.parametrize("alternative", ["less", "greater"])
def test_matches_the_formula_with_scipy_normal_tails(
    successes: int, n: int, baseline: float, alternative: proportions.Alternative
) -> None:
    z = (successes / n - baseline) / math.sqrt(baseline * (1 - baseline) / n)
    expected = scipy_stats.norm.cdf(z) if alternative == "less" else scipy_stats.norm.sf(z)
    result = proportions.one_proportion_ztest(
        successes, n, baseline=baseline, alternative=alternative)
    assert result.z == pytest.approx(z, rel=1e-12, abs=1e-12)
    assert result.p_value == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert (result.successes, result.n, result.baseline, result.alternative) == (
        successes, n, baseline, alternative)


@pytest.mark.parametrize("n", [10_000, 50_000], ids=lambda n: f"n={n}")
@pytest.mark.parametrize("baseline", [0.6, 0.9, 0.97], ids=lambda p: f"p0={p}")
def test_close_to_the_exact_binomial_test_for_large_n(n: int, baseline: float) -> None:
    rng = np.random.default_rng(20240601)
    sd = math.sqrt(n * baseline * (1 - baseline))
    for successes in rng.integers(int(n * baseline - 4 * sd), int(n * baseline + 2 * sd), size=25):
        approximate = proportions.one_proportion_ztest(int(successes), n, baseline=baseline).p_value
        exact = scipy_stats.binomtest(int(successes), n, baseline, alternative="less").pvalue
        assert approximate == pytest.approx(exact, abs=0.01)


def test_no_samples_gives_no_p_value_and_a_reason() -> None:
    result = proportions.one_proportion_ztest(0, 0, baseline=0.9)
    assert (result.proportion, result.z, result.p_value) == (None, None, None)
    assert result.reason is not None and "n == 0" in result.reason
    assert not result.significant(alpha=0.05)


@pytest.mark.parametrize(
    ("successes", "baseline", "alternative", "z", "p_value"),
    [
        pytest.param(19, 1.0, "less", -math.inf, 0.0, id="p0=1-one-failure-less"),
        pytest.param(20, 1.0, "less", 0.0, 1.0, id="p0=1-no-failure-less"),
        pytest.param(19, 1.0, "greater", -math.inf, 1.0, id="p0=1-one-failure-greater"),
        pytest.param(0, 0.0, "less", 0.0, 1.0, id="p0=0-no-success-less"),
        pytest.param(1, 0.0, "less", math.inf, 1.0, id="p0=0-one-success-less"),
        pytest.param(1, 0.0, "greater", math.inf, 0.0, id="p0=0-one-success-greater"),
        pytest.param(0, 0.0, "greater", 0.0, 1.0, id="p0=0-no-success-greater"),
    ],
)
def test_degenerate_baselines_are_exact(
    successes: int, baseline: float, alternative: proportions.Alternative, z: float, p_value: float
) -> None:
    result = proportions.one_proportion_ztest(
        successes, 20, baseline=baseline, alternative=alternative)
    assert (result.z, result.p_value) == (z, p_value)
    exact = scipy_stats.binomtest(successes, 20, baseline, alternative=alternative).pvalue
    assert result.p_value == pytest.approx(exact)
    assert result.reason is not None and "degenerate" in result.reason


def test_one_failure_against_a_perfect_baseline_is_significant_at_any_level() -> None:
    result = proportions.one_proportion_ztest(9_999, 10_000, baseline=1.0)
    assert result.significant(alpha=1e-12)


@settings(derandomize=True, max_examples=200)
@given(n=st.integers(1, 5_000), baseline=st.floats(0.01, 0.99), data=st.data())
def test_tails_sum_to_one_and_less_is_monotone_in_successes(
    n: int, baseline: float, data: st.DataObject
) -> None:
    successes = data.draw(st.integers(0, n - 1))
    less = proportions.one_proportion_ztest(successes, n, baseline=baseline)
    more = proportions.one_proportion_ztest(successes + 1, n, baseline=baseline)
    greater = proportions.one_proportion_ztest(
        successes, n, baseline=baseline, alternative="greater")
    assert less.p_value is not None and more.p_value is not None and greater.p_value is not None
    assert less.p_value + greater.p_value == pytest.approx(1.0)
    assert less.p_value <= more.p_value


def test_accepts_numpy_integers() -> None:
    result = proportions.one_proportion_ztest(
        np.int64(348), np.int64(400), baseline=np.float64(0.9))
    assert result.successes == 348 and type(result.successes) is int
    assert result.z == pytest.approx(-2.0)


def test_result_is_frozen() -> None:
    result = proportions.one_proportion_ztest(1, 2, baseline=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("successes", "n", "baseline", "alternative", "message"),
    [
        pytest.param(5, 4, 0.5, "less", "successes <= n", id="more-successes-than-trials"),
        pytest.param(-1, 4, 0.5, "less", "successes <= n", id="negative-successes"),
        pytest.param(0, -1, 0.5, "less", "successes <= n", id="negative-n"),
        pytest.param(1, 4, 1.5, "less", "baseline", id="baseline-above-one"),
        pytest.param(1, 4, math.nan, "less", "baseline", id="baseline-nan"),
        pytest.param(1, 4, 0.5, "two-sided", "alternative", id="unknown-alternative"),
    ],
)
def test_rejects_invalid_arguments(
    successes: int, n: int, baseline: float, alternative: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        proportions.one_proportion_ztest(
            successes, n, baseline=baseline, alternative=alternative)  # type: ignore[arg-type]


def test_rejects_non_integer_counts() -> None:
    with pytest.raises(TypeError):
        proportions.one_proportion_ztest(3.5, 10, baseline=0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "alpha", [0.0, 1.0, -0.1, math.nan], ids=["zero", "one", "negative", "nan"])
def test_significant_rejects_alpha_outside_the_open_unit_interval(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        proportions.one_proportion_ztest(1, 2, baseline=0.5).significant(alpha=alpha)


@given(successes_and_n=st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       baseline=st.floats(0.01, 0.99), alternative=st.sampled_from(["less", "greater"]))
def test_the_chosen_test_is_the_ztest_where_the_approximation_holds_else_scipys_exact_binomial(
        successes_and_n, baseline, alternative):
    from scipy import stats as scipy_stats

    from modelmon.stats.proportions import one_proportion_test

    successes, n = successes_and_n
    got = one_proportion_test(successes, n, baseline=baseline, alternative=alternative)
    if min(n * baseline, n * (1 - baseline)) >= 10:
        assert got.p_value == proportions.one_proportion_ztest(successes, n, baseline=baseline,
                                                               alternative=alternative).p_value
    else:
        exact = scipy_stats.binomtest(successes, n, baseline, alternative=alternative).pvalue
        assert got.p_value == pytest.approx(exact, rel=1e-9, abs=1e-300)
        assert got.reason is not None and "exact binomial" in got.reason
