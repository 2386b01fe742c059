"""The alert policy: from the previous alert state and a check's observations, what fires,
updates, escalates, resolves or stays quiet -- and what is worth notifying.

Pure: the clock is passed in, nothing is sent. Delivery to sinks and the status patch are
the caller's (issue #5 wires them). Rules:

- identity is (type, subject): one alert per identity, with count, firstSeen, lastSeen;
- a new identity fires (notified); a rise in severity notifies at once, even when the
  alert was acknowledged (acknowledgement holds only for the severity it was given at);
- an unchanged alert is re-notified only after ``cooldown_seconds`` and never while
  acknowledged;
- a warning that persists for ``escalate_after`` consecutive checks becomes critical;
- an alert whose condition is no longer observed resolves, notified once;
- at most ``max_notifications_per_hour`` notifications per monitor: the rest are held
  back and counted (the alert state is still updated, so nothing is lost);
- at most ``max_alerts`` alerts are kept: resolved ones drop first, oldest first.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from typing import Literal

from modelmon.api import alerts as alerts_spec
from modelmon.api.alerts import AlertSeverity
from modelmon.api.alerts import AlertType as AlertType  # re-exported: policies.observations names it from here

Action = Literal["firing", "escalated", "repeat", "resolved"]
RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
HOUR = 3600.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class Observation:
    """Something a check found that deserves an alert."""

    type: AlertType
    subject: str
    severity: AlertSeverity
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Alert:
    id: str
    type: AlertType
    subject: str
    severity: AlertSeverity
    message: str
    first_seen: float
    last_seen: float
    count: int = 1
    streak: int = 1
    """Consecutive checks in which the alert was observed."""
    last_notified: float | None = None
    acknowledged: bool = False
    resolved_at: float | None = None

    @property
    def active(self) -> bool:
        return self.resolved_at is None


Policy = alerts_spec.AlertPolicy
"""The policy's settings, parsed from spec.alerts (defined with the spec, which builds it)."""
DEFAULT_POLICY = Policy()


@dataclasses.dataclass(frozen=True, kw_only=True)
class Notification:
    action: Action
    alert: Alert


@dataclasses.dataclass(frozen=True, kw_only=True)
class Decision:
    alerts: list[Alert]
    notifications: list[Notification]
    held_back: int
    """Notifications suppressed by the rate limit."""
    notified_at: list[float]
    """Times of recent notifications (the rate limiter's memory), to store with the state."""


def alert_id(type: str, subject: str) -> str:
    return hashlib.sha256(f"{type}/{subject}".encode()).hexdigest()[:12]


def plan_alerts(*, previous: Sequence[Alert], observations: Iterable[Observation], acknowledged: Iterable[str],
                notified_at: Sequence[float], now: float, policy: Policy = DEFAULT_POLICY) -> Decision:
    acks = set(acknowledged)
    seen = {alert_id(o.type, o.subject): o for o in observations}
    by_id = {a.id: a for a in previous}
    alerts: list[Alert] = []
    wanted: list[Notification] = []
    for identity, observed in seen.items():
        alert, action = _observe(by_id.get(identity), identity, observed, acks, now, policy)
        alerts.append(alert)
        if action is not None:
            wanted.append(Notification(action=action, alert=alert))
    for alert in previous:
        if alert.id in seen:
            continue
        if alert.active:
            alert = dataclasses.replace(alert, resolved_at=now, streak=0)
            wanted.append(Notification(action="resolved", alert=alert))
        alerts.append(alert)
    recent = [t for t in notified_at if now - t < HOUR]
    room = max(0, policy.max_notifications_per_hour - len(recent))
    sent = wanted[:room]
    sent_ids = {n.alert.id for n in sent}
    alerts = [dataclasses.replace(a, last_notified=now) if a.id in sent_ids else a for a in alerts]
    sent = [dataclasses.replace(n, alert=dataclasses.replace(n.alert, last_notified=now)) for n in sent]
    return Decision(alerts=bounded(alerts, policy.max_alerts), notifications=sent,
                    held_back=len(wanted) - len(sent), notified_at=recent + [now] * len(sent))


def _observe(existing: Alert | None, identity: str, observed: Observation, acks: set[str], now: float,
             policy: Policy) -> tuple[Alert, Action | None]:
    if existing is None or not existing.active:
        fresh = Alert(id=identity, type=observed.type, subject=observed.subject, severity=observed.severity,
                      message=observed.message, first_seen=now, last_seen=now)
        return fresh, "firing"
    streak = existing.streak + 1
    severity: AlertSeverity = observed.severity
    escalated = severity == "warning" and streak >= policy.escalate_after
    if escalated:
        severity = "critical"
    rose = RANK[severity] > RANK[existing.severity]
    alert = dataclasses.replace(existing, severity=severity, message=observed.message, last_seen=now,
                                count=existing.count + 1, streak=streak,
                                acknowledged=(identity in acks) and not rose)
    if rose:
        return alert, "escalated"
    cooled = existing.last_notified is None or now - existing.last_notified >= policy.cooldown_seconds
    return alert, ("repeat" if cooled and not alert.acknowledged else None)


def bounded(alerts: list[Alert], limit: int) -> list[Alert]:
    """At most ``limit`` alerts: resolved ones drop first, oldest first; if active ones alone
    are too many, the most severe and then the most recently seen are kept."""
    if len(alerts) <= limit:
        return alerts
    resolved = sorted((a for a in alerts if not a.active), key=lambda a: a.resolved_at or 0.0)
    drop = {a.id for a in resolved[: len(alerts) - limit]}
    kept = [a for a in alerts if a.id not in drop]
    if len(kept) > limit:
        kept = sorted(kept, key=lambda a: (RANK[a.severity], a.last_seen), reverse=True)[:limit]
    return kept
