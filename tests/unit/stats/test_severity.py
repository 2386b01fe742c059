"""Severity levels and the 0-100 number: the documented cut points and monotonicity."""

import math

import numpy as np
import pytest

from modelmon.stats import severity

PSI_CUTS = (0.1, 0.25, 0.5)


@pytest.mark.parametrize("score,level", [(0.0, "stable"), (0.099, "stable"), (0.1, "moderate"),
                                         (0.25, "significant"), (0.49, "significant"), (0.5, "critical"),
                                         (7.0, "critical"), (math.nan, "stable")])
def test_levels_at_psi_defaults(score, level):
    assert severity.classify(score, cuts=PSI_CUTS).label == level


def test_worked_examples():
    assert severity.score_0_100(0.175, cuts=PSI_CUTS) == pytest.approx(37.5)
    assert severity.score_0_100(0.5, cuts=PSI_CUTS) == pytest.approx(75.0)
    assert severity.score_0_100(0.75, cuts=PSI_CUTS) == 100.0
    assert severity.score_0_100(9.0, cuts=PSI_CUTS) == 100.0


def test_number_is_monotone():
    values = [severity.score_0_100(s, cuts=PSI_CUTS) for s in np.linspace(0, 1, 101)]
    assert values == sorted(values)


def test_pvalue_strength():
    assert severity.strength_of_pvalue(0.01) == pytest.approx(2.0)
    assert severity.strength_of_pvalue(0.0) == pytest.approx(300.0)
