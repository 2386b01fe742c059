"""A Prometheus instant query (GET /api/v1/query) reduced to one number.

A scalar, or a vector of exactly one sample, gives a value. An empty vector is no data
(Inconclusive); NaN is kept as NaN (Inconclusive). More than one series is an Error: the
query must aggregate (``sum(...)``, ``avg(...)``) so the bound has one meaning.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from modelmon.api.rollout import PrometheusMetric
from modelmon.rollout.analysis import RawMeasurement

TIMEOUT_SECONDS = 10.0


def measure(name: str, spec: PrometheusMetric) -> RawMeasurement:
    url = spec.address.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": spec.query})
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) by the spec's pattern
            body = json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        return RawMeasurement(metric=name, error=f"Prometheus answered {error.code}: {_reason(error)}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return RawMeasurement(metric=name, error=f"Prometheus at {_shown(spec.address)} not reachable: {error}")
    return reduce(name, body)


def _shown(address: str) -> str:
    """The address without credentials a user may have written into it (status and Events are readable)."""
    parts = urllib.parse.urlsplit(address)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read().decode())
        return f"{body.get('errorType')}: {body.get('error')}"
    except (ValueError, OSError):
        return str(error.reason)


def reduce(name: str, body: dict[str, Any]) -> RawMeasurement:
    if body.get("status") != "success":
        return RawMeasurement(metric=name, error=f"query failed: {body.get('errorType')}: {body.get('error')}")
    data = body.get("data") or {}
    kind, result = data.get("resultType"), data.get("result") or []
    if kind == "scalar":
        return _number(name, result[1])
    if kind == "vector":
        if not result:
            return RawMeasurement(metric=name, note="the query returned no series (no data): not a pass")
        if len(result) > 1:
            return RawMeasurement(metric=name, error=f"the query returned {len(result)} series; aggregate it to one "
                                                     "(e.g. sum(...) or avg(...))")
        return _number(name, result[0]["value"][1])
    return RawMeasurement(metric=name, error=f"the query returned a {kind}; write an instant query giving a number")


def _number(name: str, text: str) -> RawMeasurement:
    value = float(text)  # Prometheus writes NaN, +Inf, -Inf as such; float() reads them
    if math.isnan(value):
        return RawMeasurement(metric=name, value=value, note="the query returned NaN: not a pass")
    return RawMeasurement(metric=name, value=value)
