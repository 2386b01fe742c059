"""kopf handlers: a few lines each, handing over to the reconcilers --
:class:`~modelmon.controller.monitors.MonitorController` for ModelMonitors,
:mod:`modelmon.controller.retraining` for RetrainingJobs (training and rollout).

Registered into a given registry (never globally), so tests run each operator fresh.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from modelmon.api import monitor as api
from modelmon.controller import alerting, check_jobs, check_pods, diffbase, monitors, retraining
from modelmon.manifests.checkjob import LABEL_COMPONENT, LABEL_MONITOR
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

RESOURCE = (api.GROUP, api.VERSION, api.PLURAL)
CHECK_POD_SELECTOR = f"{LABEL_MONITOR},{LABEL_COMPONENT}=drift-check"


def register(
    registry: kopf.OperatorRegistry,
    *,
    settings: OperatorSettings,
    metrics: OperatorMetrics,
    dispatch: alerting.Dispatch | None = None,
) -> None:
    alerts = alerting.MonitorAlerts(settings=settings, metrics=metrics, dispatch=dispatch)
    # The RetrainingJob's reconciler (training and rollout); its triggers run on the monitor's events.
    retrainings = retraining.register(registry, settings=settings, metrics=metrics)
    controller = monitors.MonitorController(settings=settings, metrics=metrics, alerts=alerts, retrainings=retrainings)

    @kopf.on.cleanup(registry=registry)
    def stop_delivery(**_: Any) -> None:
        alerts.close()  # what is queued gets a last chance to go out

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        # kopf's bookkeeping lives in annotations, so our status is ours alone.
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=diffbase.PREFIX)
        # a spec too large for an annotation is kept as its digest (controller/diffbase.py)
        settings.persistence.diffbase_storage = diffbase.DigestingDiffBaseStorage(prefix=diffbase.PREFIX)
        settings.persistence.finalizer = monitors.FINALIZER
        settings.posting.level = logging.WARNING
        # Only the drift-check pods are listed and watched (server-side), never every pod.
        settings.watching.label_selectors["", "v1", "pods"] = CHECK_POD_SELECTOR

    @kopf.on.resume(*RESOURCE, registry=registry)
    @kopf.on.create(*RESOURCE, registry=registry)
    @kopf.on.update(*RESOURCE, registry=registry)
    def reconcile_monitor(body: kopf.Body, patch: kopf.Patch, retry: int, reason: str, **_: Any) -> None:
        controller.reconcile(dict(body), patch, retry=retry, created=reason == kopf.Reason.CREATE)

    @kopf.on.event(*RESOURCE, registry=registry)
    async def observe_monitor(event: kopf.RawEvent, body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
        # In the loop when the event needs no API request (most do); in a thread otherwise.
        kind = event.get("type")
        # added: an ADDED event, or a listed object (kopf's list at start carries no type)
        rest = controller.observe_in_loop(dict(body), patch, deleted=kind == "DELETED", added=kind in (None, "ADDED"))
        if rest is not None:
            await asyncio.to_thread(rest)

    # A cron slot of a retraining schedule is no watch event: such monitors' triggers are asked on a timer too.
    @kopf.timer(
        *RESOURCE,
        interval=min(60.0, settings.retraining_poll_seconds * 4),
        when=retraining.scheduled,
        registry=registry,
    )
    def monitor_schedule_tick(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
        retrainings.evaluate_triggers(dict(body), patch)

    @kopf.on.event(api.GROUP, api.VERSION, "retrainingjobs", registry=registry)
    def index_retraining_job(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        """Every RetrainingJob's status into the metrics' index (its phase and rollout series)."""
        metrics.statuses.observe_retraining_job(dict(body), deleted=event.get("type") == "DELETED")

    @kopf.on.event(
        "batch", "v1", "jobs", labels={LABEL_MONITOR: kopf.PRESENT, LABEL_COMPONENT: "drift-check"}, registry=registry
    )
    def observe_check_job(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        """A finished drift-check Job's verdict onto its monitor's CheckFailed condition."""
        if event.get("type") != "DELETED":
            check_jobs.observe_check_job(dict(body), monitor=body.metadata.labels[LABEL_MONITOR])

    @kopf.on.event(
        "", "v1", "pods", labels={LABEL_MONITOR: kopf.PRESENT, LABEL_COMPONENT: "drift-check"}, registry=registry
    )
    def observe_check_pod(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        """A drift-check pod stuck on its image or configuration: its monitor's Ready False, at once."""
        if event.get("type") != "DELETED":
            check_pods.observe_check_pod(dict(body), monitor=body.metadata.labels[LABEL_MONITOR])

    @kopf.on.event("batch", "v1", "cronjobs", labels={LABEL_MONITOR: kopf.PRESENT}, registry=registry)
    async def restore_child(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        """A deleted drift-check CronJob is recreated at once (level-triggered repair).

        Async so that the other events of every CronJob (its creation, each run) return in the
        event loop: a sync handler costs kopf a hop to a worker thread per event."""
        if event.get("type") == "DELETED":
            namespace, monitor = str(body.metadata.namespace), body.metadata.labels[LABEL_MONITOR]
            await asyncio.to_thread(controller.restore_child, namespace, monitor)
