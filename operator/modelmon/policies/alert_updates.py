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
from collections.abc import Mapping
from typing import Any

from modelmon.policies import alert_state
from modelmon.policies.alert_state import ACK_ANNOTATION, StateChange
from modelmon.policies.alerts import Notification, Observation, Policy
from modelmon.policies.observations import Scope, check_observations, lifecycle_observations


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertUpdate:
    status: dict[str, Any]
    changes: list[StateChange]
    notifications: list[Notification]
    held_back: int


def lifecycle_signature(retraining: Mapping[str, Any] | None) -> str:
    """What of ``status.retraining`` the lifecycle alerts depend on, as a comparable string."""
    retraining = retraining or {}
    picked = {key: {k: (retraining.get(key) or {}).get(k) for k in ("name", "phase")} for key in ("active", "last")}
    return json.dumps(picked, sort_keys=True)


def ack_of(body: Mapping[str, Any]) -> str | None:
    return ((body.get("metadata") or {}).get("annotations") or {}).get(ACK_ANNOTATION)


def plan_update(
    body: Mapping[str, Any], *, status: Mapping[str, Any], new_check: bool, policy: Policy, now: float
) -> AlertUpdate | None:
    """The alert update for this event, or None when nothing changes.

    ``status`` is the monitor's status with this event's pending patch applied (so a check
    assessed in the same event is seen).
    """
    ack = ack_of(body)
    current = dict(status)
    changes: list[StateChange] = []
    notifications: list[Notification] = []
    held_back = 0
    touched: set[str] = set()

    # A consumed id that left the annotation is forgotten, so it can be acknowledged anew.
    named = set(alert_state.parse_acks(ack))
    consumed = [c for c in current.get("consumedAcks") or [] if c in named]
    if consumed != (current.get("consumedAcks") or []):
        current["consumedAcks"] = consumed
        touched.add("consumedAcks")

    alerts, acked = alert_state.acknowledge(status=current, ack_annotation=ack)
    if acked:
        current["alerts"] = alerts
        changes += acked
        touched.add("alerts")

    steps: list[tuple[Scope, list[Observation]]] = []
    promotion = promotion_signature(current.get("activeModel"))
    if promotion is not None and promotion != current.get("alertPromotionSeen"):
        # A promoted model makes a new generation: what the checks found judged the old model (its
        # reference, its baseline), so those alerts resolve -- notified like any resolution -- and the
        # next check raises again whatever still holds for the new one.
        if not new_check:
            steps.append(("check", []))
        current["alertPromotionSeen"] = promotion
        touched.add("alertPromotionSeen")
    if new_check and current.get("lastCheck"):
        steps.append(("check", check_observations(current["lastCheck"])))
    signature = lifecycle_signature(current.get("retraining"))
    if signature != current.get("alertLifecycleSeen"):
        steps.append(("lifecycle", lifecycle_observations(current.get("retraining"))))
        current["alertLifecycleSeen"] = signature
        touched.add("alertLifecycleSeen")
    for scope, observations in steps:
        step = alert_state.plan_step(
            status=current, observations=observations, scope=scope, ack_annotation=ack, now=now, policy=policy
        )
        current.update(step.status)
        touched.update(step.status)
        changes += step.changes
        notifications += step.notifications
        held_back += step.held_back
    if not touched:
        return None
    return AlertUpdate(
        status={key: current[key] for key in sorted(touched)},
        changes=changes,
        notifications=notifications,
        held_back=held_back,
    )


def promotion_signature(active_model: Any) -> str | None:
    """Identifies a promotion (``status.activeModel``): its RetrainingJob and time; None before any."""
    if not isinstance(active_model, Mapping) or not active_model.get("promotedAt"):
        return None
    return f"{active_model.get('retrainingJob')}@{active_model['promotedAt']}"


def ack_cleanup(body: Mapping[str, Any]) -> str | None:
    """The ack annotation without consumed ids ('' to remove it), or None when it is clean."""
    return alert_state.cleaned_annotation(body.get("status") or {}, ack_of(body))


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
