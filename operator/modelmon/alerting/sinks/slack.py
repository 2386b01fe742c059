"""Slack incoming webhook: ``POST <webhook URL>`` with a blocks message."""

from __future__ import annotations

import aiohttp

from modelmon.alerting import payloads
from modelmon.alerting.batches import Batch
from modelmon.alerting.sinks.common import Secrets, post
from modelmon.api.alerts import SlackSink


async def send(spec: SlackSink, batch: Batch, *, secrets: Secrets, session: aiohttp.ClientSession,
               timeout: float, now: float) -> None:
    url = await secrets.url(spec.webhook_url_secret_ref)
    message = payloads.slack_message(batch, channel=spec.channel, username=spec.username)
    await post(session, url, body=payloads.encode(message), headers={}, timeout=timeout)
