"""A ModelMonitor as its status planners read it: the stored status parsed once per event into
api.status.ModelMonitorStatus, plus the few metadata and spec values they need; and the status
patch a plan becomes, serialised once.

Pure (a body in, a typed value out). The handlers (controller/monitors.py, check_pods.py,
check_jobs.py) call :func:`read_monitor` once per event and hand the result to every planner.

One part is parsed only when it is read: ``status.lastCheck`` (up to 1,000 features and 1,000
data-quality issues, about 3 ms to validate at that size) is parsed only while it is not yet
assessed (its time differs from ``status.assessedCheck``), the one time a planner reads more of it
than its time. Every other event of the monitor (kopf's own patches, status written by others, the
alert sinks' delivery state) would otherwise pay for it again; its ``time`` is kept as
:attr:`MonitorState.last_check_time`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

from modelmon.api.status import ModelMonitorStatus
from modelmon.policies.alert_state import ACK_ANNOTATION


class UnreadableStatus(ValueError):
    """A stored status the model cannot parse, though the CRD accepted it (written by hand through the
    status subresource, or by a newer operator before a rollback). The planners do not guess: nothing
    is planned or written until it is readable (controller/monitor_reads.py)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclasses.dataclass(frozen=True, kw_only=True)
class MonitorState:
    """What the ModelMonitor's status planners read of one event's object."""

    name: str
    namespace: str
    generation: int | None
    ack: str | None
    """The ``modelmon.io/ack`` annotation."""
    check_image: str | None
    """``spec.checkJob.image`` (the check pods' planner names the field to fix)."""
    status: ModelMonitorStatus
    """The stored status; its ``last_check`` only while not yet assessed (see the module's docstring)."""
    last_check_time: str | None
    """``status.lastCheck.time``, whether or not the rest of it was parsed."""
    stored: Mapping[str, Any]
    """The stored status as read, for the edges that still take a dict (the alert messages, the
    metrics, the active model's condition) and to quote it with a patch applied (:func:`applied`)."""

    @property
    def new_check(self) -> bool:
        """A ``lastCheck`` not yet assessed is stored."""
        return self.status.last_check is not None


def _where(error: pydantic.ValidationError) -> tuple[str, str]:
    """(field path as written in the object, the problem) of the first error."""
    first = error.errors()[0]
    path = "status"
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path, first["msg"]


def read_monitor(body: Mapping[str, Any]) -> MonitorState:
    """The monitor's status parsed once (raises :class:`UnreadableStatus` naming the field)."""
    meta = body.get("metadata") or {}
    stored: Mapping[str, Any] = body.get("status") or {}
    last = stored.get("lastCheck")
    last_time = last.get("time") if isinstance(last, Mapping) else None
    parsed: Mapping[str, Any] = stored
    if last is not None and last_time is not None and last_time == stored.get("assessedCheck"):
        parsed = {key: value for key, value in stored.items() if key != "lastCheck"}
    try:
        status = ModelMonitorStatus.model_validate(parsed)
    except pydantic.ValidationError as error:
        raise UnreadableStatus(*_where(error)) from None
    generation = meta.get("generation")
    return MonitorState(
        name=str(meta.get("name") or ""),
        namespace=str(meta.get("namespace") or ""),
        generation=generation if isinstance(generation, int) else None,
        ack=(meta.get("annotations") or {}).get(ACK_ANNOTATION),
        check_image=((body.get("spec") or {}).get("checkJob") or {}).get("image") or None,
        status=status,
        last_check_time=last_time if isinstance(last_time, str) else None,
        stored=stored,
    )


def status_patch(planned: ModelMonitorStatus, fields: Iterable[str]) -> dict[str, Any]:
    """The merge patch that writes ``fields`` (model field names) of ``planned``: their stored JSON, as
    :meth:`~modelmon.api.base.StatusModel.wire` gives it. A field planned empty (None) is written as
    null, which a merge patch reads as its removal."""
    names = tuple(fields)
    wired = planned.wire(fields=names)
    return {alias: wired.get(alias) for alias in sorted(_alias(name) for name in names)}


def _alias(field: str) -> str:
    info = ModelMonitorStatus.model_fields[field]
    return info.alias or field


def applied(state: MonitorState, patch: Mapping[str, Any]) -> dict[str, Any]:
    """The stored status with ``patch`` applied (what the object holds once it is written)."""
    return {**state.stored, **patch}
