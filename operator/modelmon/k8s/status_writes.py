"""The one way the operator writes the status of its own objects (ModelMonitor, RetrainingJob).

Every write is a merge patch of the status subresource onto the resourceVersion the change was
planned from. Watch events and reads go stale while a handler runs (the check pod, another
handler, a person with ``kubectl edit --subresource=status`` may write meanwhile), and a plan
written onto a newer version could drop what that version holds (lists are replaced whole) or
tell twice what happened once. A refused write (409) is not an error: the caller plans again
on a fresh read (:func:`update_status`) or leaves it to the next event.

kopf's own patch of a handler cycle (``patch.status``: the monitor's Ready condition) is the one
write that does not pass here: kopf applies it after the handler returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import kubernetes

from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as retraining_api
from modelmon.k8s import client, objects

log = logging.getLogger(__name__)

MONITORS = monitor_api.PLURAL
RETRAINING_JOBS = retraining_api.PLURAL


def write_status(plural: str, namespace: str, name: str, status: dict[str, Any], *, resource_version: str) -> bool:
    """Merge ``status`` into the object's status if it is still at ``resource_version``. False when
    it moved on (409) or is gone (404); any other refusal is raised."""
    patch = {"metadata": {"resourceVersion": resource_version}, "status": status}
    try:
        client.custom_objects().patch_namespaced_custom_object_status(
            monitor_api.GROUP, monitor_api.VERSION, namespace, plural, name, patch
        )
    except kubernetes.client.ApiException as error:
        if error.status in (404, 409):
            return False
        raise
    return True


def write_monitor_status(namespace: str, name: str, status: dict[str, Any], *, resource_version: str) -> bool:
    return write_status(MONITORS, namespace, name, status, resource_version=resource_version)


def write_retraining_job_status(namespace: str, name: str, status: dict[str, Any], *, resource_version: str) -> bool:
    return write_status(RETRAINING_JOBS, namespace, name, status, resource_version=resource_version)


def update_status(
    plural: str,
    namespace: str,
    name: str,
    plan: Callable[[dict[str, Any]], dict[str, Any] | None],
    *,
    body: dict[str, Any] | None = None,
    attempts: int = 5,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Plan a status change on a version of the object and write it onto that version; on a
    conflict read the object again and plan again. ``body``: a version already read (saves a
    read). Returns the version planned on and the change written; None when there was nothing to
    write, the object is gone, or it kept changing for ``attempts`` tries (the next event plans)."""
    for _ in range(attempts):
        if body is None:
            body = _read(plural, namespace, name)
            if body is None:
                return None
        change = plan(body)
        if not change:
            return None
        if write_status(plural, namespace, name, change, resource_version=body["metadata"]["resourceVersion"]):
            return body, change
        body = None
    log.warning("%s %s/%s kept changing; its status change is planned again at its next event", plural, namespace, name)
    return None


def _read(plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    return objects.get_monitor(namespace, name) if plural == MONITORS else objects.get_retraining_job(namespace, name)
