"""Two-sample statistics read off the merged empirical CDFs of two *sorted* samples.

Kolmogorov-Smirnov and Wasserstein-1 both need the two empirical CDFs evaluated on the
union of the samples. Both samples arrive already sorted (the reference once, in its
profile; the current window once per check), so one stable merge of the two sorted runs
gives every number at once: no method sorts again.

Conventions
-----------
- ``F`` is the reference ECDF, ``G`` the current ECDF, both right-continuous
  (``F(x) = #{ref <= x} / n``), as in scipy.
- Ties across the samples are handled exactly: the CDFs are only compared at the end
  of each run of equal values.
- NaN and infinities must be removed by the caller (see ``checks``): they are counted
  and reported there, never silently mixed into a distance.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import stats as scipy_stats

FloatArray = npt.NDArray[np.float64]

# Below this many rows on both sides the exact KS distribution is affordable; matches
# scipy.stats.ks_2samp(method="auto").
EXACT_KS_MAX_N = 10_000


@dataclasses.dataclass(frozen=True, kw_only=True)
class EcdfComparison:
    """KS statistic and p-value, and the raw Wasserstein-1 distance of two samples."""

    ks_statistic: float
    ks_pvalue: float
    wasserstein: float


def compare_sorted(reference: FloatArray, current: FloatArray) -> EcdfComparison:
    """Compare two sorted, finite, non-empty samples through their ECDFs.

    KS:  ``D = sup_x |F(x) - G(x)|``; two-sided p-value from the exact distribution when
    both samples have at most 10,000 rows, else from ``scipy.stats.kstwo`` with
    ``n_eff = round(n*m / (n+m))`` -- the same choice scipy's ``ks_2samp`` makes.

    Wasserstein-1 (earth mover's distance): ``W1 = integral |F(x) - G(x)| dx``, in the
    units of the data (normalise it with :func:`normalised_wasserstein`).

    Worked example: reference ``[1, 2, 3]``, current ``[2, 3, 4]``. F-G is 1/3 on
    [1, 4) and 0 elsewhere, so ``D = 1/3`` and ``W1 = 3 * 1/3 = 1``.
    """
    n, m = reference.size, current.size
    if n == 0 or m == 0:
        raise ValueError("compare_sorted needs two non-empty samples")
    merged, gap = _merge_gaps(reference, current)
    statistic = float(gap.max()) / (n * m)
    steps = np.diff(merged)
    wasserstein = float(np.dot(gap[:-1], steps)) / (n * m)
    return EcdfComparison(
        ks_statistic=statistic,
        ks_pvalue=_ks_pvalue(statistic, reference, current),
        wasserstein=wasserstein,
    )


def _merge_gaps(reference: FloatArray, current: FloatArray) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Merged values and ``|F - G| * n * m`` (exact integers) after each merged value.

    At a value shared by both samples, intermediate positions of its run are not points
    where both CDFs are defined; they are replaced by the value at the run's end, which
    leaves the supremum and the integral unchanged.
    """
    n, m = reference.size, current.size
    both = np.concatenate([reference, current])
    # Stable sort of two sorted runs is a single linear merge (timsort).
    order = np.argsort(both, kind="stable")
    merged = both[order]
    from_reference = np.cumsum(order < n, dtype=np.int64)
    position = np.arange(1, n + m + 1, dtype=np.int64)
    # (F - G) * n * m = from_reference * m - (position - from_reference) * n
    gap = from_reference * (n + m) - position * n
    np.abs(gap, out=gap)
    run_ends = merged[1:] != merged[:-1]
    if not run_ends.all():
        gap = _values_at_run_ends(gap, run_ends)
    return merged, gap


def _values_at_run_ends(gap: npt.NDArray[np.int64], run_ends: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    ends = np.flatnonzero(np.append(run_ends, True))
    run_of = np.searchsorted(ends, np.arange(gap.size), side="left")
    return gap[ends[run_of]]


def _ks_pvalue(statistic: float, reference: FloatArray, current: FloatArray) -> float:
    n, m = reference.size, current.size
    if max(n, m) <= EXACT_KS_MAX_N:
        return float(scipy_stats.ks_2samp(reference, current, method="exact").pvalue)
    large, small = max(n, m), min(n, m)
    effective_n = round(large * small / (large + small))
    return float(np.clip(scipy_stats.kstwo.sf(statistic, effective_n), 0.0, 1.0))


def normalised_wasserstein(raw: float, *, reference_std: float) -> float:
    """``W1 / std(reference)``: a shift in the mean of ``k`` standard deviations scores ``k``.

    Scale-free, so one threshold serves every feature. Undefined (``nan``) for a
    constant reference; callers judge such a column by KS instead.
    """
    if reference_std <= 0.0 or not np.isfinite(reference_std):
        return float("nan")
    return raw / reference_std
