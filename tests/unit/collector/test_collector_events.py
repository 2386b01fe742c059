"""Reading KServe's CloudEvents from HTTP requests, binary and structured (modelmon.collector.events)."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from multidict import CIMultiDict

from modelmon.collector import events

RECEIVED = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=datetime.UTC)


def kserve_headers(**overrides: str) -> CIMultiDict[str]:
    """The headers KServe's logger (sdk-go v2, binary mode) sends, in its capitalisation."""
    headers = {
        "Content-Type": "application/json",
        "Ce-Specversion": "1.0",
        "Ce-Id": "5b0f8c0e-1111",
        "Ce-Type": "org.kubeflow.serving.inference.request",
        "Ce-Source": "http://localhost:9081/",
        "Ce-Time": "2026-12-01T13:05:09.435513493Z",
        "Ce-Inferenceservicename": "sklearn-iris",
        "Ce-Namespace": "ml",
        "Ce-Component": "predictor",
        "Ce-Endpoint": "default",
    }
    headers.update(overrides)
    return CIMultiDict(headers)


def test_binary_mode_request():
    body = b'{"instances": [[6.8, 2.8]]}'
    event = events.parse_http(kserve_headers(), body, received=RECEIVED)
    assert event == events.InferenceEvent(
        id="5b0f8c0e-1111",
        kind=events.Kind.REQUEST,
        model=events.ModelKey("ml", "sklearn-iris", "predictor"),
        time=datetime.datetime(2026, 12, 1, 13, 5, 9, 435513, tzinfo=datetime.UTC),
        rows=({"feature_0": 6.8, "feature_1": 2.8},),
        size=len(body),
    )


def test_binary_mode_response_without_time_or_component():
    headers = kserve_headers(**{"Ce-Type": "org.kubeflow.serving.inference.response"})
    del headers["Ce-Time"], headers["Ce-Component"]
    event = events.parse_http(headers, b'{"predictions": [1]}', received=RECEIVED)
    assert (event.kind, event.time, event.model.component, event.rows) == (
        events.Kind.RESPONSE,
        RECEIVED,
        "predictor",
        ({"prediction": 1.0},),
    )


@pytest.mark.parametrize("encoding", ["data", "data-as-text", "data_base64"])
def test_structured_mode(encoding):
    payload = {"outputs": [{"name": "y", "shape": [1], "datatype": "FP32", "data": [0.5]}]}
    document = {
        "specversion": "1.0",
        "id": "abc",
        "type": "org.kubeflow.serving.inference.response",
        "source": "x",
        "time": "2026-12-01T15:00:00+02:00",
        "inferenceservicename": "m",
        "namespace": "n",
    }
    if encoding == "data":
        document["data"] = payload
    elif encoding == "data-as-text":
        document["data"] = json.dumps(payload)
    else:
        document["data_base64"] = base64.b64encode(json.dumps(payload).encode()).decode()
    event = events.parse_http(
        {"content-type": "application/cloudevents+json; charset=utf-8"},
        json.dumps(document).encode(),
        received=RECEIVED,
    )
    assert event.rows == ({"prediction": 0.5},)
    assert event.time == datetime.datetime(2026, 12, 1, 13, 0, tzinfo=datetime.UTC)
    assert event.model == events.ModelKey("n", "m")


@pytest.mark.parametrize(
    ("overrides", "body", "reason", "message"),
    [
        pytest.param(
            {"Ce-Specversion": "0.3"}, b"{}", events.Refusal.NOT_A_CLOUDEVENT, "ce-specversion is '0.3'", id="old-spec"
        ),
        pytest.param({"Ce-Id": ""}, b"{}", events.Refusal.NOT_A_CLOUDEVENT, "ce-id must be", id="no-id"),
        pytest.param(
            {"Ce-Type": "dev.knative.other"}, b"{}", events.Refusal.UNKNOWN_TYPE, "'dev.knative.other'", id="other-type"
        ),
        pytest.param(
            {"Ce-Inferenceservicename": ""},
            b"{}",
            events.Refusal.NO_MODEL,
            "ce-inferenceservicename is missing",
            id="no-model",
        ),
        pytest.param(
            {"Ce-Namespace": "../x"},
            b"{}",
            events.Refusal.NO_MODEL,
            "'../x' is not a Kubernetes name",
            id="path-in-namespace",
        ),
        pytest.param({"Ce-Time": "yesterday"}, b"{}", events.Refusal.BAD_TIME, "not an RFC 3339 time", id="bad-time"),
        pytest.param(
            {"Ce-Time": "2026-12-01T13:05:09"}, b"{}", events.Refusal.BAD_TIME, "has no time zone", id="naive-time"
        ),
        pytest.param({}, b"\xff{", events.Refusal.BAD_DATA, "the body is not JSON", id="not-json"),
        pytest.param(
            {"Content-Type": "application/octet-stream"},
            b"{}",
            events.Refusal.BAD_DATA,
            "the payload must be JSON",
            id="not-json-type",
        ),
        pytest.param(
            {}, b'{"inputs": 3}', events.Refusal.BAD_PAYLOAD, "'inputs' must be a non-empty list", id="bad-payload"
        ),
    ],
)
def test_malformed_events_say_why_in_one_line(overrides, body, reason, message):
    with pytest.raises(events.EventError) as caught:
        events.parse_http(kserve_headers(**overrides), body, received=RECEIVED)
    assert caught.value.reason is reason
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_no_cloudevent_at_all():
    with pytest.raises(events.EventError, match="no ce-\\* headers") as caught:
        events.parse_http({"content-type": "application/json"}, b"{}", received=RECEIVED)
    assert caught.value.reason is events.Refusal.NOT_A_CLOUDEVENT
