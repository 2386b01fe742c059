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

Sparse tables: the chi-square distribution of the statistic is an approximation that needs a
few expected counts per cell (Cochran's rule: at least 5). With hundreds of categories and a
few thousand rows most cells hold one or two values, and the test's false-alarm rate drifts
from its stated level. ``pool_sparse`` merges the categories whose expected count is below 5
into one "rare" column before testing. The pooling is decided from the column totals alone,
which are fixed when the test conditions on the margins, so the test stays valid.
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


MIN_EXPECTED = 5.0


def pool_sparse(reference: npt.ArrayLike, current: npt.ArrayLike,
                *, min_expected: float = MIN_EXPECTED) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The 2 x k table with every column whose smaller expected count is below ``min_expected``
    merged into one pooled column (itself merged into the smallest other column while still
    below); columns empty on both sides are dropped. The order of the kept columns is kept, the
    pooled column comes last.

    Worked example: reference (50, 40, 2, 1), current (45, 50, 1, 2): totals (95, 90, 3, 3) of
    191, the smaller row total 93, expected (46.3, 43.8, 1.46, 1.46): the last two pool into one
    column (3, 3), expected 2.9 -- still below 5, so it joins the smaller kept column:
    reference (50, 43), current (45, 53).
    """
    ref = np.asarray(reference, dtype=np.int64)
    cur = np.asarray(current, dtype=np.int64)
    totals = ref + cur
    ref, cur, totals = ref[totals > 0], cur[totals > 0], totals[totals > 0]
    grand = int(totals.sum())
    if grand == 0:
        return ref, cur
    smaller_row = min(int(ref.sum()), int(cur.sum()))
    sparse = totals * smaller_row / grand < min_expected
    if not sparse.any():
        return ref, cur
    pooled_ref, pooled_cur = int(ref[sparse].sum()), int(cur[sparse].sum())
    ref, cur = ref[~sparse], cur[~sparse]
    if ref.size and (pooled_ref + pooled_cur) * smaller_row / grand < min_expected:
        smallest = int(np.argmin(ref + cur))
        ref, cur = ref.copy(), cur.copy()
        ref[smallest] += pooled_ref
        cur[smallest] += pooled_cur
        return ref, cur
    return np.append(ref, pooled_ref), np.append(cur, pooled_cur)
