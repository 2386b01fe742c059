"""The ModelMonitor's reconciler: what its kopf handlers (controller/handlers.py) hand over to.

- ``reconcile``: the children (drift-check CronJob and its RBAC) and the Ready condition;
- ``observe``: every watch event: its status into the metrics' index (the series served from
  status), then the status it calls for (health from a new check, alerts), planned by
  policies/monitor_status.py, written once onto the version it was planned from, then told
  (metrics, Events, notifications); check-now; acks; then the retraining triggers;
- ``restore_child``: a deleted drift-check CronJob is recreated at once.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import kopf
import kubernetes

from modelmon import timestamps
from modelmon.conditions import ConditionType, MonitorReason
from modelmon.controller import alerting, diffbase, reconcile
from modelmon.controller.monitor_reads import read_status
from modelmon.controller.retraining import RetrainingController, triggers_may_act
from modelmon.k8s import errors, events, objects, status_writes
from modelmon.manifests import checkjob
from modelmon.metrics import OperatorMetrics
from modelmon.policies import active_model, alert_state, alert_updates, check_pods, monitor_status
from modelmon.policies import conditions as cond
from modelmon.policies import monitor_state
from modelmon.policies.monitor_state import MonitorState
from modelmon.settings import OperatorSettings

log = logging.getLogger(__name__)

#: kopf's finalizer on our objects (controller/handlers.py sets it).
FINALIZER = "modelmon.io/finalizer"


class _NotPlanned:
    """``observe`` was not handed a plan: it makes its own."""


NOT_PLANNED = _NotPlanned()
Planned = monitor_status.EventPlan | None | _NotPlanned


class _NotRead:
    """``observe`` was not handed the parsed monitor: it reads its own."""


NOT_READ = _NotRead()
#: The monitor parsed once per event (None: its status is unreadable, logged, nothing planned).
Read = MonitorState | None | _NotRead


class MonitorController:
    def __init__(
        self,
        *,
        settings: OperatorSettings,
        metrics: OperatorMetrics,
        alerts: alerting.MonitorAlerts,
        retrainings: RetrainingController,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.alerts = alerts
        self.retrainings = retrainings

    # --- children --------------------------------------------------------------------------

    def reconcile(self, raw: dict[str, Any], patch: kopf.Patch, *, retry: int, created: bool = False) -> None:
        """Apply the children, then tell Ready (or why not): on creation in ``patch.status``, else onto
        the version planned from. A spec that cannot work is permanent; a transient API error is
        retried with backoff."""
        # None: the status cannot be read (logged); the children are still reconciled, Ready is not written.
        monitor = read_status(raw, what="reconcile")
        try:
            spec = reconcile.parse(raw)
            outcome = reconcile.reconcile_children(raw, self.settings, spec=spec)
        except reconcile.InvalidSpec as error:
            patch.status.update(_ready(monitor, ok=False, reason=MonitorReason.INVALID_SPEC, message=str(error)))
            events.post_event(body=raw, type="Warning", reason=MonitorReason.INVALID_SPEC.value, message=str(error))
            raise kopf.PermanentError(str(error)) from error
        except kubernetes.client.ApiException as error:
            if errors.is_temporary(error):
                delay = backoff_seconds(retry)
                raise kopf.TemporaryError(
                    f"API error {error.status} {error.reason}; retrying in {delay:.0f}s", delay=delay
                ) from error
            message = f"cannot apply children: {errors.api_message(error)}"
            patch.status.update(_ready(monitor, ok=False, reason=MonitorReason.RECONCILE_FAILED, message=message))
            events.post_event(body=raw, type="Warning", reason=MonitorReason.RECONCILE_FAILED.value, message=message)
            raise kopf.PermanentError(message) from error
        missing = reconcile.missing_env_secrets(raw, spec)
        if missing:
            # Not Ready: the check pod could not start. Retried, so creating the Secret is enough.
            message = "; ".join(missing)
            said = (
                None if monitor is None else cond.find_condition(monitor.status.conditions, ConditionType.READY.value)
            )
            patch.status.update(_ready(monitor, ok=False, reason=MonitorReason.MISSING_SECRET, message=message))
            if said is None or said.message != message:
                events.post_event(body=raw, type="Warning", reason=MonitorReason.MISSING_SECRET.value, message=message)
            raise kopf.TemporaryError(message, delay=60)
        changed = ", ".join(f"{kind} {what}" for kind, what in outcome.items() if what != "unchanged")
        if monitor is None:
            return
        if created:  # kopf's patch: a new monitor's one status write (observe's first alert record rides along)
            patch.status.update(self._told_ready(raw, monitor, changed=changed))
            return

        # Written onto the version the Ready was planned from, planned again on a fresh read after a conflict:
        # a check pod's verdict (Ready False, ImagePullFailed) stored since kopf read this body must not be
        # overwritten by a Ready True planned without it.
        def planned(fresh: dict[str, Any]) -> dict[str, Any] | None:
            if fresh["metadata"].get("generation") != raw["metadata"].get("generation"):
                return None  # a newer spec: its own reconcile tells Ready
            state = read_status(fresh, what="reconcile")
            return self._told_ready(raw, state, changed=changed) if state is not None else None

        meta = raw["metadata"]
        status_writes.update_status(status_writes.MONITORS, meta["namespace"], meta["name"], planned, body=raw)

    def _told_ready(self, raw: dict[str, Any], monitor: MonitorState, *, changed: str) -> dict[str, Any]:
        """The status patch of Ready (and ActiveModel) after the children were applied."""
        held = check_pods.holds_ready(monitor)
        if held is None:
            ready = _ready(monitor, ok=True, reason=MonitorReason.RECONCILED, message=changed or "children up to date")
        else:  # the same spec's check pod cannot start: a resume or an annotation change does not hide it
            ready = _ready(monitor, ok=False, reason=MonitorReason(held.reason), message=held.message)
        # a spec change may override the active model (or stop doing so): ActiveModel says which one wins
        told = active_model.plan_condition(
            spec=raw.get("spec") or {},
            active=monitor.status.active_model,
            conditions=monitor_state.applied(monitor, ready).get("conditions"),
            generation=monitor.generation,
            now=timestamps.format_time(timestamps.now()),
        )
        return {**ready, **({"conditions": told} if told is not None else {})}

    def restore_child(self, namespace: str, monitor: str) -> None:
        try:
            owner = objects.get_monitor(namespace, monitor)
        except kubernetes.client.ApiException:
            return  # unreadable now: the next event of the CronJob or the monitor repairs it
        if owner is None or owner.get("metadata", {}).get("deletionTimestamp"):
            return  # the monitor is gone: the garbage collector removes the rest
        try:
            reconcile.reconcile_children(owner, self.settings)
        except (reconcile.InvalidSpec, kubernetes.client.ApiException) as error:
            log.warning("could not restore children of %s/%s: %s", namespace, monitor, error)

    # --- watch events ----------------------------------------------------------------------

    def observe(
        self,
        raw: dict[str, Any],
        patch: kopf.Patch,
        *,
        deleted: bool,
        added: bool = False,
        monitor: Read = NOT_READ,
        plan: Planned = NOT_PLANNED,
    ) -> None:
        """``added``: the object's ADDED event or its listing (kopf runs its whole handling on it);
        ``monitor`` and ``plan``: what ``observe_in_loop`` already read and planned of this event."""
        meta = raw["metadata"]
        self.metrics.statuses.observe_monitor(raw, deleted=deleted)  # the series served from status
        if deleted:
            self.metrics.forget(namespace=meta["namespace"], monitor=meta["name"])
            self.alerts.forget(meta["namespace"], meta["name"])
            return
        try:
            self._observe(raw, patch, monitor, plan, added=added)
        finally:
            if not meta.get("deletionTimestamp"):
                self.retrainings.evaluate_triggers(raw, patch)

    def observe_in_loop(
        self, raw: dict[str, Any], patch: kopf.Patch, *, deleted: bool, added: bool = False
    ) -> Callable[[], None] | None:
        """``observe`` in the calling thread (kopf's event loop) when the event calls for no API
        request, as most do (kopf's own patches, status written by others): None once done.
        Otherwise nothing is done and the rest is returned, to run in a worker thread.

        kopf hands every event to a sync handler through its thread pool; at scale that hop
        cost more than the handler (bench/operator_scale.py)."""
        meta = raw["metadata"]
        annotations = meta.get("annotations") or {}
        rest = functools.partial(self.observe, raw, patch, deleted=deleted, added=added)
        if deleted or meta.get("deletionTimestamp") or reconcile.CHECK_NOW in annotations:
            return rest
        if triggers_may_act(raw):
            return rest  # the triggers list the monitor's RetrainingJobs
        monitor = read_status(raw, what="watch event")
        if monitor is None:
            return None  # logged: nothing to plan, nothing to write (the triggers had nothing to do)
        plan = monitor_status.plan_event(monitor, policy=self.alerts.policy(raw), now=time.time())
        if plan is not None and _first_record(raw, plan, added=added) is None:
            return functools.partial(self.observe, raw, patch, deleted=deleted, added=added, monitor=monitor, plan=plan)
        self.observe(raw, patch, deleted=False, added=added, monitor=monitor, plan=plan)
        return None

    def _observe(self, raw: dict[str, Any], patch: kopf.Patch, monitor: Read, plan: Planned, *, added: bool) -> None:
        if isinstance(monitor, _NotRead):
            monitor = read_status(raw, what="watch event")
        if monitor is None:
            return  # logged: an unreadable status is neither planned nor written
        if isinstance(plan, _NotPlanned):
            plan = monitor_status.plan_event(monitor, policy=self.alerts.policy(raw), now=time.time())
        if plan is not None:
            first = _first_record(raw, plan, added=added)
            if first == "with kopf's patch":
                patch.status.update(plan.patch)
            if first is not None:
                return
            # Written once, onto the version it was planned from; a newer event plans again.
            meta = raw["metadata"]
            if status_writes.write_monitor_status(
                meta["namespace"], meta["name"], plan.patch, resource_version=meta["resourceVersion"]
            ):
                self._tell(raw, plan)
            return
        if reconcile.CHECK_NOW in (raw["metadata"].get("annotations") or {}):
            self._check_now(raw, patch)
        cleaned = alert_updates.ack_cleanup(monitor)
        if cleaned is not None:
            patch.metadata.annotations[alert_state.ACK_ANNOTATION] = cleaned or None

    def _tell(self, raw: dict[str, Any], plan: monitor_status.EventPlan) -> None:
        """Metrics, Events and notifications of a stored plan (only then: a stale event never tells twice)."""
        namespace, name = plan.monitor.namespace, plan.monitor.name
        if plan.check is not None:  # metrics first: they are local and instant, Events are API calls
            self.metrics.record_check(namespace=namespace, monitor=name, last_check=plan.monitor.stored["lastCheck"])
            for note in plan.check.assessment.events:
                events.post_event(body=raw, type=note.type, reason=note.reason, message=note.message)
        if plan.alerts is not None:
            # Messages quote health and scores from the body: give them the status just written.
            self.alerts.announce(plan.alerts, body={**raw, "status": plan.status})

    def _check_now(self, raw: dict[str, Any], patch: kopf.Patch) -> None:
        try:
            job = reconcile.start_check_now(raw, self.settings)
            events.post_event(body=raw, type="Normal", reason="CheckStarted", message=f"started Job {job}")
        except reconcile.InvalidSpec as error:
            events.post_event(
                body=raw, type="Warning", reason=MonitorReason.INVALID_SPEC.value, message=f"check-now ignored: {error}"
            )
        except kubernetes.client.ApiException as error:
            log.warning("check-now for %s failed: %s", raw["metadata"]["name"], error.status)
            return  # keep the annotation: the next event retries
        patch.metadata.annotations[reconcile.CHECK_NOW] = None


def _first_record(body: dict[str, Any], plan: monitor_status.EventPlan, *, added: bool) -> str | None:
    """How a new monitor's first alert record is written, before Ready ever was; None: as any
    other plan, on the version it was planned from.

    On the ADDED event (or the object's listing) it goes with kopf's patch of this event (Ready, or the finalizer first):
    one status write instead of two. Once kopf has handled the monitor (its diff base stored),
    that patch is on its way and the event that brings it follows: "skip". Any other event
    must not add to kopf's patch: kopf applies a patch made on an event older than its own last
    one at once and skips the reconciler, so a patch on each such event would hold Ready back."""
    ready = cond.find_condition(plan.monitor.status.conditions, ConditionType.READY.value) is not None
    if ready or not monitor_status.is_first_alert_record(plan.monitor, plan):
        return None
    if added:
        # Not when kopf adds its finalizer on this event (a monitor with a retraining schedule has
        # a timer, controller/retraining.py): kopf then merges the status first and adds the
        # finalizer by a JSON patch on the version it saw, which the status write made stale, and
        # the monitor stayed without finalizer and Ready until another event.
        finalizers = body["metadata"].get("finalizers") or []
        if FINALIZER in finalizers or (body.get("spec") or {}).get("retraining") is None:
            return "with kopf's patch"
        return None
    return "skip" if diffbase.is_handled(body) else None


def _ready(monitor: MonitorState | None, *, ok: bool, reason: MonitorReason, message: str) -> dict[str, Any]:
    """Ready's status patch; empty when the status cannot be read (logged by ``read_status``)."""
    if monitor is None:
        return {}
    return monitor_status.ready_status(
        monitor,
        ok=ok,
        reason=reason,
        message=message,
        cronjob=checkjob.cronjob_name(monitor.name),
        now=timestamps.format_time(timestamps.now()),
    )


def backoff_seconds(retry: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff for transient API errors: 2, 4, 8, ... seconds, at most 5 minutes."""
    return float(min(cap, base * 2 ** min(retry, 16)))
