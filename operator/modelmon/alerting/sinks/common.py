"""What every sink shares: the error it raises, Secret access for one attempt, the HTTP POST."""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping

import aiohttp

from modelmon.alerting.redaction import Redactor
from modelmon.api.alerts import SecretKeyRef, TLSConfig

ReadSecret = Callable[[str, str, str], str]
"""``read_secret(namespace, name, key) -> value``; raises when the Secret or key is missing."""

#: Refusals of the request itself: sending the same body again cannot succeed. Anything else
#: (401/403/404 included: a rotated token or a recreated webhook is fixed in its Secret, and the
#: Secret is read again at every attempt) is retried until the notification's maximum age.
PERMANENT_STATUSES = frozenset({400, 405, 411, 413, 415, 422})
#: How much of a refusing server's reply is read (memory stays bounded). The text is kept whole up to
#: this size: it is redacted first and shortened after (redaction.shorten), never the other way round.
REPLY_LIMIT = 64 * 1024


class DeliveryError(Exception):
    """A failed attempt; ``str()`` may quote a secret until it is redacted."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Secrets:
    """Secret values for one delivery attempt, each registered with the redactor as it is read."""

    def __init__(self, *, read_secret: ReadSecret, namespace: str, redactor: Redactor) -> None:
        self._read = read_secret
        self._namespace = namespace
        self.redactor = redactor

    async def get(self, ref: SecretKeyRef) -> str:
        try:
            # The reader is synchronous (the Kubernetes client): never on the delivery loop.
            value = await asyncio.to_thread(self._read, self._namespace, ref.name, ref.key)
        except Exception as error:  # noqa: BLE001 - any reader failure is one retryable delivery failure
            raise DeliveryError(f"Secret {self._namespace}/{ref.name} key {ref.key!r} could not be read: "
                                f"{type(error).__name__}: {error}") from None
        self.redactor.add(value)
        return value

    async def header_value(self, ref: SecretKeyRef, *, strip_spaces: bool = True) -> str:
        """A value sent in an HTTP header: the trailing line break that ``kubectl create secret
        --from-file`` keeps from a file written by ``echo`` is removed (with surrounding spaces unless
        ``strip_spaces`` is False, e.g. for a password); a line break left inside is refused in one
        line naming the Secret's key, instead of the HTTP library's "header injection" on every retry."""
        value = await self.get(ref)
        value = value.strip() if strip_spaces else value.strip("\r\n")
        if any(c in value for c in "\r\n\0"):
            raise DeliveryError(f"Secret {self._namespace}/{ref.name} key {ref.key!r} has a line break inside its "
                                f"value, which cannot be sent in an HTTP header: store the value on one line "
                                f"(kubectl create secret generic {ref.name} --from-literal={ref.key}=VALUE)")
        return value

    async def url(self, ref: SecretKeyRef) -> str:
        """A URL kept in a Secret (surrounding whitespace, e.g. a trailing newline from ``echo``, removed)."""
        value = (await self.get(ref)).strip()
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"Secret {self._namespace}/{ref.name} key {ref.key!r} does not hold an http(s) URL")
        return value

    async def tls(self, config: TLSConfig | None) -> ssl.SSLContext | None:
        if config is None or config.ca_secret_ref is None:
            return None
        pem = await self.get(config.ca_secret_ref)
        try:
            return ssl.create_default_context(cadata=pem)
        except (ssl.SSLError, ValueError) as error:
            raise DeliveryError(f"Secret {self._namespace}/{config.ca_secret_ref.name} key "
                                f"{config.ca_secret_ref.key!r} is not PEM CA certificates ({error})") from None


def _decode(raw: bytes, charset: str | None) -> str:
    try:
        return raw.decode(charset or "utf-8", errors="replace").strip()
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace").strip()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


async def post(session: aiohttp.ClientSession, url: str, *, body: bytes, headers: Mapping[str, str],
               timeout: float, tls: ssl.SSLContext | None = None) -> None:
    """POST ``body``; returns on 2xx, raises :class:`DeliveryError` otherwise (unredacted, not shortened:
    :func:`modelmon.alerting.sinks.send` redacts it before it leaves the sink)."""
    try:
        async with session.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                                timeout=aiohttp.ClientTimeout(total=timeout), ssl=tls if tls is not None else True,
                                allow_redirects=False) as response:
            if 200 <= response.status < 300:
                return
            raw = await response.content.read(REPLY_LIMIT)
            reply = _decode(raw, response.charset)
            raise DeliveryError(f"HTTP {response.status} {response.reason or ''}: {reply}".strip(),
                                retryable=response.status not in PERMANENT_STATUSES,
                                retry_after=_retry_after(response.headers.get("Retry-After")))
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g}s") from None
    except aiohttp.ClientError as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
