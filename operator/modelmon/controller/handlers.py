"""kopf handlers: a few lines each, handing over to :mod:`modelmon.controller.reconcile`.

Registered into a given registry (never globally), so tests run each operator fresh.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import kopf
import kubernetes

from modelmon import timestamps
from modelmon.api import monitor as api
from modelmon.conditions import MonitorReason
from modelmon.controller import alerting, reconcile, retraining
from modelmon.k8s import errors, events, objects
from modelmon.manifests import checkjob
from modelmon.manifests.checkjob import LABEL_MONITOR
from modelmon.metrics import OperatorMetrics
from modelmon.policies import alert_state, alert_updates, monitor_status
from modelmon.settings import OperatorSettings

RESOURCE = (api.GROUP, api.VERSION, api.PLURAL)
log = logging.getLogger(__name__)


def register(registry: kopf.OperatorRegistry, *, settings: OperatorSettings, metrics: OperatorMetrics,
             dispatch: alerting.Dispatch | None = None) -> None:
    alerts = alerting.MonitorAlerts(settings=settings, metrics=metrics, dispatch=dispatch)
    # The RetrainingJob's reconciler (training and rollout); its triggers run on the monitor's events.
    retrainings = retraining.register(registry, settings=settings, metrics=metrics)

    @kopf.on.cleanup(registry=registry)
    def stop_delivery(**_: Any) -> None:
        alerts.close()  # what is queued gets a last chance to go out

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        # kopf's bookkeeping lives in annotations, so our status is ours alone.
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="kopf.modelmon.io")
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix="kopf.modelmon.io")
        settings.persistence.finalizer = "modelmon.io/finalizer"
        settings.posting.level = logging.WARNING

    @kopf.on.resume(*RESOURCE, registry=registry)
    @kopf.on.create(*RESOURCE, registry=registry)
    @kopf.on.update(*RESOURCE, registry=registry)
    def reconcile_monitor(body: kopf.Body, patch: kopf.Patch, retry: int, **_: Any) -> None:
        raw = dict(body)
        try:
            outcome = reconcile.reconcile_children(raw, settings)
        except reconcile.InvalidSpec as error:
            patch.status.update(_ready(raw, ok=False, reason=MonitorReason.INVALID_SPEC, message=str(error)))
            events.post_event(body=raw, type="Warning", reason=MonitorReason.INVALID_SPEC.value, message=str(error))
            raise kopf.PermanentError(str(error)) from error
        except kubernetes.client.ApiException as error:
            if errors.is_temporary(error):
                delay = backoff_seconds(retry)
                raise kopf.TemporaryError(f"API error {error.status} {error.reason}; retrying in {delay:.0f}s",
                                          delay=delay) from error
            message = f"cannot apply children: {error.status} {error.reason}"
            patch.status.update(_ready(raw, ok=False, reason=MonitorReason.RECONCILE_FAILED, message=message))
            events.post_event(body=raw, type="Warning", reason=MonitorReason.RECONCILE_FAILED.value, message=message)
            raise kopf.PermanentError(message) from error
        changed = ", ".join(f"{kind} {what}" for kind, what in outcome.items() if what != "unchanged")
        patch.status.update(_ready(raw, ok=True, reason=MonitorReason.RECONCILED, message=changed or "children up to date"))

    @kopf.on.event(*RESOURCE, registry=registry)
    def observe_monitor(event: kopf.RawEvent, body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
        """Every watch event of a monitor: its status (health, alerts), check-now, acks, then its
        retraining triggers."""
        raw, meta = dict(body), body.metadata
        if event.get("type") == "DELETED":
            metrics.forget(namespace=str(meta.namespace), monitor=str(meta.name))
            alerts.forget(str(meta.namespace), str(meta.name))
            return
        try:
            _observe(raw, patch)
        finally:
            if not meta.get("deletionTimestamp"):
                retrainings.evaluate_triggers(raw, patch)

    def _observe(raw: dict[str, Any], patch: kopf.Patch) -> None:
        plan = monitor_status.plan_event(raw, policy=alerts.policy(raw), now=time.time())
        if plan is not None:
            # Written once, onto the version it was planned from; a newer event plans again.
            if reconcile.write_status_if_unchanged(raw, plan.patch):
                _tell(raw, plan)
            return
        if reconcile.CHECK_NOW in (raw["metadata"].get("annotations") or {}):
            _check_now(raw, patch)
        cleaned = alert_updates.ack_cleanup(raw)
        if cleaned is not None:
            patch.metadata.annotations[alert_state.ACK_ANNOTATION] = cleaned or None

    def _tell(raw: dict[str, Any], plan: monitor_status.EventPlan) -> None:
        """Events, metrics and notifications of a stored plan (only then: a stale event never tells twice)."""
        namespace, name = raw["metadata"]["namespace"], raw["metadata"]["name"]
        if plan.check is not None:  # metrics first: they are local and instant, Events are API calls
            metrics.record_check(namespace=namespace, monitor=name, last_check=raw["status"]["lastCheck"],
                                 health=plan.check.assessment.health.value,
                                 drifted_features=plan.check.assessment.drifted_features)
            for note in plan.check.assessment.events:
                events.post_event(body=raw, type=note.type, reason=note.reason, message=note.message)
        if plan.alerts is not None:
            # Messages quote health and scores from the body: give them the status just written.
            alerts.announce(plan.alerts, body={**raw, "status": plan.status})
            metrics.record_alerts(namespace=namespace, monitor=name,
                                  active=alert_state.active_counts(plan.alerts.status.get("alerts") or []))

    def _check_now(raw: dict[str, Any], patch: kopf.Patch) -> None:
        try:
            job = reconcile.start_check_now(raw, settings)
            events.post_event(body=raw, type="Normal", reason="CheckStarted", message=f"started Job {job}")
        except reconcile.InvalidSpec as error:
            events.post_event(body=raw, type="Warning", reason=MonitorReason.INVALID_SPEC.value,
                              message=f"check-now ignored: {error}")
        except kubernetes.client.ApiException as error:
            log.warning("check-now for %s failed: %s", raw["metadata"]["name"], error.status)
            return  # keep the annotation: the next event retries
        patch.metadata.annotations[reconcile.CHECK_NOW] = None

    @kopf.on.event("batch", "v1", "cronjobs", labels={LABEL_MONITOR: kopf.PRESENT}, registry=registry)
    def restore_child(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        """A deleted drift-check CronJob is recreated at once (level-triggered repair)."""
        if event.get("type") != "DELETED":
            return
        namespace, monitor = str(body.metadata.namespace), body.metadata.labels[LABEL_MONITOR]
        try:
            owner = objects.get_monitor(namespace, monitor)
        except kubernetes.client.ApiException:
            return  # unreadable now: the next event of the CronJob or the monitor repairs it
        if owner is None or owner.get("metadata", {}).get("deletionTimestamp"):
            return  # the monitor is gone: the garbage collector removes the rest
        try:
            reconcile.reconcile_children(owner, settings)
        except (reconcile.InvalidSpec, kubernetes.client.ApiException) as error:
            log.warning("could not restore children of %s/%s: %s", namespace, monitor, error)



def _ready(body: dict[str, Any], *, ok: bool, reason: MonitorReason, message: str) -> dict[str, Any]:
    return monitor_status.ready_status(body, ok=ok, reason=reason, message=message,
                                       cronjob=checkjob.cronjob_name(body["metadata"]["name"]),
                                       now=timestamps.format_time(timestamps.now()))


def backoff_seconds(retry: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff for transient API errors: 2, 4, 8, ... seconds, at most 5 minutes."""
    return float(min(cap, base * 2 ** min(retry, 16)))
