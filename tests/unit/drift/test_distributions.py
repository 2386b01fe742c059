"""Sketches of two distributions (what a report draws), from the check's sorted columns and counts."""

from __future__ import annotations

import numpy as np
import pytest

from modelmon.drift import distributions, profile


def sample(*values: float) -> profile.SortedSample:
    return profile.sort_sample(np.array(values, dtype=np.float64))


def test_the_docstring_worked_example() -> None:
    drawn = distributions.sketch_numeric(sample(1, 2, 3, 4), sample(3, 4, 5, 6), bins=2)
    assert drawn.edges.tolist() == [1.0, 3.5, 6.0]
    assert drawn.reference_shares.tolist() == [0.75, 0.25]
    assert drawn.current_shares.tolist() == [0.25, 0.75]
    assert drawn.reference_outside == drawn.current_outside == (0.0, 0.0)


def test_shares_and_outside_add_up_and_quantiles_come_from_the_sorted_sample() -> None:
    rng = np.random.default_rng(7)
    ref, cur = sample(*rng.normal(size=5000)), sample(*rng.normal(0.5, 1.0, size=3000), np.nan, np.inf)
    drawn = distributions.sketch_numeric(ref, cur)
    for shares, outside in (
        (drawn.reference_shares, drawn.reference_outside),
        (drawn.current_shares, drawn.current_outside),
    ):
        assert shares.sum() + sum(outside) == pytest.approx(1.0)
        assert 0 < sum(outside) < 0.02  # the drawn range leaves out only the 0.5 % tails
    assert drawn.reference_quantiles[0] == ref.finite[0] and drawn.current_quantiles[-1] == cur.finite[-1]
    assert drawn.current_quantiles[50] - drawn.reference_quantiles[50] == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("values", [(3.0,) * 10, ()], ids=["constant", "empty"])
def test_a_constant_or_empty_column_still_has_a_range(values: tuple[float, ...]) -> None:
    drawn = distributions.sketch_numeric(sample(*values), sample(*values))
    assert drawn.edges[-1] > drawn.edges[0]


def test_categories_largest_first_unseen_marked_and_the_rest_summed() -> None:
    drawn = distributions.sketch_categorical({"a": 60, "b": 30, "c": 10}, {"a": 50, "new": 40, "c": 10}, top=2)
    assert [(c.name, c.unseen) for c in drawn.categories] == [("a", False), ("new", True)]
    assert drawn.categories[1].reference_share == 0.0 and drawn.categories[1].current_share == 0.4
    assert drawn.other_categories == 2 and drawn.other is not None
    assert drawn.other.reference_share == pytest.approx(0.4) and drawn.other.current_share == pytest.approx(0.1)
