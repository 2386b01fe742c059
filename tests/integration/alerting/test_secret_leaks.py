"""No sink lets a credential out, whatever the server echoes back: a receiver on loopback that
answers 401 with every header, the path and the query it received -- plain, URL-quoted, base64,
JSON-escaped, hex, split over lines and spaces, interleaved with JSON escapes -- placed so that the 300-character cut of an error text, or the limit of how much
of a reply is read, falls inside the credential. Checked on every path an error text takes: the
operator log, ``status.alertSinks[].lastError`` (the dispatcher's sink state, which is what is
patched there), the labels of the delivery metrics, and the message of the DeliveryError a sink
raises.

(No Event carries a sink's error text; the status entry is its record.)
"""

from __future__ import annotations

import asyncio
import base64
import logging
import string
from typing import Any

import aiohttp
import prometheus_client
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alert_samples import body, notification, ref
from conftest import HttpReceiver, SecretStore, wait_until
from modelmon.alerting import sinks
from modelmon.alerting.batches import build_batch
from modelmon.alerting.redaction import Redactor
from modelmon.alerting.sinks.common import REPLY_LIMIT
from modelmon.api.alerts import SinkSpec
from support.leaks import assert_no_leak, echoes

TOKEN = "am-T0ken-4f9c2e7b1d8a6035e1c9b7d2a4f6"  # 38 characters, as in the attack run
PASSWORD = "Pa55-w0rd-7c1e9a3f5b2d8e6a"
SLACK_PATH = "/services/T0SEC/B0SEC/xS3cretSlackPath9d2e7b1d8a60"
QUERY_TOKEN = "q-t0k3n-91ad6e2f7c3b5e8d0a4c"
HEADER_KEY = "api-key-6e2f7c3b5e8d0a4c91ad"


class EchoReceiver(HttpReceiver):
    """Answers every POST with 401 and a reply quoting the request in several encodings and split
    forms (support/leaks.echoes) after ``pad`` characters (so where a cut falls is chosen by the test)."""

    pad = 0

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        seen = [request.path_qs, *(f"{k}: {v}" for k, v in request.headers.items())]
        echo = " | ".join(form for item in seen for form in echoes(item))
        return web.Response(status=401, text="x" * self.pad + echo)


def sink_specs(
    url: str,
    *,
    token: str = TOKEN,
    password: str = PASSWORD,
    slack_path: str = SLACK_PATH,
    query_token: str = QUERY_TOKEN,
    header_key: str = HEADER_KEY,
) -> dict[str, tuple[dict[str, Any], dict[tuple[str, str], str], list[str]]]:
    """Per sink: its spec, the Secrets it reads and the credentials that must never show."""
    return {
        "alertmanager-bearer": (
            {"name": "s", "alertmanager": {"url": url, "bearerTokenSecretRef": ref("am", "token")}},
            {("am", "token"): token},
            [token],
        ),
        "alertmanager-basic": (
            {
                "name": "s",
                "alertmanager": {
                    "url": url,
                    "basicAuth": {"usernameSecretRef": ref("am", "user"), "passwordSecretRef": ref("am", "password")},
                },
            },
            {("am", "user"): "alice", ("am", "password"): password},
            [password, base64.b64encode(f"alice:{password}".encode()).decode()],
        ),
        "slack": (
            {"name": "s", "slack": {"webhookUrlSecretRef": ref("slack", "url")}},
            {("slack", "url"): url + slack_path},
            [slack_path.rsplit("/", 1)[1]],
        ),
        "webhook": (
            {
                "name": "s",
                "minSeverity": "info",
                "webhook": {
                    "urlSecretRef": ref("hook", "url"),
                    "hmacSecretRef": ref("hook", "hmac"),
                    "headers": [{"name": "X-Api-Key", "valueSecretRef": ref("hook", "key")}],
                },
            },
            {
                ("hook", "url"): f"{url}/hook?token={query_token}",
                ("hook", "key"): header_key,
                ("hook", "hmac"): "hmac-key-never-sent-0000",
            },
            [query_token, header_key],
        ),
    }


def pads() -> list[int]:
    # Where the 300-character cut lands inside the echoed Authorization/path/header (the echo's first
    # items are near its start), and a reply longer than what is read, cut inside the echo.
    return [0, 150, 230, 262, 281, 290, REPLY_LIMIT - 40, REPLY_LIMIT - 90]


@pytest.fixture(scope="module")
def echo():
    server = EchoReceiver().start()
    yield server
    server.close()


@pytest.mark.parametrize("pad", pads())
@pytest.mark.parametrize("kind", ["alertmanager-bearer", "alertmanager-basic", "slack", "webhook"])
def test_status_and_log_never_show_an_echoed_credential(kind, pad, echo, dispatcher, secrets, caplog):
    echo.pad = pad
    spec, values, credentials = sink_specs(echo.url)[kind]
    for (name, key), value in values.items():
        secrets.put("risk", name, key, value)
    caplog.set_level(logging.DEBUG)
    dispatcher.submit(body=body(spec), notifications=[notification()])
    state = wait_until(
        lambda: (s := dispatcher.sink_state("risk", "credit")) and s[0].get("lastError") and s[0],
        what="a failed attempt",
    )
    assert state["lastError"].startswith("HTTP 401 Unauthorized") and len(state["lastError"]) <= 300
    assert_no_leak(state["lastError"], credentials, "status.alertSinks[].lastError")
    wait_until(lambda: "attempt 1 failed" in caplog.text, what="the failure's log line")
    assert_no_leak(caplog.text, credentials, "the operator log")
    exposition = prometheus_client.generate_latest(dispatcher.metrics.registry).decode()
    assert 'sink="s"' in exposition  # the delivery series exist, and carry no error text
    assert_no_leak(exposition, credentials, "the metrics' labels")


@pytest.mark.parametrize("pad", pads())
@pytest.mark.parametrize("kind", ["alertmanager-bearer", "alertmanager-basic", "slack", "webhook"])
async def test_the_error_a_sink_raises_never_quotes_a_credential(kind, pad, echo):
    echo.pad = pad
    spec, values, credentials = sink_specs(echo.url)[kind]
    error = await raised_by_send(spec, values)
    assert str(error).startswith("HTTP 401")
    assert_no_leak(str(error), credentials, "the DeliveryError")
    assert_no_leak(repr(error.args), credentials, "the DeliveryError's args")


URL_SAFE = string.ascii_letters + string.digits + "-_."
HEADER_SAFE = string.ascii_letters + string.digits + string.punctuation


@pytest.mark.parametrize("kind", ["alertmanager-bearer", "alertmanager-basic", "slack", "webhook"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=st.text(HEADER_SAFE, min_size=8, max_size=48),
    password=st.text(HEADER_SAFE + " ", min_size=8, max_size=48).map(str.strip).filter(lambda p: len(p) >= 8),
    slack=st.text(URL_SAFE, min_size=8, max_size=48),
    query=st.text(URL_SAFE, min_size=8, max_size=48),
    header=st.text(HEADER_SAFE, min_size=8, max_size=48),
    pad=st.one_of(st.integers(0, 320), st.integers(REPLY_LIMIT - 400, REPLY_LIMIT)),
)
def test_property_no_sink_lets_a_random_echoed_secret_out(kind, echo, token, password, slack, query, header, pad):
    """Random credentials, echoed by the server plain, encoded, hex and split (support/leaks.echoes),
    the cut anywhere: the sink's error never holds 8 characters of any form of one."""
    echo.pad = pad
    spec, values, credentials = sink_specs(
        echo.url,
        token=token,
        password=password,
        slack_path=f"/services/T0/B0/{slack}",
        query_token=query,
        header_key=header,
    )[kind]
    error = asyncio.run(raised_by_send(spec, values))
    assert str(error).startswith("HTTP 401")
    assert_no_leak(str(error), credentials, "the DeliveryError")


async def raised_by_send(spec: dict[str, Any], values: dict[tuple[str, str], str]) -> sinks.DeliveryError:
    """The error one delivery attempt of ``spec`` raises, its Secrets holding ``values``."""
    store = SecretStore()
    for (name, key), value in values.items():
        store.put("risk", name, key, value)
    monitor = body(spec)
    batch = build_batch(
        batch_id="b1",
        body=monitor,
        notifications=[notification()],
        now=0.0,
        link_template="https://console/{namespace}/{monitor}",
    )
    secrets = sinks.Secrets(read_secret=store, namespace="risk", redactor=Redactor())
    async with aiohttp.ClientSession() as session:
        with pytest.raises(sinks.DeliveryError) as raised:
            await sinks.send(SinkSpec.model_validate(spec), batch, secrets=secrets, session=session, timeout=5, now=0.0)
    return raised.value


def test_a_token_secret_with_a_trailing_newline_is_sent_without_it(dispatcher, receiver, secrets):
    """What ``kubectl create secret generic am --from-file=token`` makes of a file written by echo."""
    secrets.put("risk", "am", "token", TOKEN + "\n")
    spec = {"name": "s", "alertmanager": {"url": receiver.url, "bearerTokenSecretRef": ref("am", "token")}}
    dispatcher.submit(body=body(spec), notifications=[notification()])
    assert receiver.wait_for(1)[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_line_break_inside_a_header_secret_is_one_line_naming_the_key(dispatcher, receiver, secrets):
    secrets.put("risk", "hook", "url", f"{receiver.url}/x")
    secrets.put("risk", "hook", "key", f"{HEADER_KEY}\nX-Injected: 1")
    spec = {
        "name": "s",
        "minSeverity": "info",
        "webhook": {
            "urlSecretRef": ref("hook", "url"),
            "headers": [{"name": "X-Api-Key", "valueSecretRef": ref("hook", "key")}],
        },
    }
    dispatcher.submit(body=body(spec), notifications=[notification()])
    state = wait_until(
        lambda: (s := dispatcher.sink_state("risk", "credit")) and s[0].get("lastError") and s[0],
        what="a failed attempt",
    )
    assert state["lastError"] == (
        "Secret risk/hook key 'key' has a line break inside its value, which cannot be sent "
        "in an HTTP header: store the value on one line (kubectl create secret generic "
        "hook --from-literal=key=VALUE)"
    )
    assert not receiver.requests
