"""Reference profiles: everything a check needs from the reference, computed once.

A numeric column keeps its finite values *sorted* (exact KS and Wasserstein need them, and
sorting is the dominant cost of a check), its moments and range, and its bin edges and
counts; a categorical column keeps its category counts. A later check against the same
reference only pays for the current window.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import numpy.typing as npt

from modelmon.stats import binning

FloatArray = npt.NDArray[np.float64]
Kind = Literal["numeric", "categorical", "identifier"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SortedSample:
    """A numeric column sorted once, with its missing and non-finite values counted."""

    rows: int
    missing: int
    """NaN/null values."""
    non_finite: int
    """+inf/-inf values."""
    finite: FloatArray
    """The finite values, ascending."""


def sort_sample(values: FloatArray) -> SortedSample:
    """Sort a column once; NaN sort last and infinities at the ends, so counting them
    costs a few binary searches instead of passes over the data."""
    ordered = np.sort(values)
    first_nan = int(np.searchsorted(ordered, np.nan, side="left"))
    low = int(np.searchsorted(ordered[:first_nan], -np.inf, side="right"))
    high = int(np.searchsorted(ordered[:first_nan], np.inf, side="left"))
    return SortedSample(
        rows=int(values.size),
        missing=int(values.size - first_nan),
        non_finite=low + (first_nan - high),
        finite=ordered[low:high],
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class NumericProfile:
    name: str
    sample: SortedSample
    mean: float
    std: float
    """Population standard deviation (ddof=0) of the finite values."""
    edges: FloatArray
    bin_counts: npt.NDArray[np.int64]
    kind: Kind = "numeric"

    @property
    def minimum(self) -> float:
        return float(self.sample.finite[0]) if self.sample.finite.size else float("nan")

    @property
    def maximum(self) -> float:
        return float(self.sample.finite[-1]) if self.sample.finite.size else float("nan")


@dataclasses.dataclass(frozen=True, kw_only=True)
class CategoricalProfile:
    name: str
    rows: int
    missing: int
    counts: dict[str, int]
    kind: Kind = "categorical"


@dataclasses.dataclass(frozen=True, kw_only=True)
class IdentifierProfile:
    """A column of ids or hashes (integers beyond 2**53): recorded so that it is reported as
    such, never compared as a distribution."""

    name: str
    rows: int
    reason: str
    kind: Kind = "identifier"


ColumnProfile = NumericProfile | CategoricalProfile | IdentifierProfile


def profile_numeric(name: str, values: FloatArray, *, bins: int) -> NumericProfile:
    return profile_sorted(name, sort_sample(values), bins=bins)


def profile_sorted(name: str, sample: SortedSample, *, bins: int) -> NumericProfile:
    finite = sample.finite
    if finite.size == 0:
        empty = np.empty(0)
        return NumericProfile(name=name, sample=sample, mean=float("nan"), std=float("nan"),
                              edges=empty, bin_counts=np.zeros(1, dtype=np.int64))
    edges = binning.quantile_edges(finite, bins=bins)
    return NumericProfile(
        name=name,
        sample=sample,
        mean=float(finite.mean()),
        std=float(finite.std()),
        edges=edges,
        bin_counts=binning.counts_in_bins(finite, edges=edges),
    )


def profile_categorical(name: str, *, counts: dict[str, int], missing: int) -> CategoricalProfile:
    return CategoricalProfile(name=name, rows=sum(counts.values()) + missing, missing=missing, counts=dict(counts))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReferenceProfile:
    """The reference dataset, profiled column by column with the bins it was built for."""

    source: str
    bins: int
    columns: dict[str, ColumnProfile]
