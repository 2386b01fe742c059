"""A ModelMonitor's status read for its planners at the edge: parsed once per event
(policies/monitor_state.py); a status the model cannot parse is one log line naming the field,
and nothing is planned or written for that event.

Such a status got past the CRD's schema (a hand edit through the status subresource, a value a
newer operator wrote before a rollback): guessing what it meant could overwrite what a person
wrote, and raising would have kopf retry the same unreadable object in a loop. The next write that makes it readable (a
person fixes the field; the next check rewrites the ``lastCheck`` fields it writes) brings the next
event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from modelmon.policies.monitor_state import MonitorState, UnreadableStatus, read_monitor

log = logging.getLogger(__name__)


def read_status(body: Mapping[str, Any], *, what: str) -> MonitorState | None:
    """The monitor parsed for its planners, or None (logged) when its status cannot be read; ``what``
    names the event for the log line (a watch event, a check Job, a check pod)."""
    try:
        return read_monitor(body)
    except UnreadableStatus as error:
        meta = body.get("metadata") or {}
        namespace, name = meta.get("namespace"), meta.get("name")
        log.warning(
            "%s of ModelMonitor %s/%s not planned: %s is unreadable (%s); correct or remove it "
            "(kubectl edit modelmonitor %s -n %s --subresource=status; docs/troubleshooting.md)",
            what,
            namespace,
            name,
            error.field,
            error.problem,
            name,
            namespace,
        )
        return None
