"""The email sink lets no credential out either: an SMTP server on loopback (STARTTLS with the
test certificate, as the sink requires for AUTH) refuses every AUTH attempt with a reply quoting
what it received -- the base64 of AUTH PLAIN's ``\\0user\\0password`` and of AUTH LOGIN's
password, and their decoded text, also hex-encoded and split over spaces and JSON escapes. The
sink's state (status.alertSinks[].lastError), the log and the raised DeliveryError hold no 8
characters of the password in any of those forms."""

from __future__ import annotations

import asyncio
import base64
import logging
import string
import threading
from collections.abc import Iterator

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alert_samples import body, notification, ref
from conftest import Certificate, SecretStore, wait_until
from modelmon.alerting import sinks
from modelmon.alerting.batches import build_batch
from modelmon.alerting.redaction import Redactor
from modelmon.api.alerts import SinkSpec
from support.ports import free_port
from support.leaks import assert_no_leak, echoes

PASSWORD = "smtp-Pa55-9d2e7b1d8a6035e1"
USER = "alerts@example.com"
PLAIN = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()


class EchoingSmtp:
    """Just enough ESMTP for smtplib's STARTTLS and AUTH PLAIN/LOGIN, refusing AUTH with an echo."""

    def __init__(self, certificate: Certificate, mechanism: str) -> None:
        self.mechanism = mechanism
        self.port = free_port()
        self._tls = certificate.server_context()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        def echo(received: str) -> str:
            decoded = base64.b64decode(received + "==").decode(errors="replace").replace("\0", "|")
            # Encoded and split as well (hex, wrapped, spaced, JSON-interleaved): one reply line.
            # Split first, then hex, so that the 300-character cut of the error keeps them.
            shapes = echoes(decoded)
            quoted = " ".join(f.replace("\r", "").replace("\n", " ") for f in [*shapes[6:], *shapes[4:6]])
            return f"535 5.7.8 refused {quoted} {received} ({decoded})"

        await say("220 echo ESMTP")
        secure = False
        while line := (await reader.readline()).decode().strip():
            verb, _, rest = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                await say("250-echo")
                await say(f"250 AUTH {self.mechanism}" if secure else "250 STARTTLS")
            elif verb == "STARTTLS":
                await say("220 go ahead")
                await writer.start_tls(self._tls)
                secure = True
            elif verb == "AUTH" and rest.upper().startswith("PLAIN"):
                await say(echo(rest.split()[-1]))
            elif verb == "AUTH" and rest.upper().startswith("LOGIN"):
                await say("334 UGFzc3dvcmQ6")
                await say(echo((await reader.readline()).decode().strip()))
            elif verb == "QUIT":
                await say("221 bye")
                break
            else:
                await say("502 not here")
        writer.close()

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@pytest.fixture(params=["PLAIN", "LOGIN"])
def echoing_smtp(certificate: Certificate, request: pytest.FixtureRequest) -> Iterator[EchoingSmtp]:
    server = EchoingSmtp(certificate, request.param)
    yield server
    server.close()


def test_an_smtp_server_echoing_auth_never_leaks_the_password(dispatcher, echoing_smtp, certificate, secrets, caplog):
    secrets.put("risk", "smtp", "ca.crt", certificate.cert_pem)
    secrets.put("risk", "smtp", "username", USER)
    secrets.put("risk", "smtp", "password", PASSWORD)
    sink = {
        "name": "mail",
        "email": {
            "host": "127.0.0.1",
            "port": echoing_smtp.port,
            "from": "modelmon@example.com",
            "to": ["oncall@example.com"],
            "tls": {"caSecretRef": ref("smtp", "ca.crt")},
            "usernameSecretRef": ref("smtp", "username"),
            "passwordSecretRef": ref("smtp", "password"),
        },
    }
    caplog.set_level(logging.DEBUG)
    dispatcher.submit(body=body(sink), notifications=[notification()])
    state = wait_until(
        lambda: (s := dispatcher.sink_state("risk", "credit")) and s[0].get("lastError") and s[0],
        what="a failed attempt",
    )
    assert state["lastError"].startswith("SMTPAuthenticationError: (535"), state
    for text, where in ((state["lastError"], "status.alertSinks[].lastError"), (caplog.text, "the operator log")):
        assert_no_leak(text, [PASSWORD, PLAIN], where)


@pytest.fixture(scope="module")
def echoing_servers(certificate: Certificate) -> Iterator[dict[str, EchoingSmtp]]:
    servers = {mechanism: EchoingSmtp(certificate, mechanism) for mechanism in ("PLAIN", "LOGIN")}
    yield servers
    for server in servers.values():
        server.close()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@settings(max_examples=15, deadline=None)
@given(
    password=st.text(string.ascii_letters + string.digits + string.punctuation, min_size=8, max_size=40),
    user=st.text(string.ascii_lowercase, min_size=1, max_size=12).map(lambda u: f"{u}@example.com"),
)
def test_property_the_email_sink_lets_no_random_password_out(mechanism, echoing_servers, certificate, password, user):
    """Random credentials, echoed back base64, decoded, hex and split: the error the email sink raises
    holds no 8 characters of the password or of AUTH PLAIN's base64."""
    server = echoing_servers[mechanism]
    store = SecretStore()
    for key, value in (("ca.crt", certificate.cert_pem), ("username", user), ("password", password)):
        store.put("risk", "smtp", key, value)
    sink = {
        "name": "mail",
        "email": {
            "host": "127.0.0.1",
            "port": server.port,
            "from": "modelmon@example.com",
            "to": ["oncall@example.com"],
            "tls": {"caSecretRef": ref("smtp", "ca.crt")},
            "usernameSecretRef": ref("smtp", "username"),
            "passwordSecretRef": ref("smtp", "password"),
        },
    }
    batch = build_batch(
        batch_id="b1", body=body(sink), notifications=[notification()], now=0.0, link_template="https://c/{monitor}"
    )
    secrets = sinks.Secrets(read_secret=store, namespace="risk", redactor=Redactor())

    async def attempt() -> sinks.DeliveryError:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(sinks.DeliveryError) as raised:
                await sinks.send(
                    SinkSpec.model_validate(sink), batch, secrets=secrets, session=session, timeout=5, now=0
                )
        return raised.value

    error = asyncio.run(attempt())
    assert str(error).startswith("SMTPAuthenticationError: (535"), error
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    assert_no_leak(str(error), [password, plain], "the DeliveryError")
