"""KS and Wasserstein from one merge, against scipy as the independent reference."""

import dataclasses

import numpy as np
import pytest
from scipy import stats as scipy_stats

from modelmon.stats import ecdf

@dataclasses.dataclass
class Compared:
    ks_statistic: float
    ks_pvalue: float
    wasserstein: float


def compare(reference, current):
    statistic, pvalue = ecdf.ks_sorted(reference, current)
    return Compared(statistic, pvalue, ecdf.wasserstein_sorted(reference, current))


CASES = {
    "normal-same-size": lambda r: (r.normal(size=500), r.normal(0.2, size=500)),
    "normal-unequal-sizes": lambda r: (r.normal(size=700), r.normal(size=130)),
    "integers-with-ties": lambda r: (r.integers(0, 10, 1000).astype(float), r.integers(1, 11, 1200).astype(float)),
    "tiny": lambda r: (np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])),
    "one-vs-many": lambda r: (np.array([0.5]), r.uniform(size=50)),
    "disjoint": lambda r: (r.uniform(0, 1, 40), r.uniform(5, 6, 60)),
    "large-asymptotic": lambda r: (r.normal(size=20_000), r.normal(0.02, size=15_000)),
    "coprime-sizes": lambda r: (r.normal(size=97), r.normal(size=1013)),
    "ties-across-and-within": lambda r: (r.integers(0, 3, 500).astype(float), r.integers(0, 3, 333).astype(float)),
    "all-equal": lambda r: (np.ones(3), np.ones(2)),
    "lognormal-heavy-tail": lambda r: (r.lognormal(0, 1.5, 3000), r.lognormal(0.1, 1.5, 2500)),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_matches_scipy(case):
    reference, current = CASES[case](np.random.default_rng(7))
    got = compare(np.sort(reference), np.sort(current))
    expected = scipy_stats.ks_2samp(reference, current)
    assert got.ks_statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert got.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)
    assert got.wasserstein == pytest.approx(scipy_stats.wasserstein_distance(reference, current), rel=1e-9, abs=1e-12)


def test_worked_example_from_docstring():
    got = compare(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    assert got.ks_statistic == pytest.approx(1 / 3)
    assert got.wasserstein == pytest.approx(1.0)


def test_identical_samples_have_zero_distance():
    sample = np.sort(np.random.default_rng(1).normal(size=1000))
    got = compare(sample, sample.copy())
    assert got.ks_statistic == 0.0
    assert got.wasserstein == 0.0
    assert got.ks_pvalue == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_symmetric_in_its_arguments(seed):
    rng = np.random.default_rng(seed)
    a, b = np.sort(rng.normal(size=300)), np.sort(rng.normal(0.3, 1.2, size=450))
    ab, ba = compare(a, b), compare(b, a)
    assert ab.ks_statistic == pytest.approx(ba.ks_statistic)
    assert ab.wasserstein == pytest.approx(ba.wasserstein)


def test_scores_grow_with_the_shift():
    rng = np.random.default_rng(3)
    reference = np.sort(rng.normal(size=5000))
    base = rng.normal(size=5000)
    results = [compare(reference, np.sort(base + shift)) for shift in (0.0, 0.25, 0.5, 1.0, 2.0)]
    statistics = [r.ks_statistic for r in results]
    distances = [r.wasserstein for r in results]
    assert statistics == sorted(statistics)
    assert distances == sorted(distances)
    # W1 of a pure location shift equals the shift once it dominates the sampling noise.
    assert distances[-1] == pytest.approx(2.0, abs=0.05)


def test_normalised_wasserstein_measures_shift_in_standard_deviations():
    assert ecdf.normalised_wasserstein(1.5, reference_std=3.0) == pytest.approx(0.5)
    assert np.isnan(ecdf.normalised_wasserstein(1.0, reference_std=0.0))


def test_rejects_empty_samples():
    with pytest.raises(ValueError, match="non-empty"):
        ecdf.ks_sorted(np.array([]), np.array([1.0]))
    with pytest.raises(ValueError, match="non-empty"):
        ecdf.wasserstein_sorted(np.array([1.0]), np.array([]))
