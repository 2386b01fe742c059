"""Real servers on loopback for the alert sinks: Prometheus Alertmanager (Debian package), an
SMTP server (aiosmtpd) with STARTTLS and AUTH, and an aiohttp receiver standing in for Slack
and webhooks. A missing server binary fails the tests, loudly; nothing is skipped."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import datetime
import ipaddress
import json
import ssl
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from modelmon.alerting.delivery import Dispatcher
from modelmon.alerting.retries import RetryPolicy
from modelmon.metrics import OperatorMetrics
from support import waiting
from support.ports import free_port

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
#: Fast retries so the tests see several attempts within seconds.
FAST = RetryPolicy(first_delay=0.1, factor=2.0, cap=0.4, jitter=0.2, max_age=60.0)
#: Polling for the sinks' servers: short, often (support.waiting.wait_for with these defaults).
wait_until = functools.partial(waiting.wait_for, timeout=15.0, interval=0.05)


# --- Secrets ------------------------------------------------------------------------------------------------------

class SecretStore:
    """``read_secret`` backed by a dict, counting reads (the Kubernetes-backed reader is tested on its own)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str, str], str] = {}
        self.reads = 0

    def put(self, namespace: str, name: str, key: str, value: str) -> None:
        self.values[(namespace, name, key)] = value

    def __call__(self, namespace: str, name: str, key: str) -> str:
        self.reads += 1
        try:
            return self.values[(namespace, name, key)]
        except KeyError:
            raise LookupError(f"Secret {namespace}/{name} has no key {key!r}") from None


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore()


@pytest.fixture
def dispatcher_factory(secrets: SecretStore) -> Iterator[Callable[..., Dispatcher]]:
    made: list[Dispatcher] = []

    def make(**options: Any) -> Dispatcher:
        options = {"read_secret": secrets, "metrics": OperatorMetrics(), "retry": FAST, "timeout": 1.0} | options
        dispatcher = Dispatcher(**options)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.close(timeout=0.5)


@pytest.fixture
def dispatcher(dispatcher_factory: Callable[..., Dispatcher]) -> Dispatcher:
    return dispatcher_factory()


# --- HTTP receiver ------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """An aiohttp server in its own thread; answers with queued (status, delay, text) or 200."""

    def __init__(self, port: int | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.port = port or free_port()
        self._tls = tls
        self.requests: list[Received] = []
        self.answers: list[tuple[int, float, str]] = []
        self.delay = 0.0
        self.retry_after: str | None = None
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status, delay, text = self.answers.pop(0) if self.answers else (200, self.delay, "ok")
        if delay:
            await asyncio.sleep(delay)
        self.requests.append(Received(path=request.path_qs, headers=dict(request.headers), body=body))
        headers = {"Retry-After": self.retry_after} if status == 429 and self.retry_after else {}
        return web.Response(status=status, text=text, headers=headers)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        # No access log: it would print the secret URL paths the tests send to (the receiver is not modelmon).
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self._tls).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> HttpReceiver:
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        wait_until(lambda: len(self.requests) >= count, timeout=timeout, what=f"{count} request(s) at {self.url}")
        return self.requests


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.close()


@pytest.fixture
def tls_receiver(certificate: Certificate) -> Iterator[HttpReceiver]:
    """An https receiver with the self-signed certificate."""
    server = HttpReceiver(tls=certificate.server_context()).start()
    yield server
    server.close()


@pytest.fixture
def idle_receiver() -> Iterator[HttpReceiver]:
    """A receiver whose port is chosen but that is not listening yet (a sink that is down)."""
    server = HttpReceiver()
    yield server
    server.close()


# --- Alertmanager -------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AlertmanagerServer:
    url: str
    relay: HttpReceiver
    """Where Alertmanager itself sends its notifications (a webhook receiver, resolutions included)."""

    def alerts(self, **filters: str) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as response:
            return json.loads(response.read())


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    if not Path(ALERTMANAGER).exists():
        pytest.fail(f"{ALERTMANAGER} is missing: apt-get install prometheus-alertmanager (see README set-up)",
                    pytrace=False)
    workdir = tmp_path_factory.mktemp("alertmanager")
    config = workdir / "alertmanager.yml"
    relay = HttpReceiver().start()
    config.write_text(f"""
route:
  receiver: relay
  group_by: [alertname, namespace, monitor, subject]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: relay
    webhook_configs:
      - url: {relay.url}/alertmanager
        send_resolved: true
""")
    port = free_port()
    log = (workdir / "alertmanager.log").open("w")
    process = subprocess.Popen([ALERTMANAGER, f"--config.file={config}", f"--storage.path={workdir / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                               stdout=log, stderr=subprocess.STDOUT)
    server = AlertmanagerServer(url=f"http://127.0.0.1:{port}", relay=relay)

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"Alertmanager exited ({process.returncode}): {(workdir / 'alertmanager.log').read_text()}",
                        pytrace=False)
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        wait_until(ready, timeout=30, what="Alertmanager to be ready")
        yield server
    finally:
        process.terminate()
        process.wait(10)
        log.close()
        relay.close()


# --- SMTP ---------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Certificate:
    cert_pem: str
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost: the client trusts it through caSecretRef."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (folder / "cert.pem").write_text(cert_pem)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return Certificate(cert_pem=cert_pem, cert_file=folder / "cert.pem", key_file=folder / "key.pem")


class Mailbox:
    """aiosmtpd handler keeping every message's envelope and content."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.content.decode("utf-8", "replace"),
                              "tls": session.ssl is not None})
        return "250 OK"


@dataclasses.dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


def _authenticator(username: str, password: str) -> Callable[..., AuthResult]:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == username
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False)
    return check


def _smtp(**options: Any) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=controller.port, mailbox=mailbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp_plain() -> Iterator[SmtpServer]:
    yield from _smtp()


SMTP_USER, SMTP_PASSWORD = "modelmon", "sm7p-Pa55word!"


@pytest.fixture
def smtp_tls(certificate: Certificate) -> Iterator[SmtpServer]:
    """STARTTLS required, AUTH required after TLS only."""
    yield from _smtp(tls_context=certificate.server_context(), require_starttls=True, auth_required=True, auth_require_tls=True,
                     authenticator=_authenticator(SMTP_USER, SMTP_PASSWORD))
