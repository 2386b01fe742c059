"""A ModelMonitor as evidence: its health or a performance metric from its last check.

Only a check that finished after the analysis run started counts: the monitor's older
verdict is about the old model. Health Unknown, a missing check or a metric without a value
is no data (Inconclusive).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmon import timestamps
from modelmon.api.health import Health
from modelmon.api.rollout import MonitorMetric
from modelmon.rollout.analysis import RawMeasurement

#: Health as a number, worse higher. Health.UNKNOWN has none: it is no data, not a pass or a fail.
#: The members are str, so a health read from status as a plain string finds its value.
HEALTH_VALUES: dict[str, float] = {Health.HEALTHY: 0.0, Health.WARNING: 1.0, Health.CRITICAL: 2.0}


def measure(name: str, spec: MonitorMetric, body: Mapping[str, Any] | None, *, since: str) -> RawMeasurement:
    if body is None:
        return RawMeasurement(metric=name, error=f"ModelMonitor {spec.name} does not exist")
    status = body.get("status") or {}
    check = status.get("lastCheck") or {}
    finished = timestamps.parse_time(check.get("time"))
    started = timestamps.parse_time(since)
    if finished is None or (started is not None and finished < started):
        return RawMeasurement(metric=name, note=f"ModelMonitor {spec.name} has no check since the analysis started "
                                                f"({since}): not a pass")
    if spec.measure == "health":
        health = status.get("health")
        value = HEALTH_VALUES.get(str(health))
        if value is None:
            return RawMeasurement(metric=name, note=f"ModelMonitor {spec.name} health is {health or 'unset'}")
        return RawMeasurement(metric=name, value=value)
    wanted = spec.measure.removeprefix("performance.")
    for entry in (check.get("performance") or {}).get("metrics") or []:
        if entry.get("metric") == wanted and entry.get("value") is not None:
            return RawMeasurement(metric=name, value=float(entry["value"]))
    return RawMeasurement(metric=name, note=f"ModelMonitor {spec.name}'s last check has no value of {wanted}")
