"""The RetrainingJob's one reconciler, and the monitors' retraining triggers.

RetrainingJob: one event handler and one timer, under one lock per RetrainingJob. Training
and validation: every watch event (status changes included) and, while active, the timer
run :func:`reconcile_retraining_job`: observe (monitor, Job, pods, the training queue), plan
one step with :func:`modelmon.policies.retraining_job.plan_step`, apply it (create/delete
the Job, patch status, post the Event, mirror the state into the monitor's
``status.retraining``). Events of training Jobs wake their RetrainingJob at once. The timer
(and so kopf's finalizer) serves active RetrainingJobs only: the queue needs a tick when a
slot frees elsewhere.

RollingOut: the timer ticks the rollout (controller/rollout.py), and so does an event that
carries a manual annotation.

ModelMonitor: each event and, on monitors with a retraining schedule, a timer (both its handlers
are in controller/handlers.py) evaluate the
trigger policy (:mod:`modelmon.policies.retraining_triggers`) and start a RetrainingJob when it says so.

Admission to the training queue is serialised in this process (one active operator replica,
by peering): list, decide and create the Job under one lock, so two RetrainingJobs cannot take
the same slot. The running count comes from the live Jobs, so a restart loses nothing.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
from typing import Any

import kopf
import kubernetes
import urllib3
import pydantic

from modelmon import timestamps
from modelmon.api import errors as api_errors
from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as api
from modelmon.api.status import ModelMonitorStatus
from modelmon.conditions import RetrainingPhase as Phase
from modelmon.conditions import MonitorReason, RetrainingReason
from modelmon.controller import rollout as rollouts
from modelmon.controller.locks import ObjectLocks
from modelmon.k8s import client, errors, events, objects, status_writes
from modelmon.k8s import retraining as k8s
from modelmon.manifests import training
from modelmon.metrics import OperatorMetrics
from modelmon.policies import retraining_triggers as triggers
from modelmon.policies import active_model, retraining_history, retraining_job, training_accounts, training_queue, undo
from modelmon.settings import OperatorSettings

log = logging.getLogger(__name__)
RTJ = (monitor_api.GROUP, monitor_api.VERSION, api.PLURAL)
#: Phases that hold a training slot or their monitor's turn (StrEnum members: a stored word is found too).
_HOLDING = frozenset({Phase.TRAINING, Phase.VALIDATING})
#: The fields of a monitor's status a promotion reads.
_PROMOTION_READS = ("activeModel", "previousModels", "conditions")
#: Phases stepped by the training controller (RollingOut is ticked by the rollout's).
_STEPPED = frozenset({Phase.PENDING, Phase.TRAINING, Phase.VALIDATING})


def triggers_may_act(body: dict[str, Any]) -> bool:
    """Whether the retraining triggers have anything to look at (and then API requests to make):
    a retraining policy, or an annotation asking for a retraining or an undo. The monitor's
    event handler asks it to know whether an event can be handled without leaving kopf's loop."""
    annotations = body["metadata"].get("annotations") or {}
    retraining = (body.get("spec") or {}).get("retraining")
    return retraining is not None or api.RETRAIN_NOW in annotations or api.UNDO in annotations


class RetrainingController:
    def __init__(self, *, settings: OperatorSettings, metrics: OperatorMetrics, locks: ObjectLocks) -> None:
        self.settings = settings
        self.metrics = metrics
        self.locks = locks
        #: Admission to the training queue: decide and create the Job under one lock.
        self.admission = threading.Lock()

    # --- RetrainingJob ------------------------------------------------------------------------

    def reconcile_retraining_job(self, namespace: str, name: str) -> None:
        """Run steps of one RetrainingJob until it needs to wait for something outside; when it
        gives up its training slot, the head of the queue is served at once (not at its next tick)."""
        freed = False
        with self.locks.of(namespace, name):
            for _ in range(6):  # each step is one phase change; the next may follow at once
                body = objects.get_retraining_job(namespace, name)
                if body is None or body["metadata"].get("deletionTimestamp"):
                    break
                before = k8s.stored_phase(body)
                step = self._step(body)
                if step is None:
                    break
                freed = freed or (before in _HOLDING and step not in _HOLDING)
        if freed:  # outside this RetrainingJob's lock: the next takes its own
            self.serve_queue()

    def serve_queue(self) -> None:
        """Step the RetrainingJobs the queue would admit now."""
        items = k8s.list_retraining_jobs(self.settings.namespaces)
        running = k8s.running_training_jobs(self.settings.namespaces)
        for job in training_queue.admitted(pending=k8s.queued(items), running=running,
                                           limit=self.settings.max_training_jobs, busy=k8s.busy_monitors(items)):
            try:
                self.reconcile_retraining_job(job.namespace, job.name)
            except kubernetes.client.ApiException as error:  # its own timer retries
                log.warning("serving %s/%s from the queue failed: %s", job.namespace, job.name, error.status)

    def _step(self, body: dict[str, Any]) -> str | None:
        """One step; returns the new phase when the phase changed (so another step may follow)."""
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        try:  # parsed once; the planner reads the typed status
            status = api.RetrainingJobStatus.model_validate(body.get("status") or {})
        except pydantic.ValidationError as error:
            # the CRD schema is generated from the same model, so only a hand edit gets here; a guess could
            # fail or restart a training, so the RetrainingJob waits for a person
            log.error("RetrainingJob %s/%s: its status is unreadable, it waits (fix or remove it): %s", namespace,
                      name, api_errors.describe(error, prefix="status"))
            return None
        spec, spec_error = _parse(body)
        monitor_name = ((body.get("spec") or {}).get("monitorRef") or {}).get("name")
        monitor = objects.get_monitor(namespace, monitor_name) if monitor_name else None
        job_name = status.job_name or training.job_name(name)
        job = k8s.observe_job(namespace, job_name)
        stamp = timestamps.format_time(timestamps.now())

        def plan(admitted: bool, note: str = "") -> retraining_job.Step:
            observed = retraining_job.Observed(monitor=monitor, job=job, admitted=admitted, queue_note=note)
            return retraining_job.plan_step(spec=spec, spec_error=spec_error, status=status, job_name=job_name,
                                            generation=meta.get("generation"), observed=observed, now=stamp)
        step = plan(False)
        if step.phase is None and status.phase == Phase.PENDING.value and spec is not None and job is None:
            with self.admission:  # decide and create under one lock: no two jobs take one slot
                admitted, note = self._admission(namespace, name, spec.monitor_ref.name)
                step = plan(admitted, note)
                if step.create_job:
                    step = self._create_job(body, spec, step, status=status, stamp=stamp)
                written = self._apply(body, step, status=status, monitor=monitor)
        else:
            written = self._apply(body, step, status=status, monitor=monitor)
        if not written:  # planned on a version that moved on: read it again and plan again
            return str(status.phase or Phase.PENDING.value)
        return step.phase if step.event else None

    def _admission(self, namespace: str, name: str, monitor: str) -> tuple[bool, str]:
        items = k8s.list_retraining_jobs(self.settings.namespaces)
        pending = k8s.queued(items)
        busy = k8s.busy_monitors(items)
        running = k8s.running_training_jobs(self.settings.namespaces)
        limit = self.settings.max_training_jobs
        chosen = [j.key for j in training_queue.admitted(pending=pending, running=running, limit=limit, busy=busy)]
        if (namespace, monitor) in busy:
            return False, f"RetrainingJob {busy[(namespace, monitor)]} of the same monitor is still active"
        place = training_queue.position((namespace, name), pending=pending)
        note = f"{running} of {limit} training Jobs running; place {place} of {len(pending)} in the queue"
        return (namespace, name) in chosen, note

    def _create_job(self, body: dict[str, Any], spec: api.RetrainingJobSpec, step: retraining_job.Step, *,
                    status: api.RetrainingJobStatus, stamp: str) -> retraining_job.Step:
        meta = body["metadata"]
        manifest = training.build_training_job(
            name=meta["name"], namespace=meta["namespace"], uid=meta["uid"], spec=spec,
            parent_version=status.lineage.parent_version if status.lineage is not None else None,
            active_deadline_seconds=self.settings.training_active_deadline_seconds,
            backoff_limit=self.settings.training_backoff_limit)
        account = training_accounts.requested_account(manifest["spec"]["template"].get("spec") or {})
        refused = training_accounts.refusal(account, meta["namespace"],
                                            _account_annotations(meta["namespace"], account))
        if refused:
            return retraining_job.finish(
                status, generation=meta.get("generation"), now=stamp, phase=Phase.FAILED,
                reason=RetrainingReason.SERVICE_ACCOUNT_NOT_ALLOWED, message=refused)
        try:
            k8s.create_job(manifest, owner_uid=meta["uid"])
        except kubernetes.client.ApiException as error:
            if errors.is_temporary(error) and "belongs to someone else" not in str(error.reason):
                raise kopf.TemporaryError(f"creating the training Job: {error.status} {error.reason}", delay=10) \
                    from error
            return retraining_job.finish(
                status, generation=meta.get("generation"), now=stamp, phase=Phase.FAILED, reason=RetrainingReason.JOB_REJECTED,
                message=f"the training Job cannot be created (fix spec.jobTemplate): {_api_message(error)}")
        return step

    def _apply(self, body: dict[str, Any], step: retraining_job.Step, *, status: api.RetrainingJobStatus,
               monitor: dict[str, Any] | None) -> bool:
        """False when the status write found the RetrainingJob changed since it was read: nothing is told."""
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        after = _merged(status, step.status)
        if step.delete_job:
            k8s.delete_job(namespace, after.job_name or training.job_name(name))
        if step.status and not status_writes.write_retraining_job_status(
                namespace, name, step.status, resource_version=meta["resourceVersion"]):
            log.info("RetrainingJob %s/%s changed while its step was planned; it is planned again", namespace, name)
            return False
        phase = after.phase.value if after.phase is not None else None
        if step.event:
            kind, reason, message = step.event
            events.post_event(body=body, type=kind, reason=reason, message=message)
        # recorded on every step, so a restarted operator's gauge is complete after the first tick
        self.metrics.record_retraining(namespace=namespace, name=name, phase=phase,
                                       finished=bool(step.event) and phase in api.FINISHED_PHASES)
        self._mirror(body, after, monitor=monitor)
        return True

    def _mirror(self, body: dict[str, Any], status: api.RetrainingJobStatus, *,
                monitor: dict[str, Any] | None) -> None:
        """The monitor's ``status.retraining.active``/``last`` told from this RetrainingJob's status."""
        if monitor is None:
            return
        meta = body["metadata"]
        self._promote(body, status, monitor=monitor)

        def view(fresh: dict[str, Any]) -> dict[str, Any] | None:
            memory, unreadable = read_memory(fresh)
            if unreadable:  # told, not guessed: a patch planned on a guess could lose what the monitor holds
                log.error("ModelMonitor %s/%s: RetrainingJob %s is not mirrored into it: %s", meta["namespace"],
                          monitor["metadata"]["name"], meta["name"], unreadable)
                return None
            patch = retraining_job.monitor_view(
                name=meta["name"], spec_reason=(body.get("spec") or {}).get("reason"), status=status,
                created=meta.get("creationTimestamp"), monitor_retraining=memory)
            return {"retraining": patch} if patch else None
        status_writes.update_status(status_writes.MONITORS, meta["namespace"], monitor["metadata"]["name"], view,
                                    body=monitor)

    def _promote(self, body: dict[str, Any], status: api.RetrainingJobStatus, *, monitor: dict[str, Any]) -> None:
        """A rollout that succeeded makes its model the monitor's active model (policies/active_model.py);
        planned on a fresh read and written onto that version, retried on a conflict."""
        if status.phase != Phase.SUCCEEDED:
            return  # the common case, every training step: no spec parse, no plan
        meta = body["metadata"]
        spec, _ = _parse(body)
        restore = spec.restore if spec is not None else None
        planned: list[active_model.Promotion] = []

        def promotion(fresh: dict[str, Any]) -> dict[str, Any] | None:
            models, unreadable = read_models(fresh)
            if models is None:
                log.error("ModelMonitor %s/%s: RetrainingJob %s's model is not promoted: %s", meta["namespace"],
                          monitor["metadata"]["name"], meta["name"], unreadable)
                return None
            plan = active_model.plan_promotion(
                retraining_job=meta["name"], rtj_status=status, restore=restore, spec=fresh.get("spec") or {},
                active=models.active_model, previous=models.previous_models,
                conditions=(fresh.get("status") or {}).get("conditions"),
                generation=fresh["metadata"].get("generation"), now=timestamps.format_time(timestamps.now()))
            planned[:] = [plan] if plan is not None else []
            return plan.status if plan is not None else None
        written = status_writes.update_status(status_writes.MONITORS, meta["namespace"], monitor["metadata"]["name"],
                                              promotion, body=monitor)
        if written is not None:
            events.post_event(body=written[0], type="Normal", reason=MonitorReason.PROMOTED.value,
                              message=planned[0].message)

    def forget_retraining_job(self, body: dict[str, Any]) -> None:
        """A deleted RetrainingJob: an active one's Job is deleted at once (the garbage collector would too,
        later) and the monitor told; a finished one's Job runs nothing, so the garbage collector removes it."""
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        self.metrics.record_retraining(namespace=namespace, name=name, phase=None)
        self.locks.forget(namespace, name)
        try:
            status = api.RetrainingJobStatus.model_validate(body.get("status") or {})
        except pydantic.ValidationError as error:
            # whether it was active is unknown: its Job is left to the garbage collector, the monitor to its
            # next event, rather than told a guess
            log.error("RetrainingJob %s/%s was deleted with an unreadable status; its Job is left to the garbage "
                      "collector: %s", namespace, name, api_errors.describe(error, prefix="status"))
            return
        phase = status.phase or Phase.PENDING
        if phase.value not in api.ACTIVE_PHASES:  # a finished Job is left to the GC
            return
        k8s.delete_job(namespace, status.job_name or training.job_name(name))
        if phase in _HOLDING:
            self.serve_queue()
        monitor_name = ((body.get("spec") or {}).get("monitorRef") or {}).get("name")
        monitor = objects.get_monitor(namespace, monitor_name) if monitor_name else None
        if monitor is None:
            return
        cancelled = status.model_copy(update={
            "phase": Phase.CANCELLED, "completion_time": timestamps.format_time(timestamps.now()),
            "message": f"deleted while {phase.value}; its training Job was stopped"})
        self._mirror(body, cancelled, monitor=monitor)

    # --- ModelMonitor -------------------------------------------------------------------------

    def evaluate_triggers(self, body: dict[str, Any], patch: kopf.Patch) -> None:
        """The monitor's retraining triggers (policies/retraining_triggers.py): its memory and models read once,
        the plan, the RetrainingJob it starts (or the undo asked for), the memory written, a served
        ``modelmon.io/retrain-now`` removed."""
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        raw_spec = (body.get("spec") or {}).get("retraining")
        annotations = dict(meta.get("annotations") or {})
        if not triggers_may_act(body):
            return
        memory, unreadable = read_memory(body)
        if unreadable:  # nothing started, consumed or remembered on a guess
            log.error("ModelMonitor %s/%s: its retraining triggers wait: %s", namespace, name, unreadable)
            return
        try:
            spec = api.RetrainingSpec.model_validate(raw_spec) if raw_spec is not None else None
        except pydantic.ValidationError as error:
            return self._note(body, f"spec.retraining is invalid: "
                                           f"{api_errors.describe(error, prefix='spec.retraining')}")
        deployment = (((body.get("spec") or {}).get("model") or {}).get("deploymentRef") or {}).get("name")
        untargeted = spec.template.untargeted(deployment=deployment) if spec and spec.template else None
        if untargeted:
            return self._note(body, f"spec.retraining is invalid: {untargeted}")
        models, unreadable = read_models(body)
        if models is None:  # the cooldown runs from the active model's promotion: not guessed
            log.error("ModelMonitor %s/%s: its retraining triggers wait: %s", namespace, name, unreadable)
            return
        promoted = models.active_model.promoted_at if models.active_model is not None else None
        moment = timestamps.now()
        items = k8s.list_for_monitor(namespace, name)
        if spec is not None:
            self._prune_history(body, spec, items)
        active = k8s.active_names(items)
        if api.UNDO in annotations:
            active += self._undo(body, spec, patch, active=active, deployment=deployment)
        plan = triggers.plan_monitor(spec=spec, memory=memory, last_check=(body.get("status") or {}).get("lastCheck"),
                                     promoted_at=promoted, annotations=annotations, active=active,
                                     created=timestamps.parse_time(meta.get("creationTimestamp")) or moment, now=moment)
        decision, update = plan.decision, plan.memory
        if decision.create and spec is not None and spec.template is not None:
            update = self._start(body, spec.template, plan, deployment=deployment, now=moment)
        elif decision.consume_annotation:
            events.post_event(body=body, type="Warning", reason="RetrainNowIgnored", message=decision.why)
        if not self._remember(body, memory, update, started=decision.create):
            return
        if decision.consume_annotation:
            patch.metadata.annotations[api.RETRAIN_NOW] = None

    def _start(self, body: dict[str, Any], template: api.RetrainingTemplate, plan: triggers.MonitorPlan, *,
               deployment: str | None, now: datetime.datetime) -> dict[str, Any]:
        """Create the RetrainingJob the triggers decided on; returns the memory that records its start."""
        meta, decision = body["metadata"], plan.decision
        name = meta["name"]
        rtj = training.build_retraining_job(
            monitor=name, namespace=meta["namespace"], uid=meta["uid"], template=template,
            name=training.retraining_job_name(name, uid=meta["uid"], key=str(decision.key)),
            reason=str(decision.reason), priority=str(decision.priority), trigger=triggers.record(decision),
            deployment=deployment)
        started = rtj["metadata"]["name"]
        if k8s.create_retraining_job(rtj):
            events.post_event(body=body, type="Normal", reason="RetrainingStarted",
                              message=f"RetrainingJob {started} ({decision.reason}, {decision.priority} priority): "
                                      f"{decision.why}")
        return triggers.started(plan, name=started, now=now)

    def _remember(self, body: dict[str, Any], memory: api.MonitorRetrainingStatus | None, update: dict[str, Any], *,
                  started: bool) -> bool:
        """Write the fields of the monitor's ``status.retraining`` this evaluation changed; False when the
        monitor changed meanwhile (the next event decides)."""
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        changed = triggers.changed_fields(memory, update)
        if not changed:
            return True
        # Watch events can carry a copy older than this handler's last write, so the memory is
        # written only onto the version it was computed from (a stale copy gets a 409 and a
        # fresher event decides) -- except after a start: the RetrainingJob exists, so its start
        # is recorded whatever else changed meanwhile (its own first status change, typically),
        # planned again on a fresh read.
        # A repeat from a stale copy names the same RetrainingJob (deterministic name): no second one.
        if started:
            def remember(fresh: dict[str, Any]) -> dict[str, Any] | None:
                held, unreadable = read_memory(fresh)
                if unreadable:
                    log.error("ModelMonitor %s/%s: the start of a RetrainingJob is not remembered: %s", namespace,
                              name, unreadable)
                    return None
                fields = triggers.changed_fields(held, update)
                return {"retraining": fields} if fields else None
            status_writes.update_status(status_writes.MONITORS, namespace, name, remember, body=body)
            return True
        if status_writes.write_monitor_status(namespace, name, {"retraining": changed},
                                              resource_version=meta["resourceVersion"]):
            return True
        log.info("monitor %s/%s changed while its triggers were evaluated; the next event decides", namespace, name)
        return False

    def _undo(self, body: dict[str, Any], spec: api.RetrainingSpec | None, patch: kopf.Patch, *, active: list[str],
              deployment: str | None) -> list[str]:
        """Serve ``modelmon.io/undo`` (policies/undo.py); returns the RetrainingJob it started, if any."""
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        template = spec.template if spec is not None else None
        problem = None if template is not None and template.rollout is not None else \
            "the monitor has no spec.retraining.template.rollout to roll the previous model out with"
        decision = undo.plan_undo(token=str(meta["annotations"][api.UNDO]), status=body.get("status"), active=active,
                                  rollout_problem=problem)
        started: list[str] = []
        if decision.create and template is not None:
            rtj = training.build_retraining_job(
                monitor=name, namespace=namespace, uid=meta["uid"], template=template, reason="undo", priority="high",
                name=training.retraining_job_name(name, uid=meta["uid"], key=str(decision.key), kind="undo"),
                trigger=api.TriggerRecord(message=decision.why), deployment=deployment, restore=decision.restore)
            if k8s.create_retraining_job(rtj):
                events.post_event(body=body, type="Normal", reason="UndoStarted",
                                  message=f"RetrainingJob {rtj['metadata']['name']}: {decision.why}")
            started.append(rtj["metadata"]["name"])
        elif decision.consume_annotation:
            events.post_event(body=body, type="Warning", reason="UndoIgnored", message=decision.why)
        if decision.consume_annotation:
            patch.metadata.annotations[api.UNDO] = None
        return started

    def _prune_history(self, body: dict[str, Any], spec: api.RetrainingSpec, items: list[k8s.ListedJob]) -> None:
        """Delete the monitor's finished RetrainingJobs beyond its history limits (their Jobs follow by the GC)."""
        meta = body["metadata"]
        plan = retraining_history.plan_history(jobs=k8s.past_jobs(items, monitor_uid=meta["uid"]),
                                               successful_limit=spec.successful_jobs_history_limit,
                                               failed_limit=spec.failed_jobs_history_limit)
        if not plan.delete:
            return
        for job in plan.delete:
            k8s.delete_retraining_job(meta["namespace"], job.name, uid=job.uid)
        events.post_event(body=body, type="Normal", reason="RetrainingHistoryPruned", message=plan.message)

    def _note(self, body: dict[str, Any], why: str) -> None:
        memory, _ = read_memory(body)  # unreadable: the spec's problem is told all the same
        meta = body["metadata"]
        if (memory.decision if memory else None) != why and status_writes.write_monitor_status(
                meta["namespace"], meta["name"], {"retraining": {"decision": why}},
                resource_version=meta["resourceVersion"]):
            events.post_event(body=body, type="Warning", reason="InvalidRetrainingSpec", message=why)


def _merged(status: api.RetrainingJobStatus, patch: dict[str, Any]) -> api.RetrainingJobStatus:
    """The status once the step's patch landed (its top-level fields replace the stored ones)."""
    return api.RetrainingJobStatus.model_validate(
        {**status.model_dump(by_alias=True, exclude_unset=True, mode="json"), **patch})


def read_memory(monitor: dict[str, Any]) -> tuple[api.MonitorRetrainingStatus | None, str | None]:
    """The monitor's ``status.retraining`` (the retraining memory), parsed once: (memory, None), None when it
    has none, or (None, the field that cannot be read and the fix)."""
    raw = (monitor.get("status") or {}).get("retraining")
    try:
        return (api.MonitorRetrainingStatus.model_validate(raw) if raw is not None else None), None
    except pydantic.ValidationError as error:
        return None, f"its status.retraining is unreadable (fix or remove it): " \
                     f"{api_errors.describe(error, prefix='status.retraining')}"


def read_models(monitor: dict[str, Any]) -> tuple[ModelMonitorStatus | None, str | None]:
    """The monitor's ``activeModel``, ``previousModels`` and ``conditions`` (all a promotion reads of its
    status) parsed once, the rest left out: (status holding them, None), or (None, the field that cannot
    be read and the fix). Its lastCheck, the largest part, is not parsed for it."""
    stored = monitor.get("status") or {}
    try:
        return ModelMonitorStatus.model_validate({k: stored[k] for k in _PROMOTION_READS if k in stored}), None
    except pydantic.ValidationError as error:
        return None, f"its status is unreadable (fix or remove it): {api_errors.describe(error, prefix='status')}"


def _parse(body: dict[str, Any]) -> tuple[api.RetrainingJobSpec | None, str | None]:
    try:
        return api.parse_job_spec(dict(body.get("spec") or {})), None
    except pydantic.ValidationError as error:
        return None, api_errors.describe(error).replace("`kubectl explain modelmonitor.spec`",
                                                        "`kubectl explain retrainingjob.spec`")


def _account_annotations(namespace: str, account: str) -> dict[str, str] | None:
    """The annotations of ServiceAccount ``namespace/account``; None when it does not exist."""
    if account == training_accounts.DEFAULT:
        return {}
    try:
        found = client.core().read_namespaced_service_account(account, namespace)
    except kubernetes.client.ApiException as error:
        if error.status == 404:
            return None
        if errors.is_temporary(error):
            raise kopf.TemporaryError(f"reading ServiceAccount {namespace}/{account}: {error.status}", delay=10) \
                from error
        raise
    return dict((found.metadata and found.metadata.annotations) or {})


def _api_message(error: kubernetes.client.ApiException) -> str:
    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except (ValueError, AttributeError):
        return f"{error.status} {error.reason}"


def _active(body: kopf.Body, **_: Any) -> bool:
    return (k8s.stored_phase(body) or Phase.PENDING) in _STEPPED


def _ticking(body: kopf.Body, **_: Any) -> bool:
    return _active(body) or rollouts.rolling_out(body)


def scheduled(spec: kopf.Spec, **_: Any) -> bool:
    """A monitor whose retraining has a schedule: its cron slots come on a timer, not as watch events."""
    retraining = spec.get("retraining") or {}
    return bool(retraining.get("enabled") and (retraining.get("triggers") or {}).get("schedule"))



def retry_later(error: BaseException, *, retry: int, cap: float, what: str,
                also: tuple[int, ...] = ()) -> kopf.TemporaryError | None:
    """A retry for an error worth retrying, else None: the API's temporary answers (and ``also``), and no
    answer at all (connection refused or reset while the API server restarts). The delay doubles from 1 s
    and never exceeds ``cap``, the poll interval, so a rollout's pauses and steps resume within one poll
    of the API's return (kopf's default backoff is a minute)."""
    delay = min(cap, 2.0 ** min(retry, 16))
    if isinstance(error, kubernetes.client.ApiException):
        if errors.is_temporary(error) or error.status in also:
            return kopf.TemporaryError(f"{what} {error.status} {error.reason}", delay=delay)
        return None
    if isinstance(error, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        return kopf.TemporaryError(f"{what}: the API server did not answer ({type(error).__name__})", delay=delay)
    return None


def register(registry: kopf.OperatorRegistry, *, settings: OperatorSettings,
             metrics: OperatorMetrics) -> RetrainingController:
    """The RetrainingJob's one reconciler: its event handler and its timer step the training and,
    once RollingOut, tick the rollout, under one lock per RetrainingJob. Returns the controller,
    whose :meth:`~RetrainingController.evaluate_triggers` the ModelMonitor's handlers call."""
    locks = ObjectLocks()
    controller = RetrainingController(settings=settings, metrics=metrics, locks=locks)
    rollout = rollouts.RolloutController(metrics=metrics, locks=locks)

    cap = settings.retraining_poll_seconds

    def step(namespace: str, name: str, retry: int = 0) -> None:
        try:
            controller.reconcile_retraining_job(namespace, name)
        except Exception as error:
            later = retry_later(error, retry=retry, cap=cap, what="API error")
            if later is not None:
                raise later from error
            raise

    def tick(namespace: str, name: str, retry: int = 0) -> None:
        try:
            rollout.reconcile(namespace, name)
        except Exception as error:
            # 422: the guarded patch of the target found it changed meanwhile; the next tick reads it again
            later = retry_later(error, retry=retry, cap=cap, what="rollout: API error", also=(422,))
            if later is not None:
                raise later from error
            raise

    @kopf.on.event(*RTJ, registry=registry)
    def retraining_job_event(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        namespace, name = str(body.metadata.namespace), str(body.metadata.name)
        if event.get("type") == "DELETED":
            controller.forget_retraining_job(dict(body))
            rollout.forget(namespace, name)
            return
        try:
            step(namespace, name)
        finally:  # a manual rollout annotation is acted on at once, whatever the training step said
            if rollouts.steered(body):
                tick(namespace, name)

    # Active phases are re-examined on a timer (so kopf's finalizer is only on those): training
    # and validation step by step, a rollout tick by tick.
    @kopf.timer(*RTJ, interval=settings.retraining_poll_seconds, when=_ticking, backoff=settings.retraining_poll_seconds,
                registry=registry)
    def retraining_job_tick(body: kopf.Body, **kwargs: Any) -> None:
        namespace, name, retry = str(body.metadata.namespace), str(body.metadata.name), int(kwargs.get("retry") or 0)
        if rollouts.rolling_out(body):
            tick(namespace, name, retry)
        else:
            step(namespace, name, retry)

    @kopf.on.event("batch", "v1", "jobs", labels={training.LABEL_RETRAINING_JOB: kopf.PRESENT}, registry=registry)
    def training_job_event(event: kopf.RawEvent, body: kopf.Body, **_: Any) -> None:
        if event.get("type") == "DELETED":
            return
        step(str(body.metadata.namespace), body.metadata.labels[training.LABEL_RETRAINING_JOB])

    return controller
