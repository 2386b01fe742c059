"""Canary replicas for a weight, and the effective weight, against hand-computed values."""

from __future__ import annotations

import pytest

from modelmon.rollout import weights


@pytest.mark.parametrize(("weight", "stable", "cap", "replicas"), [
    (20, 4, None, 1),     # 20*4/80 = 1.0
    (50, 4, None, 4),     # 50*4/50 = 4
    (10, 4, None, 1),     # 0.44 -> 0, at least 1
    (30, 4, None, 2),     # 1.714 -> 2
    (75, 4, None, 12),    # 12
    (75, 4, 5, 5),        # capped
    (25, 3, None, 1),     # 1.0
    (40, 3, None, 2),     # 2.0
    (5, 10, None, 1),     # 0.526 -> 1
    (1, 0, None, 1),      # no stable pods: one canary pod is 100%
    (0, 4, None, 0),
], ids=lambda v: str(v))
def test_canary_replicas(weight, stable, cap, replicas):
    assert weights.calculate_canary_replicas(weight=weight, stable_replicas=stable, max_replicas=cap) == replicas


@pytest.mark.parametrize("weight", range(1, 100))
@pytest.mark.parametrize("stable", [1, 2, 3, 5, 10])
def test_rounding_gives_the_closest_share_a_whole_pod_count_allows(weight, stable):
    chosen = weights.calculate_canary_replicas(weight=weight, stable_replicas=stable)
    error = abs(chosen / (chosen + stable) - weight / 100)
    for other in range(1, chosen + 3):
        # rounding the exact count, not the share, may miss by one pod where the share curve bends;
        # it is never more than one pod away from the best count
        if abs(other / (other + stable) - weight / 100) < error - 1e-12:
            assert abs(other - chosen) <= 1


@pytest.mark.parametrize(("canary", "stable", "percent"), [(1, 4, 20.0), (2, 4, 33.3), (0, 4, 0.0), (3, 0, 100.0),
                                                            (0, 0, 0.0), (1, 2, 33.3)])
def test_effective_weight(canary, stable, percent):
    assert weights.effective_weight(canary_ready=canary, stable_ready=stable) == percent
