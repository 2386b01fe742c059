"""Divergences between two discrete distributions (binned numeric or categorical).

All functions take *counts* (or proportions) over the same bins/categories, reference
first, current second, and return a non-negative float.

Conventions
-----------
- Natural logarithm for PSI and KL; base 2 for Jensen-Shannon, so the JS distance lies
  in [0, 1] (this matches ``scipy.spatial.distance.jensenshannon(p, q, base=2)``).
- PSI and KL are infinite where a bin is empty on one side; such proportions are
  floored at ``EPSILON = 1e-4`` (and not renormalised) before the logarithm. JS and
  Hellinger are finite with empty bins and use the raw proportions.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike

EPSILON = 1e-4


def proportions(counts: ArrayLike) -> npt.NDArray[np.float64]:
    """Counts -> proportions summing to 1; raises on an empty or all-zero vector."""
    values = np.asarray(counts, dtype=np.float64)
    total = values.sum()
    if values.size == 0 or total <= 0:
        raise ValueError("cannot turn an empty or all-zero count vector into proportions")
    proportional: npt.NDArray[np.float64] = values / total
    return proportional


def _smoothed(reference: ArrayLike, current: ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    ref, cur = proportions(reference), proportions(current)
    if ref.shape != cur.shape:
        raise ValueError(f"bin counts differ in shape: reference {ref.shape}, current {cur.shape}")
    return np.maximum(ref, EPSILON), np.maximum(cur, EPSILON)


def psi(reference: ArrayLike, current: ArrayLike) -> float:
    """Population Stability Index ``sum_i (c_i - r_i) * ln(c_i / r_i)``.

    ``r``/``c`` are reference/current proportions floored at ``EPSILON``. Symmetric in its
    arguments. Conventional reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant.

    Worked example: r = (0.5, 0.5), c = (0.25, 0.75):
    ``(0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5) = 0.1733 + 0.1014 = 0.2747``.
    """
    ref, cur = _smoothed(reference, current)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def kl_divergence(reference: ArrayLike, current: ArrayLike) -> float:
    """Kullback-Leibler divergence of the current from the reference, ``KL(C || R)``.

    ``sum_i c_i * ln(c_i / r_i)`` in nats, proportions floored at ``EPSILON``: "how
    surprising is the current data to someone who expects the reference". Not symmetric.

    Worked example: r = (0.5, 0.5), c = (0.25, 0.75):
    ``0.25 ln(0.5) + 0.75 ln(1.5) = -0.1733 + 0.3041 = 0.1308``.
    """
    ref, cur = _smoothed(reference, current)
    return float(np.sum(cur * np.log(cur / ref)))


def js_distance(reference: ArrayLike, current: ArrayLike) -> float:
    """Jensen-Shannon *distance* (square root of the divergence), log base 2, in [0, 1].

    ``M = (R + C) / 2``; ``JS = sqrt((KL(R||M) + KL(C||M)) / 2)`` with ``0 * log 0 = 0``.
    Symmetric; 1 for distributions with disjoint support.
    """
    ref, cur = proportions(reference), proportions(current)
    mid = (ref + cur) / 2.0
    divergence = (_kl_base2(ref, mid) + _kl_base2(cur, mid)) / 2.0
    return float(np.sqrt(max(divergence, 0.0)))


def js_null_bias(*, categories: int, reference_n: int, current_n: int) -> float:
    """Expected Jensen-Shannon *divergence* (bits) between two samples of one distribution.

    For two multinomial samples of sizes n and m over k categories of one distribution, the
    second-order expansion ``JSD ~ (1/8) sum (r_i - c_i)^2 / M_i`` (nats) and
    ``E[(r_i - c_i)^2] = p_i (1 - p_i) (1/n + 1/m)`` give
    ``E[JSD] ~ (k - 1) (1/n + 1/m) / (8 ln 2)`` bits: the plug-in distance of two samples of the
    *same* distribution grows like ``sqrt(k / n)``. Worked example: k = 50, n = m = 1,001:
    ``49 * 0.001998 / 5.545 = 0.01766`` bits, a plug-in distance of about 0.133 -- past the
    old 0.1 threshold with no drift at all.
    """
    if categories < 2 or reference_n <= 0 or current_n <= 0:
        return 0.0
    return (categories - 1) * (1.0 / reference_n + 1.0 / current_n) / (8.0 * math.log(2.0))


def js_distance_debiased(reference: ArrayLike, current: ArrayLike) -> float:
    """Jensen-Shannon distance with its expected value under "no change" taken out:
    ``sqrt(max(JSD - js_null_bias, 0))``, ``JSD`` the plug-in divergence in bits of the *counts*
    given, k the number of bins/categories counted on either side.

    The expansion behind the bias holds when every cell has a few expected counts; callers pool
    sparse categories first (``chisquare.pool_sparse``). Worked example: counts (500, 500)
    against (600, 400): plug-in JSD 0.007290 bits (distance 0.0854), bias
    ``1 * (1/1000 + 1/1000) / 5.545 = 0.000361``, so ``sqrt(0.006929) = 0.0832``.
    """
    ref_counts = np.asarray(reference, dtype=np.float64)
    cur_counts = np.asarray(current, dtype=np.float64)
    plugin = js_distance(ref_counts, cur_counts) ** 2
    counted = int(np.count_nonzero(ref_counts + cur_counts))
    bias = js_null_bias(categories=counted, reference_n=int(round(ref_counts.sum())),
                        current_n=int(round(cur_counts.sum())))
    return float(np.sqrt(max(plugin - bias, 0.0)))


def _kl_base2(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / q[mask])))


def hellinger(reference: ArrayLike, current: ArrayLike) -> float:
    """Hellinger distance ``sqrt(1 - sum_i sqrt(r_i * c_i))``, in [0, 1], symmetric.

    Equal to ``||sqrt(r) - sqrt(c)||_2 / sqrt(2)``. Worked example: r = (1, 0),
    c = (0, 1) gives 1; identical distributions give 0.
    """
    ref, cur = proportions(reference), proportions(current)
    overlap = float(np.sum(np.sqrt(ref * cur)))
    return float(np.sqrt(max(1.0 - overlap, 0.0)))
