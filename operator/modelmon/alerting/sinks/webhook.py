"""Generic webhook: ``POST <URL>`` with the versioned JSON document, HMAC-signed when a key is set."""

from __future__ import annotations

import aiohttp

from modelmon.alerting import payloads, signing
from modelmon.alerting.batches import Batch
from modelmon.alerting.sinks.common import Secrets, post
from modelmon.api.alerts import WebhookSink


async def send(spec: WebhookSink, batch: Batch, *, secrets: Secrets, session: aiohttp.ClientSession,
               timeout: float, now: float) -> None:
    url = await secrets.url(spec.url_secret_ref)
    body = payloads.encode(payloads.webhook_body(batch))
    headers = {h.name: await secrets.header_value(h.value_secret_ref) for h in spec.headers}
    if spec.hmac_secret_ref is not None:
        # Signed at each attempt: a retry carries a fresh timestamp, so it passes a receiver's replay window.
        headers.update(signing.headers(key=await secrets.get(spec.hmac_secret_ref), timestamp=int(now), body=body))
    await post(session, url, body=body, headers=headers, timeout=timeout, tls=await secrets.tls(spec.tls))
