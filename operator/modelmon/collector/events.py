"""Reading one KServe inference-logger CloudEvent from an HTTP request (CloudEvents 1.0 HTTP binding).

KServe's logger (the agent beside a predictor with ``spec.predictor.logger``) posts each request and
each response as its own event, in binary content mode: the attributes as ``ce-*`` headers
(``ce-specversion: 1.0``, ``ce-id``, ``ce-type``, ``ce-source``, ``ce-time``) and the payload as the body.
The request and the response of one inference share ``ce-id``; ``ce-type`` tells them apart
(``org.kubeflow.serving.inference.request`` / ``.response``). Its extension attributes name the model:
``ce-inferenceservicename``, ``ce-namespace``, ``ce-component`` (predictor, transformer, ...) and
``ce-endpoint`` (default or canary). In structured mode (``Content-Type: application/cloudevents+json``)
the same attributes are keys of one JSON object and the payload is its ``data`` (or ``data_base64``).

Pure: headers, body bytes and the receiving time in, an :class:`InferenceEvent` out, or an
:class:`EventError` whose ``reason`` (a :class:`Refusal`) is a short code (a metric label) and whose message is one line.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import enum
import json
import re
from collections.abc import Mapping
from typing import Any

from modelmon.collector import payloads

REQUEST_TYPE = "org.kubeflow.serving.inference.request"
RESPONSE_TYPE = "org.kubeflow.serving.inference.response"
STRUCTURED = "application/cloudevents+json"
DEFAULT_COMPONENT = "predictor"
#: The names become path segments of the store: DNS names only (no '/', no '..').
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_MAX_ID = 256


class Kind(enum.Enum):
    REQUEST = "request"
    RESPONSE = "response"


class Refusal(enum.Enum):
    """Why an event was refused: the ``reason`` label of modelmon_collector_events_malformed_total."""

    NOT_A_CLOUDEVENT = "not_a_cloudevent"
    UNKNOWN_TYPE = "unknown_type"
    NO_MODEL = "no_model"
    BAD_TIME = "bad_time"
    BAD_DATA = "bad_data"
    BAD_PAYLOAD = "bad_payload"
    UNPAIRABLE = "unpairable"
    TOO_LARGE = "too_large"


class EventError(ValueError):
    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class ModelKey:
    """Which model an event belongs to; each has its own dataset in the store."""

    namespace: str
    name: str
    component: str = DEFAULT_COMPONENT


@dataclasses.dataclass(frozen=True)
class InferenceEvent:
    id: str
    kind: Kind
    model: ModelKey
    #: ce-time, else when the collector received it (UTC).
    time: datetime.datetime
    #: The payload flattened: features of a request, predictions of a response, one row per instance.
    rows: tuple[payloads.Row, ...]
    #: Bytes of the payload as received: what the buffer's byte limit counts.
    size: int = 0


def parse_http(headers: Mapping[str, str], body: bytes, *, received: datetime.datetime) -> InferenceEvent:
    """The event of one HTTP request; ``headers`` must be case-insensitive (or lower-case keys)."""
    return dataclasses.replace(_parse_http(headers, body, received=received), size=len(body))


def _parse_http(headers: Mapping[str, str], body: bytes, *, received: datetime.datetime) -> InferenceEvent:
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == STRUCTURED:
        return _structured(body, received=received)
    if content_type.startswith("application/cloudevents-batch"):
        raise EventError(
            Refusal.NOT_A_CLOUDEVENT,
            "batched CloudEvents are not accepted: send one event per request (binary or structured mode)",
        )
    attributes = {key.lower()[3:]: value for key, value in headers.items() if key.lower().startswith("ce-")}
    if not attributes:
        raise EventError(
            Refusal.NOT_A_CLOUDEVENT,
            f"not a CloudEvent: no ce-* headers (binary mode) and Content-Type is not {STRUCTURED} (structured mode)",
        )
    if content_type and "json" not in content_type:
        raise EventError(
            Refusal.BAD_DATA, f"Content-Type {content_type!r}: the payload must be JSON (application/json)"
        )
    return _event(attributes, _json(body, where="the body"), received=received, prefix="ce-")


def _structured(body: bytes, *, received: datetime.datetime) -> InferenceEvent:
    document = _json(body, where="the structured CloudEvent")
    if not isinstance(document, dict):
        raise EventError(Refusal.NOT_A_CLOUDEVENT, "a structured CloudEvent must be a JSON object")
    attributes = {key: value for key, value in document.items() if key not in ("data", "data_base64")}
    if "data_base64" in document:
        try:
            raw = base64.b64decode(str(document["data_base64"]), validate=True)
        except (binascii.Error, ValueError) as error:
            raise EventError(Refusal.BAD_DATA, "data_base64 is not valid base64") from error
        data = _json(raw, where="data_base64")
    else:
        data = document.get("data")
        if isinstance(data, str):
            data = _json(data.encode(), where="data")
    return _event(attributes, data, received=received, prefix="")


def _json(raw: bytes, *, where: str) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise EventError(Refusal.BAD_DATA, f"{where} is not JSON: {str(error)[:120]}") from error


def _event(attributes: Mapping[str, Any], data: Any, *, received: datetime.datetime, prefix: str) -> InferenceEvent:
    def attribute(name: str) -> str:
        value = attributes.get(name)
        return value.strip() if isinstance(value, str) else ""

    version = attribute("specversion")
    if version != "1.0":
        raise EventError(
            Refusal.NOT_A_CLOUDEVENT, f"{prefix}specversion is {version or 'missing'!r}: CloudEvents 1.0 is expected"
        )
    event_id = attribute("id")
    if not event_id or len(event_id) > _MAX_ID:
        raise EventError(
            Refusal.NOT_A_CLOUDEVENT, f"{prefix}id must be a non-empty string of at most {_MAX_ID} characters"
        )
    types = {REQUEST_TYPE: Kind.REQUEST, RESPONSE_TYPE: Kind.RESPONSE}
    kind = types.get(attribute("type"))
    if kind is None:
        raise EventError(
            Refusal.UNKNOWN_TYPE, f"{prefix}type {attribute('type')!r} is neither {REQUEST_TYPE} nor {RESPONSE_TYPE}"
        )
    model = ModelKey(
        namespace=_name(attribute("namespace"), field=f"{prefix}namespace"),
        name=_name(attribute("inferenceservicename"), field=f"{prefix}inferenceservicename"),
        component=_name(attribute("component") or DEFAULT_COMPONENT, field=f"{prefix}component"),
    )
    time = _time(attribute("time"), field=f"{prefix}time") if attribute("time") else received
    try:
        rows = payloads.flatten_request(data) if kind is Kind.REQUEST else payloads.flatten_response(data)
    except payloads.PayloadError as error:
        raise EventError(Refusal.BAD_PAYLOAD, str(error)) from error
    return InferenceEvent(id=event_id, kind=kind, model=model, time=time, rows=tuple(rows))


def _name(value: str, *, field: str) -> str:
    if not value:
        raise EventError(
            Refusal.NO_MODEL,
            f"{field} is missing: KServe's logger sets it; another sender must set the "
            "extension to the model's namespace and InferenceService name",
        )
    if not _NAME.match(value):
        raise EventError(
            Refusal.NO_MODEL,
            f"{field} {value[:80]!r} is not a Kubernetes name (lower-case letters, digits, '-' and '.')",
        )
    return value


def _time(value: str, *, field: str) -> datetime.datetime:
    # RFC 3339 as Go writes it: nanoseconds are allowed, Python parses at most microseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip()).replace("z", "Z")
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise EventError(Refusal.BAD_TIME, f"{field} {value[:60]!r} is not an RFC 3339 time") from error
    if parsed.tzinfo is None:
        raise EventError(Refusal.BAD_TIME, f"{field} {value[:60]!r} has no time zone (RFC 3339 needs Z or an offset)")
    return parsed.astimezone(datetime.UTC)
