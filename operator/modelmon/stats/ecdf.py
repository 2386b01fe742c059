"""Two-sample statistics read off two *sorted* samples: Kolmogorov-Smirnov and Wasserstein-1.

Both samples arrive sorted (the reference once, in its profile; the current window once
per check), so neither statistic sorts again:

- Wasserstein-1 is computed from the quantile functions: ``W1 = integral_0^1 |Qf(t) - Qg(t)| dt``.
  With equal sizes this is ``mean |ref_sorted - cur_sorted|``; otherwise the two step
  functions are walked on the union of their breakpoints ``i/n`` and ``j/m``, whose order
  is pure arithmetic -- no comparison of data values, no merge.
- KS evaluates the reference ECDF at the current values with one vectorised binary search.

Conventions
-----------
- ``F`` is the reference ECDF, ``G`` the current ECDF, right-continuous
  (``F(x) = #{ref <= x} / n``), as in scipy; ties within and across samples are exact.
- NaN and infinities must be removed by the caller (``drift.profile.sort_sample``): they
  are counted and reported there, never mixed into a distance.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats as scipy_stats

FloatArray = npt.NDArray[np.float64]

# Below this many rows on both sides the exact KS distribution is affordable; matches
# scipy.stats.ks_2samp(method="auto").
EXACT_KS_MAX_N = 10_000


def _require(reference: FloatArray, current: FloatArray) -> None:
    if reference.size == 0 or current.size == 0:
        raise ValueError("two-sample statistics need two non-empty samples")


def ks_sorted(reference: FloatArray, current: FloatArray) -> tuple[float, float]:
    """Two-sample KS statistic ``D = sup_x |F(x) - G(x)|`` and its two-sided p-value.

    Between two consecutive current values G is constant and F only rises, so the supremum
    is reached either at a current value (``G - F``) or just below one (``F(x-) - G``):
    evaluating F at the current values (one binary search each) is exact.

    p-value: the exact distribution when both samples have at most 10,000 rows, else
    ``scipy.stats.kstwo`` with ``n_eff = round(n*m / (n+m))`` -- scipy's own choice in
    ``ks_2samp``.

    Worked example: reference ``[1, 2, 3]``, current ``[2, 3, 4]``: at x=1, F=1/3 and G=0,
    and nowhere is the gap larger, so ``D = 1/3``.
    """
    _require(reference, current)
    n, m = reference.size, current.size
    below_or_equal = np.searchsorted(reference, current, side="right")
    strictly_below = below_or_equal.copy()
    tied = below_or_equal > 0
    tied[tied] = reference[below_or_equal[tied] - 1] == current[tied]
    if tied.any():
        strictly_below[tied] = np.searchsorted(reference, current[tied], side="left")
    # G at and just below each current value, by its position in the sorted current sample.
    if _has_ties(current):
        run_end = np.searchsorted(current, current, side="right")
        run_start = np.searchsorted(current, current, side="left")
    else:
        run_end, run_start = np.arange(1, m + 1), np.arange(m)
    up = np.max(run_end * n - below_or_equal * m)          # (G - F) * n * m at current values
    down = np.max(strictly_below * m - run_start * n)      # (F(x-) - G(x-)) * n * m
    statistic = max(int(up), int(down), 0) / (n * m)
    return statistic, _ks_pvalue(statistic, reference, current)


def _has_ties(sorted_values: FloatArray) -> bool:
    return bool(sorted_values.size > 1 and np.any(sorted_values[1:] == sorted_values[:-1]))


def _ks_pvalue(statistic: float, reference: FloatArray, current: FloatArray) -> float:
    n, m = reference.size, current.size
    if max(n, m) <= EXACT_KS_MAX_N:
        return float(scipy_stats.ks_2samp(reference, current, method="exact").pvalue)
    return ks_asymptotic_pvalue(statistic, reference_n=n, current_n=m)


def ks_asymptotic_pvalue(statistic: float, *, reference_n: int, current_n: int) -> float:
    """``kstwo.sf(D, n_eff)`` with ``n_eff = round(n*m / (n+m))``, scipy's choice in ``ks_2samp``."""
    large, small = max(reference_n, current_n), min(reference_n, current_n)
    effective_n = max(1, round(large * small / (large + small)))
    return float(np.clip(scipy_stats.kstwo.sf(statistic, effective_n), 0.0, 1.0))


def wasserstein_sorted(reference: FloatArray, current: FloatArray) -> float:
    """Wasserstein-1 distance ``integral |F(x) - G(x)| dx`` in the data's units.

    Computed as ``integral_0^1 |Qf(t) - Qg(t)| dt`` with ``Qf(t) = ref[ceil(t n) - 1]``.
    On the common grid of denominator ``n*m`` the breakpoints are the integers ``i*m`` and
    ``j*n``; between two consecutive breakpoints both quantile functions are constant.

    Worked example: reference ``[1, 2, 3]``, current ``[2, 3, 4]``: every quantile is
    shifted by 1, so ``W1 = 1``.
    """
    _require(reference, current)
    n, m = reference.size, current.size
    if n == m:
        return float(np.mean(np.abs(reference - current)))
    levels = _merged_levels(n, m)
    widths = np.diff(levels, prepend=0)
    ref_index = (levels + (m - 1)) // m - 1  # ceil(level / m) - 1
    cur_index = (levels + (n - 1)) // n - 1
    return float(np.dot(widths, np.abs(reference[ref_index] - current[cur_index]))) / (n * m)


def _merged_levels(n: int, m: int) -> npt.NDArray[np.int64]:
    """The sorted union (with repeats) of ``i*m`` (i = 1..n) and ``j*n`` (j = 1..m).

    The j-th current level has ``floor((j*n - 1) / m)`` reference levels strictly below it,
    so every position is known without comparing anything.
    """
    j = np.arange(1, m + 1, dtype=np.int64)
    current_at = (j - 1) + (j * n - 1) // m
    levels = np.empty(n + m, dtype=np.int64)
    is_reference = np.ones(n + m, dtype=bool)
    is_reference[current_at] = False
    levels[current_at] = j * n
    levels[is_reference] = np.arange(1, n + 1, dtype=np.int64) * m
    return levels


#: Share of quantile levels left out at *each* end by the trimmed Wasserstein distance.
TRIM = 0.025
#: IQR of the standard normal, ``2 * Phi^-1(0.75)``: IQR / 1.349 estimates sigma for normal data.
NORMAL_IQR = 1.3489795003921634


def trimmed_wasserstein_sorted(reference: FloatArray, current: FloatArray, *, trim: float = TRIM) -> float:
    """Mean distance between the two quantile functions over the central levels, in data units:
    ``W1_trim = integral_trim^(1-trim) |Qf(t) - Qg(t)| dt / (1 - 2 trim)``.

    Why trimmed: the full W1 integrates the extreme quantiles, where two samples of one
    heavy-tailed distribution (Cauchy, Pareto) differ by arbitrarily much: on Cauchy data its
    expectation does not shrink with n at all. Leaving out ``trim`` (2.5 %) of the levels at
    each end bounds that noise and keeps the meaning: a pure shift of every value by ``d``
    scores exactly ``d`` for any distribution. Changes confined to the outer 2.5 % tails are
    seen by KS and by the outOfRange quality check instead.

    Worked example: reference ``[1, 2, 3, 4]``, current ``[2, 3, 4, 5]`` -- every quantile is
    shifted by 1, so the score is 1 for any trim; with current ``[1, 2, 3, 14]`` and
    ``trim = 0.25`` only the levels (0.25, 0.75] count, where the samples agree: 0.
    """
    _require(reference, current)
    if not 0.0 <= trim < 0.5:
        raise ValueError(f"trim must lie in [0, 0.5), got {trim}")
    n, m = reference.size, current.size
    if n == m:
        return _trimmed_equal_sizes(reference, current, trim=trim)
    levels = _merged_levels(n, m)
    low, high = trim * n * m, (1.0 - trim) * n * m
    clipped = np.clip(levels, low, high)
    widths = np.diff(clipped, prepend=low)
    ref_index = (levels + (m - 1)) // m - 1
    cur_index = (levels + (n - 1)) // n - 1
    mass = float(np.dot(widths, np.abs(reference[ref_index] - current[cur_index])))
    return mass / ((high - low) if high > low else 1.0)


def wasserstein_and_trimmed(reference: FloatArray, current: FloatArray, *,
                            trim: float = TRIM) -> tuple[float, float]:
    """``(wasserstein_sorted, trimmed_wasserstein_sorted)`` from one pass over the quantile gaps:
    a check reports both, and computing the gaps once keeps the second nearly free."""
    _require(reference, current)
    if not 0.0 <= trim < 0.5:
        raise ValueError(f"trim must lie in [0, 0.5), got {trim}")
    n, m = reference.size, current.size
    if n == m:
        gaps = np.abs(reference - current)
        total = float(gaps.sum())
        return total / n, _trimmed_gaps(gaps, trim=trim, total=total)
    levels = _merged_levels(n, m)
    ref_index = (levels + (m - 1)) // m - 1
    cur_index = (levels + (n - 1)) // n - 1
    gaps = np.abs(reference[ref_index] - current[cur_index])
    widths = np.diff(levels, prepend=0)
    mass = float(np.dot(widths, gaps))
    # Segment i covers (levels[i-1], levels[i]]; the trimmed integral is the full one minus the
    # segments wholly outside [low, high] (2.5 % of them at each end) and the cut parts of the two
    # segments holding low and high.
    low, high = trim * n * m, (1.0 - trim) * n * m
    first = int(np.searchsorted(levels, low, side="left"))
    last = int(np.searchsorted(levels, high, side="left"))
    if first == last:
        trimmed = (high - low) * float(gaps[first])
    else:
        trimmed = mass - float(np.dot(widths[:first + 1], gaps[:first + 1])) \
            - float(np.dot(widths[last:], gaps[last:]))
        trimmed += (levels[first] - low) * float(gaps[first]) + (high - levels[last - 1]) * float(gaps[last])
    return mass / (n * m), trimmed / (high - low)


def _trimmed_gaps(gaps: FloatArray, *, trim: float, total: float) -> float:
    """Equal sizes: the mean of the pairwise gaps over ``[trim*n, (1-trim)*n]`` (partial end
    pairs), from the ``total`` of all gaps minus the two trimmed ends (5 % of the values summed)."""
    n = gaps.size
    low, high = trim * n, (1.0 - trim) * n
    first, last = int(np.floor(low)), int(np.ceil(high))
    central = total - float(gaps[:first].sum()) - float(gaps[last:].sum())
    central -= (low - first) * float(gaps[first]) + (last - high) * float(gaps[last - 1])
    return central / (high - low)


def _trimmed_equal_sizes(reference: FloatArray, current: FloatArray, *, trim: float) -> float:
    """Equal sizes: both quantile functions step at ``i/n``; weight each pair by its overlap
    with ``[trim*n, (1-trim)*n]`` (only the two end pairs are partial)."""
    n = reference.size
    low, high = trim * n, (1.0 - trim) * n
    first, last = int(np.floor(low)), int(np.ceil(high))  # pairs first .. last-1 overlap
    gaps = np.abs(reference[first:last] - current[first:last])
    total = float(gaps.sum())
    total -= (low - first) * float(gaps[0]) + (last - high) * float(gaps[-1])
    return total / (high - low)


def robust_scale(sorted_values: FloatArray) -> float:
    """The scale an effect size is measured in: ``IQR / 1.349`` (numpy's linear quantiles), which
    equals the standard deviation for normal data but is not inflated by a few extreme values
    (the std of a Cauchy sample grows without bound); when more than half the values are one
    value (IQR 0: zero-inflated or nearly constant columns) the population standard deviation;
    ``nan`` for a constant sample, which callers judge by KS instead.

    Worked example: ``[1, 2, 3, 4, 5]`` has quartiles 2 and 4, so the scale is 2 / 1.349 = 1.4826.
    """
    if sorted_values.size == 0:
        return float("nan")
    position = (sorted_values.size - 1) * np.array([0.25, 0.75])
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, sorted_values.size - 1)
    quartiles = sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low])
    iqr = float(quartiles[1] - quartiles[0])
    if iqr > 0 and np.isfinite(iqr):
        return iqr / NORMAL_IQR
    std = float(sorted_values.std())
    return std if std > 0 and np.isfinite(std) else float("nan")


def normalised_wasserstein(raw: float, *, reference_std: float) -> float:
    """``W / scale(reference)``: a shift of ``k`` scales scores ``k`` (with the std as scale, a shift
    in the mean of ``k`` standard deviations).

    Scale-free, so one threshold serves every feature. Undefined (``nan``) for a
    constant reference; callers judge such a column by KS instead.
    """
    if reference_std <= 0.0 or not np.isfinite(reference_std):
        return float("nan")
    return raw / reference_std
