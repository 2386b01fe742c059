"""A ModelMonitor's status, planned: the Ready condition after reconciling its children, and
what one watch event changes (the health told by a new ``lastCheck``, the alerts).

Pure: the monitor parsed once (policies/monitor_state.py) and the clock in; the planned status
(typed), the one status patch it makes (serialised once, written onto the version it was
computed from) and what to tell afterwards out. The handler (controller/monitors.py) writes,
then posts the Events, records the metrics and hands the notifications over.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from modelmon import timestamps
from modelmon.api.status import ModelMonitorStatus
from modelmon.conditions import ConditionType, Health, MonitorReason
from modelmon.policies import alert_updates
from modelmon.policies import conditions as cond
from modelmon.policies.alerts import Policy
from modelmon.policies.health import HealthAssessment, assess_check
from modelmon.policies.monitor_state import MonitorState, applied, status_patch


def ready_status(
    monitor: MonitorState, *, ok: bool, reason: MonitorReason, message: str, cronjob: str, now: str
) -> dict[str, Any]:
    """The status patch of Ready after reconciling the children (``cronjob``: the drift-check CronJob's
    name, told when ok)."""
    status = monitor.status
    update = cond.condition_update(
        type=ConditionType.READY.value, status=ok, reason=reason.value, message=message, generation=monitor.generation
    )
    planned = status.model_copy(
        update={
            "observed_generation": monitor.generation,
            "conditions": cond.merge(status.conditions, [update], now=now),
        }
    )
    fields = {"observed_generation", "conditions"}
    if ok:
        planned.check_cron_job = cronjob
        fields.add("check_cron_job")
    if not status.health:
        planned.health = Health.UNKNOWN
        fields.add("health")
    return status_patch(planned, fields)


@dataclasses.dataclass(frozen=True)
class StatusUpdate:
    planned: ModelMonitorStatus
    """The status with the new check assessed."""
    assessment: HealthAssessment

    #: What assessing a check changes.
    FIELDS = frozenset({"health", "drifted_features", "assessed_check", "conditions"})

    @property
    def patch(self) -> dict[str, Any]:
        return status_patch(self.planned, self.FIELDS)


def assess_last_check(monitor: MonitorState, *, now: str) -> StatusUpdate | None:
    """The status with a new ``lastCheck`` assessed, or None when it was already assessed."""
    status = monitor.status
    last = status.last_check
    if last is None:
        return None
    assessment = assess_check(last, previous_health=status.health, generation=monitor.generation)
    planned = status.model_copy(
        update={
            "health": assessment.health,
            "drifted_features": assessment.drifted_features,
            "assessed_check": last.time,
            "conditions": cond.merge(status.conditions, assessment.conditions, now=now),
        }
    )
    return StatusUpdate(planned=planned, assessment=assessment)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventPlan:
    """What one watch event of a monitor changes, and what to tell once it is stored."""

    monitor: MonitorState
    """The monitor the plan was made from."""
    check: StatusUpdate | None
    """A new lastCheck assessed: health, conditions (its Events and metrics follow)."""
    alerts: alert_updates.AlertUpdate | None
    """The alerts' status, their state changes (Events) and notifications."""
    patch: dict[str, Any]
    """The one status patch of this event, serialised once from the planned status."""

    @property
    def status(self) -> dict[str, Any]:
        """The monitor's status once the patch is stored (the notifications quote it)."""
        return applied(self.monitor, self.patch)


def plan_event(monitor: MonitorState, *, policy: Policy, now: float) -> EventPlan | None:
    """None when the event changes nothing (a repeated or stale event, a status write of our own)."""
    check = assess_last_check(monitor, now=timestamps.format_epoch(now))
    status = check.planned if check is not None else monitor.status
    alerts = alert_updates.plan_update(monitor, status=status, new_check=check is not None, policy=policy, now=now)
    if check is None and alerts is None:
        return None
    # The alerts are planned on the assessed status: the last planned status holds both.
    planned = alerts.planned if alerts is not None else status
    fields = (StatusUpdate.FIELDS if check is not None else frozenset()) | (alerts.fields if alerts else frozenset())
    return EventPlan(monitor=monitor, check=check, alerts=alerts, patch=status_patch(planned, fields))


def is_first_alert_record(monitor: MonitorState, plan: EventPlan) -> bool:
    """Whether ``plan`` is a new monitor's first alert record (empty alert state and the retraining
    state seen) with nothing to tell.

    Such a patch may go out with the event's other status changes (kopf's patch, with Ready)
    instead of as a write of its own guarded by the resourceVersion: nothing is told, so nothing
    can be told twice, and whatever it is written over is the same first record. It is the first
    event of every new monitor: one write and one watch event fewer per monitor
    (bench/operator_scale.py). Every later record is written on the version it was planned from."""
    alerts, status = plan.alerts, monitor.status
    return (
        # as written (a stored null, which the API server prunes, counts as written: as before #16)
        "alert_lifecycle_seen" not in status.model_fields_set
        and not status.alerts
        and plan.check is None
        and alerts is not None
        and not (alerts.changes or alerts.notifications or alerts.held_back)
    )
