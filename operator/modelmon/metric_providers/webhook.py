"""A webhook measurement: POST a JSON description of the rollout, judge the answer.

Without bounds on the metric, a 2xx answer passes and any other status fails (the endpoint
says no). With bounds, a 2xx answer's JSON ``{"value": <number|null>}`` is judged (null or a
missing value is no data); a non-2xx answer is then an Error, as the value could not be had.
A timeout or refused connection is an Error either way.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from modelmon.api.rollout import AnalysisMetric
from modelmon.rollout.analysis import RawMeasurement


def measure(metric: AnalysisMetric, *, payload: dict[str, Any]) -> RawMeasurement:
    assert metric.webhook is not None
    bounded = metric.min is not None or metric.max is not None
    request = urllib.request.Request(metric.webhook.url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "modelmon-rollout"})
    try:
        with urllib.request.urlopen(request, timeout=metric.webhook.timeout_seconds) as response:  # noqa: S310 - http(s) by the spec's pattern
            status, text = response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        if bounded:
            return RawMeasurement(metric=metric.name, error=f"webhook answered {error.code}")
        return RawMeasurement(metric=metric.name, passed=False, note=f"webhook answered {error.code}")
    except (urllib.error.URLError, OSError) as error:
        return RawMeasurement(metric=metric.name, error=f"webhook not reachable: {error}")
    if not bounded:
        return RawMeasurement(metric=metric.name, passed=True, note=f"webhook answered {status}")
    try:
        value = json.loads(text).get("value")
    except (ValueError, AttributeError):
        return RawMeasurement(metric=metric.name, error='webhook answer is not JSON like {"value": 0.93}')
    if value is None:
        return RawMeasurement(metric=metric.name, note="webhook gave no value: not a pass")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return RawMeasurement(metric=metric.name, error=f"webhook value {value!r} is not a number")
    return RawMeasurement(metric=metric.name, value=float(value))
