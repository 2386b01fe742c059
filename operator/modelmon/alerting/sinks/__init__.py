"""Sending one batch to one sink (I/O): one module per kind of sink, one entry point."""

from __future__ import annotations

import aiohttp

from modelmon.alerting import redaction
from modelmon.alerting.batches import Batch
from modelmon.alerting.sinks import alertmanager, slack, smtp, webhook
from modelmon.alerting.sinks.common import DeliveryError, ReadSecret, Secrets
from modelmon.api.alerts import SinkSpec

__all__ = ["DeliveryError", "ReadSecret", "Secrets", "send"]


async def send(spec: SinkSpec, batch: Batch, *, secrets: Secrets, session: aiohttp.ClientSession, timeout: float,
               now: float) -> None:
    """Deliver ``batch`` (already filtered for the sink's severity); raises DeliveryError, whose text
    has every value read from a Secret redacted (whole, then shortened)."""
    try:
        await _send(spec, batch, secrets=secrets, session=session, timeout=timeout, now=now)
    except DeliveryError as error:
        raise DeliveryError(redaction.shorten(secrets.redactor.redact(str(error))), retryable=error.retryable,
                            retry_after=error.retry_after) from None


async def _send(spec: SinkSpec, batch: Batch, *, secrets: Secrets, session: aiohttp.ClientSession, timeout: float,
                now: float) -> None:
    if spec.alertmanager is not None:
        await alertmanager.send(spec.alertmanager, batch, secrets=secrets, session=session, timeout=timeout, now=now)
    elif spec.slack is not None:
        await slack.send(spec.slack, batch, secrets=secrets, session=session, timeout=timeout, now=now)
    elif spec.webhook is not None:
        await webhook.send(spec.webhook, batch, secrets=secrets, session=session, timeout=timeout, now=now)
    elif spec.email is not None:
        await smtp.send(spec.email, batch, secrets=secrets, session=session, timeout=timeout, now=now)
