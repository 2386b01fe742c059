"""Canary weight as a share of ready pods, without a service mesh.

The target Deployment is never scaled (it belongs to the user and to GitOps), so the
canary's replicas are added next to the target's ``s`` replicas. For a weight ``w`` percent
the share ``c / (c + s)`` is closest to ``w / 100`` at ``c = w * s / (100 - w)``; it is
rounded half up, at least 1 for any weight above 0, and capped by ``maxCanaryReplicas``.

Worked examples (s = 4): 20% -> c = 1.0 -> 1 canary, 20.0% effective; 50% -> 4 -> 50.0%;
10% -> 0.44 -> 1 (the minimum), 20.0%; 75% -> 12 -> 75.0%; 30% -> 1.71 -> 2, 33.3%.
The effective weight reported is what the ready pods give, not what was asked for.
"""

from __future__ import annotations

import math


def calculate_canary_replicas(*, weight: int, stable_replicas: int, max_replicas: int | None = None) -> int:
    if weight <= 0:
        return 0
    if stable_replicas <= 0:
        return 1
    exact = weight * stable_replicas / (100 - weight) if weight < 100 else float(stable_replicas)
    replicas = max(1, math.floor(exact + 0.5))
    return min(replicas, max_replicas) if max_replicas else replicas


def effective_weight(*, canary_ready: int, stable_ready: int) -> float:
    """Percent of ready pods that run the new model, to one decimal."""
    total = canary_ready + stable_ready
    return round(100.0 * canary_ready / total, 1) if total else 0.0
