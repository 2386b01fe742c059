"""A Prometheus instant query (GET /api/v1/query) reduced to one number.

A scalar, or a vector of exactly one sample, gives a value. An empty vector is no data
(Inconclusive); NaN is kept as NaN (Inconclusive). More than one series is an Error: the
query must aggregate (``sum(...)``, ``avg(...)``) so the bound has one meaning.

Managed and multi-tenant Prometheus (Thanos, Mimir, Cortex gateways, cloud offerings) want a
bearer token, a tenant header or a private CA: the token and the CA are read from Secrets at each
query (a rotated token takes effect at once), never stored, and never put in a measurement's
message. Proxies: urllib honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment.
"""

from __future__ import annotations

import json
import math
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from modelmon.api.rollout import PrometheusMetric
from modelmon.rollout.analysis import RawMeasurement

TIMEOUT_SECONDS = 10.0


#: Reads one key of a Secret in the RetrainingJob's namespace: (name, key) -> value; raises with a
#: message that names the Secret and the key, never the value.
ReadSecret = Callable[[str, str], str]


def _no_secrets(name: str, key: str) -> str:
    raise LookupError(f"Secret {name} key {key!r}: no Secret reader given")


def measure(name: str, spec: PrometheusMetric, *, read_secret: ReadSecret = _no_secrets) -> RawMeasurement:
    url = spec.address.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": spec.query})
    headers = {header.name: header.value for header in spec.headers}
    if spec.bearer_token_secret_ref is not None:
        ref = spec.bearer_token_secret_ref
        headers["Authorization"] = f"Bearer {read_secret(ref.name, ref.key).strip()}"
    request = urllib.request.Request(url, headers={"User-Agent": "modelmon-rollout", **headers})
    context = tls_context(spec, read_secret=read_secret)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:  # noqa: S310 - http(s) by the spec's pattern
            body = json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        return RawMeasurement(metric=name, error=f"Prometheus answered {error.code}: {_reason(error)}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return RawMeasurement(metric=name, error=f"Prometheus at {_shown(spec.address)} not reachable: {error}")
    return reduce(name, body)


def tls_context(spec: PrometheusMetric, *, read_secret: ReadSecret) -> ssl.SSLContext | None:
    """None: urllib's default (the system's CAs). A CA bundle from a Secret, or no checking at all."""
    if not spec.address.startswith("https://") or spec.tls is None:
        return None
    if spec.tls.insecure_skip_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if spec.tls.ca_secret_ref is not None:
        ref = spec.tls.ca_secret_ref
        try:
            return ssl.create_default_context(cadata=read_secret(ref.name, ref.key))
        except ssl.SSLError as error:
            raise ValueError(f"Secret {ref.name} key {ref.key!r} is not a PEM CA bundle ({error.reason})") from None
    return None


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
