"""Prometheus Alertmanager: ``POST <url>/api/v2/alerts`` with a list of alerts."""

from __future__ import annotations

import base64

import aiohttp

from modelmon.alerting import payloads
from modelmon.alerting.batches import Batch
from modelmon.alerting.sinks.common import Secrets, post
from modelmon.api.alerts import AlertmanagerSink
from modelmon.api.durations import parse_duration


async def send(spec: AlertmanagerSink, batch: Batch, *, secrets: Secrets, session: aiohttp.ClientSession,
               timeout: float, now: float) -> None:
    headers: dict[str, str] = {}
    if spec.bearer_token_secret_ref is not None:
        headers["Authorization"] = f"Bearer {await secrets.header_value(spec.bearer_token_secret_ref)}"
    elif spec.basic_auth is not None:
        user = await secrets.header_value(spec.basic_auth.username_secret_ref)
        password = await secrets.header_value(spec.basic_auth.password_secret_ref, strip_spaces=False)
        secrets.redactor.add_basic_auth(user, password)
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    alerts = payloads.alertmanager_alerts(batch, labels=spec.labels, expire_after=parse_duration(spec.expire_after),
                                          now=now)
    await post(session, spec.url.rstrip("/") + "/api/v2/alerts", body=payloads.encode(alerts), headers=headers,
               timeout=timeout, tls=await secrets.tls(spec.tls))
