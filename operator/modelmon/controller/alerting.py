"""Alerts of a ModelMonitor at the edge: which policy and sinks apply (the monitor's spec over
the operator's defaults), and -- once the handler has stored the planned update
(policies/alert_updates.py) in status -- the Events and the notifications to the sinks'
dispatcher, whose delivery results land in ``status.alertSinks``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

import kubernetes
import pydantic

from modelmon.alerting.delivery import Dispatcher
from modelmon.api.alerts import AlertsSpec
from modelmon.k8s import events, secrets, status_writes
from modelmon.metrics import OperatorMetrics
from modelmon.policies import alert_updates
from modelmon.policies.alert_config import effective_alerts, uses_default_sinks
from modelmon.policies.alerts import Notification, Policy
from modelmon.settings import OperatorSettings

log = logging.getLogger(__name__)


class Dispatch(Protocol):
    def __call__(self, *, body: dict[str, Any], notifications: list[Notification]) -> None: ...


def announce(update: alert_updates.AlertUpdate, *, body: dict[str, Any], post_event: Callable[..., None],
             dispatch: Dispatch | None) -> None:
    """Events for the state changes and the notifications to the sinks, once the state is stored."""
    for change in update.changes:
        kind, reason, message = alert_updates.event_for(change)
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


#: Distinct spec.alerts whose policy is kept (the policy is a small frozen dataclass).
POLICY_CACHE_SIZE = 4096


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
        self._policies: dict[str | None, Policy] = {}  # by spec.alerts as JSON (None: not set)

    def spec(self, body: dict[str, Any]) -> AlertsSpec:
        try:
            return effective_alerts((body.get("spec") or {}).get("alerts"), self._settings.default_alerts)
        except pydantic.ValidationError:
            # The reconciliation reports the spec as invalid; alerts still go to Events meanwhile.
            return self._settings.default_alerts or AlertsSpec()

    def policy(self, body: dict[str, Any]) -> Policy:
        """The monitor's alert policy, validated once per distinct spec.alerts: every watch event
        asks for it, and validating spec.alerts was a third of observing an event at scale."""
        raw = (body.get("spec") or {}).get("alerts")
        key = None if raw is None else json.dumps(raw, sort_keys=True)
        policy = self._policies.get(key)
        if policy is None:
            if len(self._policies) >= POLICY_CACHE_SIZE:
                self._policies.clear()  # many distinct specs: start over rather than grow
            policy = self._policies[key] = self.spec(body).policy()
        return policy

    def announce(self, update: alert_updates.AlertUpdate, *, body: dict[str, Any]) -> None:
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
        try:  # alertSinks is delivery's alone, but written onto a version read like every status write
            status_writes.update_status(
                status_writes.MONITORS, namespace, monitor,
                lambda body: None if (body.get("status") or {}).get("alertSinks") == sinks else {"alertSinks": sinks})
        except kubernetes.client.ApiException as error:
            log.warning("could not record alert delivery in %s/%s: HTTP %s", namespace, monitor, error.status)
