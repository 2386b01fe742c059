"""The null-calibrated effect sizes: trimmed Wasserstein, robust scale, bias-corrected JS, and the
pooling of sparse categories -- each against an independent computation and its defining property."""

import math

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from scipy import stats as scipy_stats

from modelmon.stats import chisquare, divergence, ecdf


def trimmed_by_expansion(reference, current, trim):
    """Independent reference: repeat each sample to a common size L = n*m, so both quantile
    functions are plain arrays on the grid k/L, and average |difference| over the central levels
    (partial weights on the two end cells)."""
    n, m = len(reference), len(current)
    size = n * m
    a, b = np.repeat(np.sort(reference), m), np.repeat(np.sort(current), n)
    low, high = trim * size, (1 - trim) * size
    cells = np.arange(size)
    weights = np.clip(np.minimum(cells + 1, high) - np.maximum(cells, low), 0, 1)
    return float(np.sum(weights * np.abs(a - b)) / (high - low))


samples = st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=25)


@settings(max_examples=150)
@given(reference=samples, current=samples, trim=st.sampled_from([0.0, 0.01, 0.025, 0.1, 0.3]))
def test_trimmed_wasserstein_matches_the_expanded_quantile_functions(reference, current, trim):
    ref, cur = np.sort(np.array(reference)), np.sort(np.array(current))
    got = ecdf.trimmed_wasserstein_sorted(ref, cur, trim=trim)
    assert got == pytest.approx(trimmed_by_expansion(ref, cur, trim), rel=1e-9, abs=1e-6)


@settings(max_examples=60)
@given(reference=samples, current=samples)
def test_untrimmed_is_scipys_wasserstein(reference, current):
    ref, cur = np.sort(np.array(reference)), np.sort(np.array(current))
    assert ecdf.trimmed_wasserstein_sorted(ref, cur, trim=0.0) == pytest.approx(
        scipy_stats.wasserstein_distance(ref, cur), rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("sizes", [(1000, 1000), (1000, 1700), (333, 5000)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("shift", [0.0, 0.37, -2.5])
def test_a_pure_shift_scores_the_shift_for_any_distribution(sizes, shift):
    rng = np.random.default_rng(7)
    reference = np.sort(rng.standard_cauchy(sizes[0]))
    current = np.sort(np.quantile(reference, np.linspace(0, 1, sizes[1])) + shift) if sizes[0] != sizes[1] \
        else reference + shift
    if sizes[0] == sizes[1]:
        assert ecdf.trimmed_wasserstein_sorted(reference, current) == pytest.approx(abs(shift), abs=1e-9)
    else:  # a resampled quantile function: the shift up to the interpolation of the central quantiles
        unshifted = ecdf.trimmed_wasserstein_sorted(reference, current - shift)
        assert ecdf.trimmed_wasserstein_sorted(reference, current) == pytest.approx(abs(shift), abs=unshifted + 1e-9)


def test_trimmed_worked_examples():
    assert ecdf.trimmed_wasserstein_sorted(np.array([1.0, 2, 3, 4]), np.array([2.0, 3, 4, 5])) == pytest.approx(1.0)
    assert ecdf.trimmed_wasserstein_sorted(np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3, 14]), trim=0.25) == 0.0


def test_heavy_tails_no_longer_decide_the_distance():
    """Two Cauchy samples of one distribution: the full W1 over the IQR scale is of order 1 and
    does not shrink with n; the trimmed one does."""
    rng = np.random.default_rng(11)
    full, trimmed = [], []
    for _ in range(20):
        a, b = np.sort(rng.standard_cauchy(20_000)), np.sort(rng.standard_cauchy(20_000))
        scale = ecdf.robust_scale(a)
        full.append(ecdf.wasserstein_sorted(a, b) / scale)
        trimmed.append(ecdf.trimmed_wasserstein_sorted(a, b) / scale)
    assert np.median(full) > 0.3
    assert max(trimmed) < 0.1


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=50))
def test_robust_scale_is_scipys_iqr_over_1349_or_the_std(values):
    ordered = np.sort(np.array(values))
    iqr = scipy_stats.iqr(ordered)
    got = ecdf.robust_scale(ordered)
    if iqr > 0:
        assert got == pytest.approx(iqr / 1.3489795003921634, rel=1e-9)
    elif ordered.std() > 0:
        assert got == pytest.approx(ordered.std(), rel=1e-9)
    else:
        assert math.isnan(got)


def test_robust_scale_is_the_std_for_normal_data():
    values = np.sort(np.random.default_rng(3).normal(5.0, 2.0, 200_000))
    assert ecdf.robust_scale(values) == pytest.approx(2.0, rel=0.01)
    assert ecdf.robust_scale(np.array([1.0, 2, 3, 4, 5])) == pytest.approx(2 / 1.3489795003921634)


def test_js_null_bias_worked_example_and_formula():
    bias = divergence.js_null_bias(categories=50, reference_n=1001, current_n=1001)
    assert bias == pytest.approx(49 * (2 / 1001) / (8 * math.log(2)))
    assert bias == pytest.approx(0.01766, abs=1e-5)
    assert divergence.js_null_bias(categories=1, reference_n=10, current_n=10) == 0.0


@pytest.mark.parametrize("categories,rows", [(2, 2000), (50, 1001), (200, 5000), (20, 20_000)])
def test_the_bias_is_the_mean_plugin_divergence_of_two_samples_of_one_distribution(categories, rows):
    """The expansion's expectation against simulation (dense tables: >= 10 expected per cell)."""
    rng = np.random.default_rng(categories)
    p = rng.dirichlet(np.full(categories, 50.0))
    plugin = [divergence.js_distance(rng.multinomial(rows, p), rng.multinomial(rows, p)) ** 2 for _ in range(400)]
    assert np.mean(plugin) == pytest.approx(
        divergence.js_null_bias(categories=categories, reference_n=rows, current_n=rows), rel=0.12)


def test_debiased_js_worked_example():
    assert divergence.js_distance([500, 500], [600, 400]) == pytest.approx(0.0854, abs=1e-4)
    assert divergence.js_distance_debiased([500, 500], [600, 400]) == pytest.approx(
        math.sqrt(divergence.js_distance([500, 500], [600, 400]) ** 2 - 2 / 1000 / (8 * math.log(2))))
    assert divergence.js_distance_debiased([500, 500], [500, 500]) == 0.0


def test_pool_sparse_worked_example():
    ref, cur = chisquare.pool_sparse([50, 40, 2, 1], [45, 50, 1, 2])
    assert ref.tolist() == [50, 43] and cur.tolist() == [45, 53]
    assert [a.tolist() for a in chisquare.pool_sparse([50, 50], [30, 70])] == [[50, 50], [30, 70]]


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=40))
def test_pool_sparse_keeps_the_totals_and_leaves_no_sparse_cell_when_it_can(cells):
    ref = np.array([r for r, _ in cells])
    cur = np.array([c for _, c in cells])
    pooled_ref, pooled_cur = chisquare.pool_sparse(ref, cur)
    assert pooled_ref.sum() == ref.sum() and pooled_cur.sum() == cur.sum()
    assert np.all(pooled_ref + pooled_cur > 0)
    grand, smaller = ref.sum() + cur.sum(), min(ref.sum(), cur.sum())
    if pooled_ref.size > 1 and grand:
        assert np.all((pooled_ref + pooled_cur) * smaller / grand >= chisquare.MIN_EXPECTED - 1e-9)


def test_pooled_chi_square_holds_its_level_on_sparse_tables():
    """500 categories, 1,000 rows a side (2 expected per cell): the raw test's false-alarm rate at
    0.005 is off; pooled it is within sampling error of 0.005."""
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(500))
    raw, pooled = [], []
    for _ in range(1500):
        a, b = rng.multinomial(1000, p), rng.multinomial(1000, p)
        raw.append(chisquare.chi_square_homogeneity(a, b).pvalue)
        pooled.append(chisquare.chi_square_homogeneity(*chisquare.pool_sparse(a, b)).pvalue)
    assert np.mean(np.array(pooled) <= 0.005) <= 0.005 + 3 * math.sqrt(0.005 * 0.995 / 1500)


@settings(max_examples=100)
@given(reference=samples, current=samples, trim=st.sampled_from([0.0, 0.025, 0.2]))
def test_the_one_pass_pair_is_the_two_distances(reference, current, trim):
    ref, cur = np.sort(np.array(reference)), np.sort(np.array(current))
    full, trimmed = ecdf.wasserstein_and_trimmed(ref, cur, trim=trim)
    assert full == pytest.approx(ecdf.wasserstein_sorted(ref, cur), rel=1e-12, abs=1e-9)
    assert trimmed == pytest.approx(ecdf.trimmed_wasserstein_sorted(ref, cur, trim=trim), rel=1e-12, abs=1e-9)
