"""Adjusted p-values: Holm by its definition computed independently, BH against scipy, and the
family-wise guarantee checked by simulation."""

import itertools

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given
from scipy import stats as scipy_stats

from modelmon.stats import multiplicity

pvalue_lists = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30)


def holm_by_definition(pvalues):
    """Holm as a closed testing rule: p_adj(i) = max over the ranks j <= rank(i) of (m - j + 1) p_(j)."""
    m = len(pvalues)
    ranked = sorted(range(m), key=lambda i: (pvalues[i], i))
    adjusted = [0.0] * m
    for rank, index in enumerate(ranked):
        adjusted[index] = min(1.0, max((m - j) * pvalues[ranked[j]] for j in range(rank + 1)))
    return adjusted


def test_worked_example_of_the_docstring():
    assert multiplicity.adjust([0.01, 0.04, 0.03], method="holm") == pytest.approx([0.03, 0.06, 0.06])
    assert multiplicity.adjust([0.01, 0.04, 0.03], method="bh") == pytest.approx([0.03, 0.04, 0.04])


@given(pvalue_lists)
def test_holm_matches_its_definition(pvalues):
    assert multiplicity.adjust(pvalues, method="holm") == pytest.approx(holm_by_definition(pvalues), abs=1e-15)


@given(pvalue_lists)
def test_bh_matches_scipy(pvalues):
    expected = scipy_stats.false_discovery_control(np.array(pvalues), method="bh")
    assert multiplicity.adjust(pvalues, method="bh") == pytest.approx(expected.tolist(), abs=1e-12)


@given(pvalue_lists)
def test_adjusted_values_are_never_smaller_and_keep_the_order(pvalues):
    for method in ("holm", "bh"):
        adjusted = multiplicity.adjust(pvalues, method=method)
        assert all(a >= p - 1e-15 and a <= 1.0 for a, p in zip(adjusted, pvalues))
        for i, j in itertools.combinations(range(len(pvalues)), 2):
            if pvalues[i] < pvalues[j]:
                assert adjusted[i] <= adjusted[j] + 1e-15


def test_a_family_of_one_is_unchanged_and_none_counts_as_one():
    assert multiplicity.adjust([0.003], method="holm") == [0.003]
    assert multiplicity.adjust([0.003, None], method="holm") == [0.006, 1.0]
    assert multiplicity.adjust([0.2, 0.01], method="none") == [0.2, 0.01]


def test_invalid_pvalues_are_refused():
    with pytest.raises(ValueError):
        multiplicity.adjust([0.5, 1.5], method="holm")
    with pytest.raises(ValueError):
        multiplicity.adjust([float("nan")], method="bh")


@pytest.mark.parametrize("method", ["holm", "bh"])
@pytest.mark.parametrize("family", [1, 5, 50])
def test_the_family_has_the_stated_level_under_the_global_null(method, family):
    """Uniform p-values (no effect anywhere): P(any adjusted p <= 0.05) <= 0.05; unadjusted it is
    1 - 0.95^m. 4,000 seeded families: the binomial standard error at 0.05 is 0.0034."""
    rng = np.random.default_rng(family)
    families = rng.uniform(size=(4000, family))
    alpha = 0.05
    any_rejected = np.mean([min(multiplicity.adjust(list(row), method=method)) <= alpha for row in families])
    assert any_rejected <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / 4000)
    if family == 50:
        assert np.mean(families.min(axis=1) <= alpha) > 0.9  # what the adjustment protects from
