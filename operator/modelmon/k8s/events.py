"""Posting Kubernetes Events about a monitor (kopf's own poster runs only under its CLI)."""

from __future__ import annotations

import logging
from typing import Any, cast

import kubernetes

from modelmon import timestamps
from modelmon.k8s import client

log = logging.getLogger(__name__)


def post_event(*, body: dict[str, Any], type: str, reason: str, message: str) -> None:
    meta = body["metadata"]
    now = timestamps.format_time(timestamps.now())
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
        "involvedObject": {
            "apiVersion": body.get("apiVersion"),
            "kind": body.get("kind"),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
        },
        "type": type,
        "reason": reason,
        "message": message[:1024],
        "source": {"component": "modelmon"},
        "reportingComponent": "modelmon.io/operator",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    try:
        client.core().create_namespaced_event(meta["namespace"], cast(Any, event))
    except kubernetes.client.ApiException as error:
        # An Event is a courtesy: failing to post one must never fail a reconciliation.
        log.warning("could not post event %s for %s/%s: %s", reason, meta["namespace"], meta["name"], error.status)
