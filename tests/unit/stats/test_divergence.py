"""Binned divergences: hand-computed values, scipy's jensenshannon, and properties."""

import math

import numpy as np
import pytest
from scipy.spatial import distance
from scipy import stats as scipy_stats

from modelmon.stats import divergence


def test_psi_hand_computed():
    # (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5)
    expected = -0.25 * math.log(0.5) + 0.25 * math.log(1.5)
    assert divergence.psi([50, 50], [25, 75]) == pytest.approx(expected)
    assert divergence.psi([50, 50], [25, 75]) == pytest.approx(0.2747, abs=1e-4)


def test_psi_empty_bin_uses_the_documented_epsilon():
    # reference bin 2 empty: r = (1, 0) -> floored (1, 1e-4); c = (0.5, 0.5)
    eps = divergence.EPSILON
    expected = (0.5 - 1) * math.log(0.5 / 1) + (0.5 - eps) * math.log(0.5 / eps)
    assert divergence.psi([10, 0], [5, 5]) == pytest.approx(expected)


def test_kl_direction_is_current_from_reference():
    reference, current = [50, 50], [25, 75]
    expected = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    assert divergence.kl_divergence(reference, current) == pytest.approx(expected)
    assert divergence.kl_divergence(reference, current) == pytest.approx(
        float(scipy_stats.entropy([0.25, 0.75], [0.5, 0.5])))
    assert divergence.kl_divergence(current, reference) != pytest.approx(expected)


@pytest.mark.parametrize("seed", range(6))
def test_js_matches_scipy_base2(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.integers(0, 50, 8), rng.integers(1, 50, 8)
    p[0] = 0  # an empty bin: JS stays finite and needs no epsilon
    assert divergence.js_distance(p, q) == pytest.approx(distance.jensenshannon(p, q, base=2))


def test_hellinger_hand_computed_and_bounds():
    assert divergence.hellinger([1, 0], [0, 1]) == pytest.approx(1.0)
    assert divergence.hellinger([3, 7], [3, 7]) == pytest.approx(0.0, abs=1e-7)
    p, q = np.array([0.2, 0.8]), np.array([0.5, 0.5])
    expected = np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / math.sqrt(2)
    assert divergence.hellinger(p, q) == pytest.approx(expected)


@pytest.mark.parametrize("fn", [divergence.psi, divergence.js_distance, divergence.hellinger],
                         ids=["psi", "js", "hellinger"])
def test_symmetric_metrics(fn):
    assert fn([10, 20, 70], [30, 30, 40]) == pytest.approx(fn([30, 30, 40], [10, 20, 70]))


@pytest.mark.parametrize("fn", [divergence.psi, divergence.kl_divergence, divergence.js_distance,
                                divergence.hellinger], ids=["psi", "kl", "js", "hellinger"])
def test_identical_is_zero_and_grows_with_the_shift(fn):
    assert fn([10, 20, 30, 40], [1, 2, 3, 4]) == pytest.approx(0.0, abs=1e-7)
    shifted = [fn([25, 25, 25, 25], [25 - k, 25, 25, 25 + k]) for k in (0, 5, 10, 20)]
    assert shifted == sorted(shifted) and shifted[-1] > shifted[0]


def test_rejects_all_zero_and_mismatched_counts():
    with pytest.raises(ValueError, match="all-zero"):
        divergence.psi([0, 0], [1, 1])
    with pytest.raises(ValueError, match="shape"):
        divergence.psi([1, 1], [1, 1, 1])
