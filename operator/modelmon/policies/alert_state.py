"""Alert state as it lives in ``status.alerts``, and one planning step over it.

Pure: the parsed status (api.status.ModelMonitorStatus) and a clock in; the next status fields
(typed), the state changes worth an Event, the notifications for the sinks and the acknowledgement
annotation out.

Acknowledgement (annotation ``modelmon.io/ack: <id>[,<id>...]``) silences re-notification
of those alerts while their severity stays where it was. It is consumed: when an
acknowledged alert escalates or resolves, its id is recorded in ``status.consumedAcks``
and stops counting, so the escalation pages again and a later recurrence is a fresh
alert; the operator then removes the id from the annotation (in a later event: see
``controller/alerting.py``), and a person re-acknowledges with ``kubectl annotate --overwrite``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from modelmon import timestamps
from modelmon.api.status import AlertStatus, ModelMonitorStatus
from modelmon.policies.alerts import RANK, Alert, Decision, Notification, Observation, Policy, bounded, plan_alerts
from modelmon.policies.observations import Scope, scope_of

ACK_ANNOTATION = "modelmon.io/ack"
MAX_CONSUMED = 200
#: status.alerts[].message is at most this long (the CRD's bound).
MESSAGE_LIMIT = 1024
Change = Literal["firing", "escalated", "deescalated", "resolved", "acknowledged"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class StateChange:
    change: Change
    alert: Alert


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertStep:
    alerts: list[AlertStatus]
    """``status.alerts`` after the step."""
    alert_notifications: list[str]
    """``status.alertNotifications`` after the step."""
    consumed_acks: list[str]
    """``status.consumedAcks`` after the step."""
    changes: list[StateChange]
    notifications: list[Notification]
    held_back: int
    consumed: list[str]
    """Acknowledged ids this step escalated or resolved."""

    @property
    def status(self) -> dict[str, Any]:
        """The three fields as the status patch carries them."""
        planned = ModelMonitorStatus(
            alerts=self.alerts, alert_notifications=self.alert_notifications, consumed_acks=self.consumed_acks
        ).wire()
        return {key: planned[key] for key in ("alerts", "alertNotifications", "consumedAcks")}


def parse_acks(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def effective_acks(consumed_acks: Sequence[str], ack_annotation: str | None) -> list[str]:
    """The annotation's ids that still count: not consumed (``status.consumedAcks``) by an escalation or
    resolution."""
    consumed = set(consumed_acks)
    return [a for a in parse_acks(ack_annotation) if a not in consumed]


def cleaned_annotation(consumed_acks: Sequence[str], ack_annotation: str | None) -> str | None:
    """The ack annotation without consumed ids, or None when it needs no change."""
    acks = parse_acks(ack_annotation)
    kept = effective_acks(consumed_acks, ack_annotation)
    return None if kept == acks else ",".join(kept)


def to_stamp(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return timestamps.format_epoch(epoch)


def alert_from_status(stored: AlertStatus) -> Alert:
    """One entry of ``status.alerts`` as the policy's Alert."""
    return Alert(
        id=stored.id,
        type=stored.type,
        subject=stored.subject,
        severity=stored.severity,
        message=stored.message,
        first_seen=timestamps.to_epoch(stored.first_seen) or 0.0,
        last_seen=timestamps.to_epoch(stored.last_seen) or 0.0,
        count=stored.count,
        streak=stored.streak,
        last_notified=timestamps.to_epoch(stored.last_notified),
        acknowledged=stored.acknowledged,
        resolved_at=timestamps.to_epoch(stored.resolved_at),
    )


def alert_to_status(alert: Alert) -> AlertStatus:
    return AlertStatus(
        id=alert.id,
        type=alert.type,
        subject=alert.subject,
        severity=alert.severity,
        message=alert.message[:MESSAGE_LIMIT],
        first_seen=timestamps.format_epoch(alert.first_seen),
        last_seen=timestamps.format_epoch(alert.last_seen),
        count=alert.count,
        streak=alert.streak,
        acknowledged=alert.acknowledged,
        state="firing" if alert.active else "resolved",
        last_notified=to_stamp(alert.last_notified),
        resolved_at=to_stamp(alert.resolved_at),
    )


def plan_step(
    *,
    status: ModelMonitorStatus,
    observations: Iterable[Observation],
    scope: Scope,
    ack_annotation: str | None,
    now: float,
    policy: Policy,
) -> AlertStep:
    """Plan the alerts of one scope; alerts of the other scope pass through untouched."""
    previous = [alert_from_status(a) for a in status.alerts]
    ours = [a for a in previous if scope_of(a.type) == scope]
    others = [a for a in previous if scope_of(a.type) != scope]
    notified_at = [t for t in (timestamps.to_epoch(s) for s in status.alert_notifications) if t is not None]
    acks = effective_acks(status.consumed_acks, ack_annotation)
    decision: Decision = plan_alerts(
        previous=ours,
        observations=observations,
        acknowledged=acks,
        notified_at=notified_at,
        now=now,
        policy=dataclasses.replace(policy, max_alerts=10**6),
    )
    merged = bounded(others + decision.alerts, policy.max_alerts)
    changes = state_changes(ours, decision.alerts)
    consumed = sorted({c.alert.id for c in changes if c.change in ("escalated", "resolved")} & set(acks))
    return AlertStep(
        alerts=[alert_to_status(a) for a in merged],
        alert_notifications=[timestamps.format_epoch(t) for t in decision.notified_at],
        # Bounded as status.consumedAcks is (an overflowing list would fail the status write).
        consumed_acks=sorted(set(status.consumed_acks) | set(consumed))[:MAX_CONSUMED],
        changes=changes,
        notifications=decision.notifications,
        held_back=decision.held_back,
        consumed=consumed,
    )


def acknowledge(
    *, status: ModelMonitorStatus, ack_annotation: str | None
) -> tuple[list[AlertStatus], list[StateChange]]:
    """Mark alerts acknowledged as soon as the annotation names them (no need to wait for a check)."""
    acks = set(effective_acks(status.consumed_acks, ack_annotation))
    alerts = [alert_from_status(a) for a in status.alerts]
    updated = [
        dataclasses.replace(a, acknowledged=True) if a.id in acks and a.active and not a.acknowledged else a
        for a in alerts
    ]
    changes = [StateChange(change="acknowledged", alert=new) for old, new in zip(alerts, updated) if new is not old]
    return [alert_to_status(a) for a in updated], changes


def state_changes(before: Sequence[Alert], after: Sequence[Alert]) -> list[StateChange]:
    old = {a.id: a for a in before}
    changes: list[StateChange] = []
    for alert in after:
        was = old.get(alert.id)
        if alert.active and (was is None or not was.active):
            changes.append(StateChange(change="firing", alert=alert))
        elif was is not None and was.active and not alert.active:
            changes.append(StateChange(change="resolved", alert=alert))
        elif was is not None and alert.active and RANK[alert.severity] != RANK[was.severity]:
            rose = RANK[alert.severity] > RANK[was.severity]
            changes.append(StateChange(change="escalated" if rose else "deescalated", alert=alert))
        elif was is not None and alert.acknowledged and not was.acknowledged:
            changes.append(StateChange(change="acknowledged", alert=alert))
    return changes


def active_counts(status_alerts: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = {"info": 0, "warning": 0, "critical": 0}
    for alert in status_alerts:
        if alert.get("state") == "firing":
            counts[alert["severity"]] = counts.get(alert["severity"], 0) + 1
    return counts
