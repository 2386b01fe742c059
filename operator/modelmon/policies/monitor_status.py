"""A ModelMonitor's status, planned: the Ready condition after reconciling its children, and
what one watch event changes (the health told by a new ``lastCheck``, the alerts).

Pure: the body and the clock in, one status patch (written once, onto the version it was
computed from) and what to tell afterwards out. The handler (controller/handlers.py)
writes, then posts the Events, records the metrics and hands the notifications over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from modelmon import timestamps
from modelmon.conditions import ConditionType, Health, MonitorReason
from modelmon.policies import alert_updates
from modelmon.policies import conditions as cond
from modelmon.policies.alerts import Policy
from modelmon.policies.health import HealthAssessment, assess_health


def ready_status(
    body: Mapping[str, Any], *, ok: bool, reason: MonitorReason, message: str, cronjob: str, now: str
) -> dict[str, Any]:
    """Ready after reconciling the children (``cronjob``: the drift-check CronJob's name, told when ok)."""
    meta, status = body["metadata"], body.get("status") or {}
    generation = meta.get("generation")
    update = cond.condition(
        type=ConditionType.READY.value, status=ok, reason=reason.value, message=message, generation=generation
    )
    patch: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": cond.merge_conditions(status.get("conditions"), [update], now=now),
    }
    if ok:
        patch["checkCronJob"] = cronjob
    if not status.get("health"):
        patch["health"] = Health.UNKNOWN.value
    return patch


@dataclasses.dataclass(frozen=True)
class StatusUpdate:
    patch: dict[str, Any]
    assessment: HealthAssessment


def assess_last_check(body: Mapping[str, Any], *, now: str) -> StatusUpdate | None:
    """The status patch for a new ``lastCheck``, or None when it was already assessed."""
    status = body.get("status") or {}
    last = status.get("lastCheck")
    if not last or last.get("time") == status.get("assessedCheck"):
        return None
    assessment = assess_health(
        last, previous_health=status.get("health"), generation=body["metadata"].get("generation")
    )
    patch = {
        "health": assessment.health.value,
        "driftedFeatures": assessment.drifted_features,
        "assessedCheck": last.get("time"),
        "conditions": cond.merge_conditions(status.get("conditions"), assessment.conditions, now=now),
    }
    return StatusUpdate(patch=patch, assessment=assessment)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventPlan:
    """What one watch event of a monitor changes, and what to tell once it is stored."""

    check: StatusUpdate | None
    """A new lastCheck assessed: health, conditions (its Events and metrics follow)."""
    alerts: alert_updates.AlertUpdate | None
    """The alerts' status, their state changes (Events) and notifications."""
    status: dict[str, Any]
    """The monitor's status once the patch is stored (the notifications quote it)."""

    @property
    def patch(self) -> dict[str, Any]:
        """The one status patch of this event."""
        return {**(self.check.patch if self.check else {}), **(self.alerts.status if self.alerts else {})}


def plan_event(body: Mapping[str, Any], *, policy: Policy, now: float) -> EventPlan | None:
    """None when the event changes nothing (a repeated or stale event, a status write of our own)."""
    check = assess_last_check(body, now=timestamps.format_epoch(now))
    status = {**(body.get("status") or {}), **(check.patch if check else {})}
    alerts = alert_updates.plan_update(body, status=status, new_check=check is not None, policy=policy, now=now)
    if check is None and alerts is None:
        return None
    return EventPlan(check=check, alerts=alerts, status={**status, **(alerts.status if alerts else {})})


def is_first_alert_record(body: Mapping[str, Any], plan: EventPlan) -> bool:
    """Whether ``plan`` is a new monitor's first alert record (empty alert state and the retraining
    state seen) with nothing to tell.

    Such a patch may go out with the event's other status changes (kopf's patch, with Ready)
    instead of as a write of its own guarded by the resourceVersion: nothing is told, so nothing
    can be told twice, and whatever it is written over is the same first record. It is the first
    event of every new monitor: one write and one watch event fewer per monitor
    (bench/operator_scale.py). Every later record is written on the version it was planned from."""
    alerts, status = plan.alerts, body.get("status") or {}
    return (
        "alertLifecycleSeen" not in status
        and not status.get("alerts")
        and plan.check is None
        and alerts is not None
        and not (alerts.changes or alerts.notifications or alerts.held_back)
    )
