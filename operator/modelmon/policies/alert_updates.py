"""What a ModelMonitor's alerts become at one event, pure: the status fields to write, the state
changes to tell as Events, and the notifications for the sinks.

Planning happens at three moments, each idempotent so a repeated watch event changes
nothing: a new check was assessed (check alerts), the retraining state moved (lifecycle
alerts), or the ack annotation names alerts not yet acknowledged. The controller
(controller/alerting.py) stores the status first and only then tells and sends.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from modelmon.api.retraining import MonitorRetrainingStatus
from modelmon.api.status import ActiveModel, ModelMonitorStatus
from modelmon.policies import alert_state
from modelmon.policies.alert_state import StateChange
from modelmon.policies.alerts import Notification, Observation, Policy
from modelmon.policies.monitor_state import MonitorState, status_patch
from modelmon.policies.observations import Scope, check_observations, lifecycle_observations


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertUpdate:
    planned: ModelMonitorStatus
    """The monitor's status with the update applied."""
    fields: frozenset[str]
    """The fields of ``planned`` the update changes (what it writes)."""
    changes: list[StateChange]
    notifications: list[Notification]
    held_back: int

    @property
    def status(self) -> dict[str, Any]:
        """The update as the status patch carries it."""
        return status_patch(self.planned, self.fields)


def lifecycle_signature(retraining: MonitorRetrainingStatus | None) -> str:
    """What of ``status.retraining`` the lifecycle alerts depend on, as a comparable string."""
    active = retraining.active if retraining is not None else None
    last = retraining.last if retraining is not None else None
    picked = {
        "active": {"name": active.name if active else None, "phase": active.phase if active else None},
        "last": {"name": last.name if last else None, "phase": last.phase if last else None},
    }
    return json.dumps(picked, sort_keys=True)


def plan_update(
    monitor: MonitorState, *, status: ModelMonitorStatus, new_check: bool, policy: Policy, now: float
) -> AlertUpdate | None:
    """The alert update for this event, or None when nothing changes.

    ``status`` is the monitor's status with this event's pending changes applied (so a check
    assessed in the same event is seen).
    """
    ack = monitor.ack
    current = status.model_copy()
    changes: list[StateChange] = []
    notifications: list[Notification] = []
    held_back = 0
    touched: set[str] = set()

    # A consumed id that left the annotation is forgotten, so it can be acknowledged anew.
    named = set(alert_state.parse_acks(ack))
    consumed = [c for c in current.consumed_acks if c in named]
    if consumed != current.consumed_acks:
        current.consumed_acks = consumed
        touched.add("consumed_acks")

    alerts, acked = alert_state.acknowledge(status=current, ack_annotation=ack)
    if acked:
        current.alerts = alerts
        changes += acked
        touched.add("alerts")

    steps: list[tuple[Scope, list[Observation]]] = []
    promotion = promotion_signature(current.active_model)
    if promotion is not None and promotion != current.alert_promotion_seen:
        # A promoted model makes a new generation: what the checks found judged the old model (its
        # reference, its baseline), so those alerts resolve -- notified like any resolution -- and the
        # next check raises again whatever still holds for the new one.
        if not new_check:
            steps.append(("check", []))
        current.alert_promotion_seen = promotion
        touched.add("alert_promotion_seen")
    if new_check and current.last_check is not None:
        steps.append(("check", check_observations(current.last_check)))
    signature = lifecycle_signature(current.retraining)
    if signature != current.alert_lifecycle_seen:
        steps.append(("lifecycle", lifecycle_observations(current.retraining)))
        current.alert_lifecycle_seen = signature
        touched.add("alert_lifecycle_seen")
    for scope, observations in steps:
        step = alert_state.plan_step(
            status=current, observations=observations, scope=scope, ack_annotation=ack, now=now, policy=policy
        )
        current.alerts, current.alert_notifications = step.alerts, step.alert_notifications
        current.consumed_acks = step.consumed_acks
        touched.update(("alerts", "alert_notifications", "consumed_acks"))
        changes += step.changes
        notifications += step.notifications
        held_back += step.held_back
    if not touched:
        return None
    return AlertUpdate(
        planned=current,
        fields=frozenset(touched),
        changes=changes,
        notifications=notifications,
        held_back=held_back,
    )


def promotion_signature(active_model: ActiveModel | None) -> str | None:
    """Identifies a promotion (``status.activeModel``): its RetrainingJob and time; None before any."""
    if active_model is None or not active_model.promoted_at:
        return None
    return f"{active_model.retraining_job}@{active_model.promoted_at}"


def ack_cleanup(monitor: MonitorState) -> str | None:
    """The ack annotation without consumed ids ('' to remove it), or None when it is clean."""
    return alert_state.cleaned_annotation(monitor.status.consumed_acks, monitor.ack)


def event_for(change: StateChange) -> tuple[str, str, str]:
    """(type, reason, message) of the Kubernetes Event telling one state change."""
    alert = change.alert
    loud = change.change in ("firing", "escalated") and alert.severity != "info"
    reason = {
        "firing": "AlertFiring",
        "escalated": "AlertEscalated",
        "deescalated": "AlertDeescalated",
        "resolved": "AlertResolved",
        "acknowledged": "AlertAcknowledged",
    }[change.change]
    message = f"[{alert.severity}] {alert.type}/{alert.subject} (id {alert.id}): {alert.message}"
    if change.change == "escalated":
        message += "; any acknowledgement was cleared"
    return ("Warning" if loud else "Normal"), reason, message
