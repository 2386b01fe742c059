"""Which replica of the operator is active when several run with kopf peering.

kopf pauses a replica that sees a live peer of higher *or equal* priority, so replicas that
all keep the default priority 0 pause one another and none reconciles anything. Each replica
therefore takes its own priority, ranked by seniority: the earlier a replica started, the
higher its priority. The replica already at work keeps working when another one starts (a
rolling update or a scale-up does not move the work mid-handler); a standby takes over only
when the active one leaves: at once when it exits cleanly (kopf withdraws its peering record
on SIGTERM), or once its record's lifetime has passed when it is killed.
"""

from __future__ import annotations

#: Random tie-breaks per millisecond of start time: two replicas starting in the same
#: millisecond still differ unless they also draw the same number (1 in 1,000).
TIEBREAKS = 1000


def seniority_priority(started_ns: int, tiebreak: int) -> int:
    """A kopf peering priority that is higher the earlier ``started_ns`` (epoch nanoseconds).

    The value stays well inside 2**53 (about -1.8e15 today), so it survives JSON round trips
    through the peering object's status unchanged."""
    if not 0 <= tiebreak < TIEBREAKS:
        raise ValueError(f"tiebreak must be in [0, {TIEBREAKS}), got {tiebreak}")
    return -(started_ns // 1_000_000) * TIEBREAKS - tiebreak
