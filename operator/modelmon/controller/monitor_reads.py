"""A ModelMonitor's status read for its planners at the edge: parsed once per event
(policies/monitor_state.py); a status the model cannot parse is one log line naming the field,
and nothing is planned or written for that event.

Such a status got past the CRD's schema (a hand edit through the status subresource, an older
operator's field): guessing what it meant could overwrite what a person wrote, and raising would
have kopf retry the same unreadable object in a loop. The next write that makes it readable (the
next check rewrites ``lastCheck``; a person fixes the field) brings the next event.
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
        log.warning(
            "%s of ModelMonitor %s/%s not planned: %s is unreadable (%s); fix or remove that field of its status",
            what,
            meta.get("namespace"),
            meta.get("name"),
            error.field,
            error.problem,
        )
        return None
