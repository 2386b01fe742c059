"""Alerts of a ModelMonitor: plan with the pure policy; once the handler has stored the
result in status, post the Events and hand the notifications to the sinks' dispatcher.

Planning happens at three moments, each idempotent so a repeated watch event changes
nothing: a new check was assessed (check alerts), the retraining state moved (lifecycle
alerts), or the ack annotation names alerts not yet acknowledged.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import kubernetes
import pydantic

from modelmon.alerting.delivery import Dispatcher
from modelmon.api.alerts import AlertsSpec
from modelmon.api.monitor import GROUP, PLURAL, VERSION
from modelmon.k8s import client, events, secrets
from modelmon.metrics import OperatorMetrics
from modelmon.policies import alert_state
from modelmon.policies.alert_config import effective_alerts, uses_default_sinks
from modelmon.policies.alert_state import ACK_ANNOTATION, StateChange
from modelmon.policies.alerts import Notification, Policy
from modelmon.policies.observations import check_observations, lifecycle_observations
from modelmon.settings import OperatorSettings

log = logging.getLogger(__name__)


class Dispatch(Protocol):
    def __call__(self, *, body: dict[str, Any], notifications: list[Notification]) -> None: ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertUpdate:
    status: dict[str, Any]
    changes: list[StateChange]
    notifications: list[Notification]
    held_back: int


def lifecycle_signature(retraining: dict[str, Any] | None) -> str:
    """What of ``status.retraining`` the lifecycle alerts depend on, as a comparable string."""
    retraining = retraining or {}
    picked = {key: {k: (retraining.get(key) or {}).get(k) for k in ("name", "phase")} for key in ("active", "last")}
    return json.dumps(picked, sort_keys=True)


def ack_of(body: dict[str, Any]) -> str | None:
    return ((body.get("metadata") or {}).get("annotations") or {}).get(ACK_ANNOTATION)


def plan(body: dict[str, Any], *, status: dict[str, Any], new_check: bool, policy: Policy,
         now: float) -> AlertUpdate | None:
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

    steps = []
    if new_check and current.get("lastCheck"):
        steps.append(("check", check_observations(current["lastCheck"])))
    signature = lifecycle_signature(current.get("retraining"))
    if signature != current.get("alertLifecycleSeen"):
        steps.append(("lifecycle", lifecycle_observations(current.get("retraining"))))
        current["alertLifecycleSeen"] = signature
        touched.add("alertLifecycleSeen")
    for scope, observations in steps:
        step = alert_state.plan_step(status=current, observations=observations, scope=scope,  # type: ignore[arg-type]
                                     ack_annotation=ack, now=now, policy=policy)
        current.update(step.status)
        touched.update(step.status)
        changes += step.changes
        notifications += step.notifications
        held_back += step.held_back
    if not touched:
        return None
    return AlertUpdate(status={key: current[key] for key in sorted(touched)}, changes=changes,
                       notifications=notifications, held_back=held_back)


def ack_cleanup(body: dict[str, Any]) -> str | None:
    """The ack annotation without consumed ids ('' to remove it), or None when it is clean."""
    return alert_state.cleaned_annotation(body.get("status") or {}, ack_of(body))


def event_for(change: StateChange) -> tuple[str, str, str]:
    """(type, reason, message) of the Kubernetes Event telling one state change."""
    alert = change.alert
    loud = change.change in ("firing", "escalated") and alert.severity != "info"
    reason = {"firing": "AlertFiring", "escalated": "AlertEscalated", "deescalated": "AlertDeescalated",
              "resolved": "AlertResolved", "acknowledged": "AlertAcknowledged"}[change.change]
    message = f"[{alert.severity}] {alert.type}/{alert.subject} (id {alert.id}): {alert.message}"
    if change.change == "escalated":
        message += "; any acknowledgement was cleared"
    return ("Warning" if loud else "Normal"), reason, message


def announce(update: AlertUpdate, *, body: dict[str, Any], post_event: Callable[..., None],
             dispatch: Dispatch | None) -> None:
    """Events for the state changes and the notifications to the sinks, once the state is stored."""
    for change in update.changes:
        kind, reason, message = event_for(change)
        post_event(body=body, type=kind, reason=reason, message=message)
    if update.held_back:
        meta = body["metadata"]
        log.warning("alert rate limit for %s/%s: %d notification(s) held back (state kept in status.alerts)",
                    meta.get("namespace"), meta.get("name"), update.held_back)
    if update.notifications and dispatch is not None:
        try:
            dispatch(body=body, notifications=update.notifications)
        except Exception:
            log.exception("handing notifications to the sinks failed")


def now() -> float:
    return time.time()


class MonitorAlerts:
    """The operator's alerting: policy resolution, planning and delivery for every monitor.

    Owns the sinks' :class:`~modelmon.alerting.delivery.Dispatcher` unless a ``dispatch`` is
    given (tests record notifications that way). Delivery results land in
    ``status.alertSinks`` through the status subresource.
    """

    def __init__(self, *, settings: OperatorSettings, metrics: OperatorMetrics, dispatch: Dispatch | None) -> None:
        self._settings = settings
        self._dispatcher: Dispatcher | None = None
        if dispatch is None:
            self._dispatcher = Dispatcher(read_secret=secrets.read_secret, metrics=metrics,
                                          on_result=self._record_delivery)
            dispatch = self._submit
        self._dispatch = dispatch

    def spec(self, body: dict[str, Any]) -> AlertsSpec:
        try:
            return effective_alerts((body.get("spec") or {}).get("alerts"), self._settings.default_alerts)
        except pydantic.ValidationError:
            # The reconciliation reports the spec as invalid; alerts still go to Events meanwhile.
            return self._settings.default_alerts or AlertsSpec()

    def plan(self, body: dict[str, Any], *, status: dict[str, Any], new_check: bool) -> AlertUpdate | None:
        return plan(body, status=status, new_check=new_check, policy=self.spec(body).policy(), now=now())

    def announce(self, update: AlertUpdate, *, body: dict[str, Any]) -> None:
        announce(update, body=body, post_event=events.post_event, dispatch=self._dispatch)

    def forget(self, namespace: str, monitor: str) -> None:
        if self._dispatcher is not None:
            self._dispatcher.forget(namespace, monitor)

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.close()

    def _submit(self, *, body: dict[str, Any], notifications: list[Notification]) -> None:
        assert self._dispatcher is not None
        defaults = uses_default_sinks((body.get("spec") or {}).get("alerts"), self._settings.default_alerts)
        self._dispatcher.submit(body=body, notifications=notifications, sinks=self.spec(body).sinks,
                                secret_namespace=self._settings.operator_namespace if defaults else None)

    def _record_delivery(self, namespace: str, monitor: str, states: list[dict[str, Any]]) -> None:
        fields = ("name", "type", "lastSuccess", "lastError", "lastErrorTime", "pending", "consecutiveFailures",
                  "dropped")
        sinks = [{k: state[k] for k in fields if k in state} for state in states]
        try:
            client.custom_objects().patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, PLURAL, monitor, {"status": {"alertSinks": sinks}})
        except kubernetes.client.ApiException as error:
            if error.status != 404:
                log.warning("could not record alert delivery in %s/%s: HTTP %s", namespace, monitor, error.status)
