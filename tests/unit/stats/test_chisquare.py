"""Chi-square homogeneity against scipy's chi2_contingency (without Yates correction)."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from modelmon.stats import chisquare


def test_worked_example():
    got = chisquare.chi_square_homogeneity([50, 50], [30, 70])
    assert got.statistic == pytest.approx(2 * (100 / 40 + 100 / 60))
    assert got.dof == 1
    assert got.pvalue == pytest.approx(0.00389, abs=1e-5)


@pytest.mark.parametrize("seed", range(8))
def test_matches_chi2_contingency(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    reference, current = rng.integers(1, 200, k), rng.integers(1, 200, k)
    expected = scipy_stats.chi2_contingency(np.vstack([reference, current]), correction=False)
    got = chisquare.chi_square_homogeneity(reference, current)
    assert got.statistic == pytest.approx(expected.statistic)
    assert got.pvalue == pytest.approx(expected.pvalue)
    assert got.dof == expected.dof


def test_unseen_bucket_and_empty_columns():
    # Last column is the "unseen" bucket: empty in the reference by construction.
    got = chisquare.chi_square_homogeneity([40, 60, 0, 0], [30, 50, 0, 20])
    expected = scipy_stats.chi2_contingency(np.array([[40, 60, 0], [30, 50, 20]]), correction=False)
    assert got.statistic == pytest.approx(expected.statistic)
    assert got.dof == 2


def test_single_category_is_no_evidence():
    assert chisquare.chi_square_homogeneity([10], [5]).pvalue == 1.0


def test_rejects_an_empty_sample():
    with pytest.raises(ValueError, match="at least one"):
        chisquare.chi_square_homogeneity([0, 0], [1, 2])
