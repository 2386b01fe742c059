"""Chi-square test of homogeneity for a categorical feature, reference vs current.

The 2 x k contingency table has one row per sample and one column per category: the
reference's categories plus one "unseen" bucket collecting every current category the
reference never had. Columns empty on both sides are dropped.

``chi2 = sum (O - E)^2 / E`` with ``E = row_total * column_total / grand_total``,
``dof = k - 1``, p-value from the chi-square survival function. No Yates continuity
correction, even with one degree of freedom (scipy's ``chi2_contingency`` applies it
there by default; pass ``correction=False`` to compare).

Worked example: reference counts (50, 50), current (30, 70): E = (40, 60) per row,
chi2 = 2 * (10^2/40 + 10^2/60) = 8.333, dof 1, p = 0.0039.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import stats as scipy_stats


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChiSquareResult:
    statistic: float
    pvalue: float
    dof: int


def chi_square_homogeneity(reference: npt.ArrayLike, current: npt.ArrayLike) -> ChiSquareResult:
    """Test whether two count vectors over the same categories share one distribution."""
    table = np.vstack([np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64)])
    if table.shape[1] == 0 or (table.sum(axis=1) <= 0).any():
        raise ValueError("both samples need at least one counted category")
    table = table[:, table.sum(axis=0) > 0]
    dof = table.shape[1] - 1
    if dof == 0:
        return ChiSquareResult(statistic=0.0, pvalue=1.0, dof=0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return ChiSquareResult(statistic=statistic, pvalue=float(scipy_stats.chi2.sf(statistic, dof)), dof=dof)
