"""Bins from reference quantiles and bin counts read off sorted samples.

Convention (documented because tools differ silently here):
- ``bins`` equal-frequency bins of the *reference*: inner edges are the reference
  quantiles at ``k / bins`` for ``k = 1 .. bins-1`` (numpy's default linear
  interpolation). The outer bins are open, ``(-inf, e1)`` and ``[e_last, +inf)``, so current
  values beyond the reference range land in the outer bins instead of being dropped.
- Bins are left-closed: ``[e_k, e_k+1)``.
- Repeated edges (a discrete feature with fewer distinct values than bins) are merged,
  so such a feature gets fewer, non-empty bins: the requested ``bins`` is an upper
  bound, and the number used is reported.

Worked example: reference ``[1, 2, 3, 4]`` with ``bins=2`` has inner edge ``2.5``;
reference counts ``[2, 2]``; current ``[0, 5, 6]`` counts ``[1, 2]``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CountArray = npt.NDArray[np.int64]


def quantile_edges(sorted_reference: FloatArray, *, bins: int) -> FloatArray:
    """Inner edges (``<= bins - 1`` of them, strictly increasing) of equal-frequency bins."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    if sorted_reference.size == 0:
        raise ValueError("cannot bin an empty reference")
    # numpy's default (linear) quantile, read off the sorted values instead of re-partitioning.
    position = (sorted_reference.size - 1) * (np.arange(1, bins) / bins)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, sorted_reference.size - 1)
    fraction = position - low
    edges = sorted_reference[low] + fraction * (sorted_reference[high] - sorted_reference[low])
    return np.unique(edges)


def counts_in_bins(sorted_values: FloatArray, *, edges: FloatArray) -> CountArray:
    """Counts of a sorted sample in the bins ``(-inf, e1), [e1, e2), ..., [e_last, inf)``.

    ``O(bins * log n)``: binary searches on the sorted sample, no pass over the data.
    """
    cuts = np.searchsorted(sorted_values, edges, side="left")
    bounds = np.concatenate(([0], cuts, [sorted_values.size]))
    return np.diff(bounds).astype(np.int64)
