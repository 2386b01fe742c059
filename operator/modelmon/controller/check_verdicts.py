"""Writing a drift check's verdict onto its ModelMonitor (the edge shared by controller/check_pods.py
and controller/check_jobs.py): read the monitor live, write the planned status onto the version it
was planned from (a 409 drops the write: the next event plans again on the new version), then the
Event, so an Event never tells of a status that was not recorded."""

from __future__ import annotations

import logging
from typing import Any

import kubernetes

from modelmon.k8s import events, objects, status_writes

log = logging.getLogger(__name__)


def live_monitor(namespace: str, monitor: str, *, what: str, name: str | None) -> dict[str, Any] | None:
    """The monitor the check ``what`` ``name`` belongs to; None when it cannot be read, is gone or
    is being deleted (the check object's next event tries again)."""
    try:
        body = objects.get_monitor(namespace, monitor)
    except kubernetes.client.ApiException as error:
        log.warning("%s %s/%s: cannot read its monitor: %s", what, namespace, name, error.status)
        return None
    if body is None or body["metadata"].get("deletionTimestamp"):
        return None
    return body


def record_verdict(
    namespace: str,
    monitor: str,
    body: dict[str, Any],
    status: dict[str, Any],
    event: tuple[str, str, str] | None,
    *,
    what: str,
    recorded: str,
) -> None:
    """``status`` onto ``body``'s version of the monitor, then ``event`` (kind, reason, message)."""
    try:
        written = status_writes.write_monitor_status(
            namespace, monitor, status, resource_version=body["metadata"]["resourceVersion"]
        )
    except kubernetes.client.ApiException as error:
        log.warning("%s of %s/%s: could not record %s: %s", what, namespace, monitor, recorded, error.status)
        return
    if not written:  # the monitor moved on (or is gone); the check object's next event plans again
        log.info("%s of %s/%s: the monitor changed meanwhile; %s is planned again", what, namespace, monitor, recorded)
        return
    if event is not None:
        kind, reason, message = event
        events.post_event(body=body, type=kind, reason=reason, message=message)
