"""Severity of a drift score: four named levels and a 0-100 number.

A method's thresholds are three increasing cut points on its *strength* (the score
itself for distances, ``-log10(p)`` for p-value tests, so that "larger is worse"
holds for every method). Levels: below the first cut Stable, then Moderate,
Significant, Critical. A feature is *drifted* from Moderate upwards.

The 0-100 number interpolates linearly through ``(0, 0), (t1, 25), (t2, 50), (t3, 75)``
and ``(t3 + (t3 - t2), 100)``, clipped, so it is monotone in the score and equal
thresholds give equal numbers across methods. Worked example with PSI's default cuts
(0.1, 0.25, 0.5): PSI 0.175 -> 37.5, PSI 0.5 -> 75, PSI >= 0.75 -> 100.
"""

from __future__ import annotations

import enum
import math

import numpy as np


class Severity(enum.IntEnum):
    STABLE = 0
    MODERATE = 1
    SIGNIFICANT = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def strength_of_pvalue(pvalue: float) -> float:
    """``-log10(p)``, with ``p = 0`` (underflow) mapped to 300 rather than infinity."""
    return -math.log10(max(pvalue, 1e-300))


def classify(strength: float, *, cuts: tuple[float, float, float]) -> Severity:
    """The level of ``strength`` given increasing ``cuts``; NaN is Stable (judged elsewhere)."""
    if math.isnan(strength):
        return Severity.STABLE
    level = Severity.STABLE
    for cut, candidate in zip(cuts, (Severity.MODERATE, Severity.SIGNIFICANT, Severity.CRITICAL)):
        if strength >= cut:
            level = candidate
    return level


def score_0_100(strength: float, *, cuts: tuple[float, float, float]) -> float:
    """Monotone 0-100 rendering of ``strength`` (see module docstring)."""
    if math.isnan(strength):
        return 0.0
    first, second, third = cuts
    xs = (0.0, first, second, third, third + (third - second))
    return float(np.interp(strength, xs, (0.0, 25.0, 50.0, 75.0, 100.0)))
