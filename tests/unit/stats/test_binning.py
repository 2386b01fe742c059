"""Quantile bins: the documented convention, including the worked example."""

import numpy as np
import pytest

from modelmon.stats import binning


def test_worked_example():
    edges = binning.quantile_edges(np.array([1.0, 2.0, 3.0, 4.0]), bins=2)
    assert edges.tolist() == [2.5]
    assert binning.counts_in_bins(np.array([1.0, 2.0, 3.0, 4.0]), edges=edges).tolist() == [2, 2]
    assert binning.counts_in_bins(np.array([0.0, 5.0, 6.0]), edges=edges).tolist() == [1, 2]


@pytest.mark.parametrize("bins", [2, 5, 10, 20, 50])
def test_bins_setting_is_honoured_and_equal_frequency(bins):
    reference = np.sort(np.random.default_rng(0).normal(size=10_000))
    edges = binning.quantile_edges(reference, bins=bins)
    counts = binning.counts_in_bins(reference, edges=edges)
    assert counts.size == bins
    assert counts.sum() == reference.size
    assert counts.max() - counts.min() <= 2


def test_matches_numpy_histogram_left_closed_with_open_outer_bins():
    rng = np.random.default_rng(1)
    reference = np.sort(rng.normal(size=1000))
    current = np.sort(rng.normal(0.5, 2.0, size=777))
    edges = binning.quantile_edges(reference, bins=10)
    expected, _ = np.histogram(current, bins=np.concatenate(([-np.inf], edges, [np.inf])))
    assert binning.counts_in_bins(current, edges=edges).tolist() == expected.tolist()


def test_discrete_reference_merges_repeated_edges():
    reference = np.sort(np.repeat([0.0, 1.0, 2.0], 100))
    edges = binning.quantile_edges(reference, bins=10)
    assert np.all(np.diff(edges) > 0)
    counts = binning.counts_in_bins(reference, edges=edges)
    assert counts.sum() == 300 and counts.size == edges.size + 1


def test_rejects_fewer_than_two_bins_and_empty_reference():
    with pytest.raises(ValueError, match="at least 2"):
        binning.quantile_edges(np.array([1.0, 2.0]), bins=1)
    with pytest.raises(ValueError, match="empty"):
        binning.quantile_edges(np.array([]), bins=10)
