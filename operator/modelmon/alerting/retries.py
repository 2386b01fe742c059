"""When to try a sink again, and when its rate limit lets the next message go. Pure.

Backoff is exponential with jitter: ``first * factor**(failures-1)``, capped at ``cap``, then
scaled by a random factor in ``[1 - jitter, 1 + jitter]`` so that sinks failing together (one
receiver down for many monitors) do not retry in lockstep. Example with the defaults (2 s,
x2, cap 5 min, jitter 0.2): the 1st retry after 1.6-2.4 s, the 4th after 12.8-19.2 s, from
the 9th on after 4-6 min. A message older than ``max_age`` is given up: an alert that old is
stale, and the alert state in ``status.alerts`` still holds it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

HOUR = 3600.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    first_delay: float = 2.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.2
    """Fraction of the delay added or removed at random."""
    max_age: float = 6 * HOUR
    """A notification not delivered within this time after it was submitted is given up."""


DEFAULT = RetryPolicy()


def retry_delay(failures: int, policy: RetryPolicy, *, rand: float) -> float:
    """Seconds before the next attempt after ``failures`` consecutive failures (``rand`` in [0, 1))."""
    base = min(policy.cap, policy.first_delay * policy.factor ** max(0, failures - 1))
    return base * (1.0 + policy.jitter * (2.0 * rand - 1.0))


def rate_wait(sent: Sequence[float], *, limit: int | None, now: float) -> float:
    """Seconds until a sink that sent at times ``sent`` may send again under ``limit`` per hour (0: now)."""
    if limit is None:
        return 0.0
    recent = sorted(t for t in sent if now - t < HOUR)
    if len(recent) < limit:
        return 0.0
    return recent[len(recent) - limit] + HOUR - now

