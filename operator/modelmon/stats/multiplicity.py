"""Multiple-testing control: adjusted p-values for a family of tests judged together.

A check tests every feature (and every performance window) at once and raises one verdict;
testing each at level alpha makes the chance of at least one false alarm grow with the
family (1 - (1 - alpha)^m: 40 % for 10 features at 0.05). Adjusted p-values put the level on
the family instead: a test is rejected when its *adjusted* p-value is at most alpha.

- ``holm`` (Holm 1979, step-down Bonferroni; the default): with the p-values sorted
  ascending, ``p_adj(i) = max_{j <= i} min(1, (m - j + 1) * p(j))`` (ranks from 1). Controls
  the family-wise error rate -- the probability of *any* false rejection -- at alpha under
  any dependence between the tests (nested windows, correlated features).
- ``bh`` (Benjamini-Hochberg 1995, step-up): ``p_adj(i) = min_{j >= i} min(1, m * p(j) / j)``.
  Controls the expected share of false rejections among the rejections (FDR) for independent
  or positively dependent tests; under the global null (nothing changed) that is the
  family-wise rate again, and it is more powerful when many features really drifted.
  Same values as ``scipy.stats.false_discovery_control(p, method="bh")``.
- ``none``: the p-values unchanged (each test at its own level).

Missing p-values (``None``: a test not run because its effect size already said "no
drift") count as 1: still members of the family, so the others are not favoured by the
omission -- which can only make the adjustment more conservative.

Worked example: p = (0.01, 0.04, 0.03), m = 3. Holm: sorted 0.01, 0.03, 0.04 ->
3 * 0.01 = 0.03, 2 * 0.03 = 0.06, 1 * 0.04 = 0.04 -> running max 0.03, 0.06, 0.06; in the
original order (0.03, 0.06, 0.06). BH: 3 * 0.04 / 3 = 0.04, 3 * 0.03 / 2 = 0.045 -> min from
the top 0.04, 0.04, and 3 * 0.01 / 1 = 0.03; in the original order (0.03, 0.04, 0.04).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Method = Literal["holm", "bh", "none"]


def adjust(pvalues: Sequence[float | None], *, method: Method) -> list[float]:
    """Adjusted p-values, in the order given; ``None`` counts as 1."""
    values = np.array([1.0 if p is None else float(p) for p in pvalues], dtype=np.float64)
    if values.size == 0 or method == "none":
        return [float(v) for v in values]
    if np.any(np.isnan(values)) or np.any((values < 0) | (values > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {values.tolist()}")
    if method == "holm":
        return [float(v) for v in holm(values)]
    if method == "bh":
        return [float(v) for v in benjamini_hochberg(values)]
    raise ValueError(f"unknown multiple-testing method {method!r}: use holm, bh or none")


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (module docstring)."""
    m = pvalues.size
    order = np.argsort(pvalues, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * pvalues[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values (module docstring)."""
    m = pvalues.size
    order = np.argsort(pvalues, kind="stable")
    scaled = np.minimum(1.0, m * pvalues[order] / np.arange(1, m + 1))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return adjusted
