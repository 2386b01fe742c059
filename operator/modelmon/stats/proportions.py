"""One-sided one-proportion z-test: has a live rate (accuracy, hit rate) fallen below its baseline?

The performance check compares a proportion measured on the current window with the
backtest baseline ``p0``. A fixed drop threshold alone cannot tell a real decay from the
noise of a small window; this test says how surprising the observed proportion would be
if the model still performed at ``p0``.

Formula, for ``x`` successes in ``n`` trials and ``p_hat = x / n``::

    z = (p_hat - p0) / sqrt(p0 * (1 - p0) / n)
    p = Phi(z)        alternative "less"    (H1: the true proportion is below p0)
    p = 1 - Phi(z)    alternative "greater" (H1: the true proportion is above p0)

Conventions: the standard error comes from the null proportion ``p0`` (the score test),
not from ``p_hat``, so a window with ``p_hat`` of 0 or 1 still has a finite z; no continuity
correction. The normal approximation is good when ``n * p0`` and ``n * (1 - p0)`` are both
at least about 10; below that it is a rough guide (``scipy.stats.binomtest`` is exact).

Worked example: baseline 0.9, 348 correct predictions out of 400: ``p_hat = 0.87``,
``se = sqrt(0.9 * 0.1 / 400) = 0.015``, ``z = -0.03 / 0.015 = -2.0``,
``p = Phi(-2.0) = 0.0228``: significant at alpha 0.05, not at 0.01.

Edge cases, answered exactly rather than by dividing by zero:

- ``n == 0``: nothing was observed; ``proportion``, ``z`` and ``p_value`` are None and
  ``reason`` says why.
- ``p0`` of 0 or 1: under the null every trial has the same outcome, so the number of
  successes is exactly ``n * p0`` and the exact binomial p-value is 0 or 1. For "less" with
  ``p0 = 1``, a single failure gives ``z = -inf`` and ``p = 0`` (impossible under the null);
  no failures give ``z = 0`` and ``p = 1``. Generally ``z`` is 0 when ``p_hat == p0`` and
  ``+-inf`` with the sign of ``p_hat - p0`` otherwise, and ``p`` is 0 exactly when ``p_hat``
  lies strictly on the alternative's side of ``p0``. ``reason`` notes the exact answer.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from typing import Literal, SupportsIndex

from scipy import stats as scipy_stats

Alternative = Literal["less", "greater"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProportionTestResult:
    """Outcome of :func:`one_proportion_ztest`.

    ``reason`` explains a None ``p_value`` (no samples) or notes the exact answer for a
    degenerate baseline of 0 or 1; it is None for an ordinary normal-approximation test.
    """

    successes: int
    n: int
    proportion: float | None
    baseline: float
    alternative: Alternative
    z: float | None
    p_value: float | None
    reason: str | None = None

    def significant(self, *, alpha: float) -> bool:
        """True when ``p_value <= alpha``; False when the test could not run (None p-value)."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
        return self.p_value is not None and self.p_value <= alpha


def one_proportion_ztest(
    successes: SupportsIndex, n: SupportsIndex, *, baseline: float,
    alternative: Alternative = "less",
) -> ProportionTestResult:
    """Test ``successes / n`` against ``baseline`` (see the module docstring for the formula).

    >>> result = one_proportion_ztest(348, 400, baseline=0.9)
    >>> round(result.z, 6), round(result.p_value, 4), result.significant(alpha=0.05)
    (-2.0, 0.0228, True)
    """
    count, trials = _validated(successes, n, baseline=baseline, alternative=alternative)
    if trials == 0:
        return ProportionTestResult(
            successes=0, n=0, proportion=None, baseline=float(baseline), alternative=alternative,
            z=None, p_value=None, reason="no samples (n == 0): the proportion is undefined",
        )
    proportion = count / trials
    reason: str | None
    if baseline in (0.0, 1.0):
        z, p_value, reason = _degenerate(proportion, baseline=baseline, alternative=alternative)
    else:
        z, p_value, reason = _normal(proportion, n=trials, baseline=baseline,
                                     alternative=alternative)
    return ProportionTestResult(
        successes=count, n=trials, proportion=proportion, baseline=float(baseline),
        alternative=alternative, z=z, p_value=p_value, reason=reason,
    )


#: The normal approximation is used when ``n * p0`` and ``n * (1 - p0)`` are both at least this.
NORMAL_APPROXIMATION_MIN = 10.0


def one_proportion_test(
    successes: SupportsIndex, n: SupportsIndex, *, baseline: float,
    alternative: Alternative = "less",
) -> ProportionTestResult:
    """The z-test where its normal approximation holds (``n p0`` and ``n (1 - p0)`` both at
    least 10), else the exact one-sided binomial test, ``P(X <= x)`` (``P(X >= x)`` for
    "greater") with ``X ~ Binomial(n, p0)`` -- the textbook rule, so the stated level holds
    for a window of 50 against a baseline of 0.9 (``n (1 - p0) = 5``), where the z-test
    would reject a model at its baseline about 6 % of the time at 0.05.

    Worked example: 41 of 50 against 0.9: exact ``P(X <= 41) = 0.0579`` (the z-test would say
    ``Phi(-1.886) = 0.0296``); 26 of 50 against 0.65 keeps the z-test: 0.027.
    """
    count, trials = _validated(successes, n, baseline=baseline, alternative=alternative)
    if trials == 0 or baseline in (0.0, 1.0) or \
            min(trials * baseline, trials * (1.0 - baseline)) >= NORMAL_APPROXIMATION_MIN:
        return one_proportion_ztest(count, trials, baseline=baseline, alternative=alternative)
    tail = scipy_stats.binom.cdf(count, trials, baseline) if alternative == "less" \
        else scipy_stats.binom.sf(count - 1, trials, baseline)
    return ProportionTestResult(
        successes=count, n=trials, proportion=count / trials, baseline=float(baseline), alternative=alternative,
        z=None, p_value=float(min(1.0, tail)),
        reason=f"exact binomial test: n*p0 = {trials * baseline:.3g} or n*(1-p0) = {trials * (1 - baseline):.3g} "
               f"is below {NORMAL_APPROXIMATION_MIN:g}, where the normal approximation is poor")


def _normal(
    proportion: float, *, n: int, baseline: float, alternative: Alternative
) -> tuple[float, float, str | None]:
    """z and its one-sided normal tail, standard error from the null proportion."""
    z = (proportion - baseline) / math.sqrt(baseline * (1.0 - baseline) / n)
    tail = scipy_stats.norm.cdf(z) if alternative == "less" else scipy_stats.norm.sf(z)
    return z, float(tail), None


def _degenerate(
    proportion: float, *, baseline: float, alternative: Alternative
) -> tuple[float, float, str]:
    """Exact answer for a baseline of 0 or 1: the null puts all its mass on ``n * p0``."""
    difference = proportion - baseline
    z = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
    on_alternative_side = difference < 0.0 if alternative == "less" else difference > 0.0
    reason = f"baseline {baseline:g} is degenerate: exact p-value of a point-mass null"
    return z, 0.0 if on_alternative_side else 1.0, reason


def _validated(
    successes: SupportsIndex, n: SupportsIndex, *, baseline: float, alternative: str
) -> tuple[int, int]:
    count, trials = operator.index(successes), operator.index(n)
    if trials < 0 or not 0 <= count <= trials:
        raise ValueError(f"need 0 <= successes <= n, got successes={count}, n={trials}")
    if not 0.0 <= baseline <= 1.0:  # also rejects NaN
        raise ValueError(f"baseline must be a proportion in [0, 1], got {baseline!r}")
    if alternative not in ("less", "greater"):
        raise ValueError(f"alternative must be 'less' or 'greater', got {alternative!r}")
    return count, trials
