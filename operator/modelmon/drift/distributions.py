"""Sketches of the two distributions of a feature, small enough to draw: what a report plots.

A check already holds each numeric column sorted and each categorical column counted; a
sketch reads them without another pass over the data:

- numeric: shares of the finite values in ``bins`` equal-width bins over a common range, from
  the 0.5th to the 99.5th percentile of both samples (so one outlier does not squeeze the
  picture), with the shares left outside on each side; and both quantile functions at
  ``points`` evenly spaced probabilities (the ECDFs, drawn as x = quantile, y = probability).
  Each bin boundary is a binary search of the sorted sample, each quantile an index into it:
  O(bins * log n), nothing proportional to the rows.
- categorical: each category's share of the non-missing values on both sides, over the union
  of the categories, the ``top`` largest first and the rest summed; a category absent from the
  reference is marked ``unseen``.

Worked example: reference [1, 2, 3, 4], current [3, 4, 5, 6], ``bins=2`` -> range [1, 6] (the
0.5th and 99.5th percentiles by nearest rank: 1 of the reference, 6 of the current), edges
[1, 3.5, 6], reference shares [0.75, 0.25], current [0.25, 0.75], nothing outside.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from modelmon.drift.profile import SortedSample

FloatArray = npt.NDArray[np.float64]

BINS = 40
POINTS = 101
TOP_CATEGORIES = 15
TAIL = 0.005


@dataclasses.dataclass(frozen=True, kw_only=True)
class NumericSketch:
    edges: FloatArray
    """``bins + 1`` increasing bin edges, common to both sides."""
    reference_shares: FloatArray
    current_shares: FloatArray
    """Share of the finite values in each bin (the shares below/above the range are apart)."""
    reference_outside: tuple[float, float]
    current_outside: tuple[float, float]
    """Shares of the finite values below the first edge and above the last."""
    probabilities: FloatArray
    reference_quantiles: FloatArray
    current_quantiles: FloatArray
    kind: Literal["numeric"] = "numeric"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CategoryShare:
    name: str
    reference_share: float
    current_share: float
    unseen: bool
    """Absent from the reference."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class CategoricalSketch:
    categories: tuple[CategoryShare, ...]
    """The largest categories (by the larger of their two shares), largest first."""
    other_categories: int
    """How many smaller categories are summed in ``other``."""
    other: CategoryShare | None
    kind: Literal["categorical"] = "categorical"


Sketch = NumericSketch | CategoricalSketch


def _nearest_rank(ordered: FloatArray, probabilities: FloatArray) -> FloatArray:
    index = np.round(probabilities * (ordered.size - 1)).astype(np.int64)
    return ordered[index]


def _shares(ordered: FloatArray, edges: FloatArray) -> tuple[FloatArray, tuple[float, float]]:
    n = ordered.size
    if n == 0:
        return np.zeros(edges.size - 1), (0.0, 0.0)
    positions = np.searchsorted(ordered, edges, side="left").astype(np.float64)
    positions[-1] = np.searchsorted(ordered, edges[-1], side="right")
    return np.diff(positions) / n, (float(positions[0] / n), float((n - positions[-1]) / n))


def sketch_numeric(
    reference: SortedSample, current: SortedSample, *, bins: int = BINS, points: int = POINTS
) -> NumericSketch:
    """Histogram shares and quantile functions of two sorted samples on common bins."""
    ref, cur = reference.finite, current.finite
    tails = np.array([TAIL, 1 - TAIL])
    ends = [_nearest_rank(side, tails) for side in (ref, cur) if side.size]
    low = min((float(e[0]) for e in ends), default=0.0)
    high = max((float(e[1]) for e in ends), default=1.0)
    if not high > low:
        pad = max(abs(low) * 0.05, 0.5)
        low, high = low - pad, high + pad
    edges = np.linspace(low, high, bins + 1)
    ref_shares, ref_outside = _shares(ref, edges)
    cur_shares, cur_outside = _shares(cur, edges)
    probabilities = np.linspace(0.0, 1.0, points)
    empty = np.full(points, math.nan)
    return NumericSketch(
        edges=edges,
        reference_shares=ref_shares,
        current_shares=cur_shares,
        reference_outside=ref_outside,
        current_outside=cur_outside,
        probabilities=probabilities,
        reference_quantiles=_nearest_rank(ref, probabilities) if ref.size else empty,
        current_quantiles=_nearest_rank(cur, probabilities) if cur.size else empty,
    )


def sketch_categorical(
    reference: Mapping[str, int], current: Mapping[str, int], *, top: int = TOP_CATEGORIES
) -> CategoricalSketch:
    """Category shares of both sides over the union of their categories, largest first."""
    ref_n, cur_n = sum(reference.values()), sum(current.values())
    names = list(reference) + [c for c in current if c not in reference and current[c]]
    shares = [
        CategoryShare(
            name=c,
            reference_share=reference.get(c, 0) / ref_n if ref_n else 0.0,
            current_share=current.get(c, 0) / cur_n if cur_n else 0.0,
            unseen=c not in reference,
        )
        for c in names
    ]
    # unseen first among equals: a new category is what a reader looks for
    shares.sort(key=lambda s: (-max(s.reference_share, s.current_share), not s.unseen, s.name))
    shown, rest = shares[:top], shares[top:]
    other = None
    if rest:
        other = CategoryShare(
            name=f"other ({len(rest)})",
            reference_share=sum(s.reference_share for s in rest),
            current_share=sum(s.current_share for s in rest),
            unseen=any(s.unseen for s in rest),
        )
    return CategoricalSketch(categories=tuple(shown), other_categories=len(rest), other=other)
