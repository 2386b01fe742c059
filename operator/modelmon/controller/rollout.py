"""The rollout of a RetrainingJob in phase RollingOut, one tick at a time (registered, with the
training steps, as the RetrainingJob's one reconciler in controller/retraining.py).

A tick observes (the target Deployment and its model container, the rollout's own
Deployment, the Services a blue-green rollout names, the manual annotations), takes the
analysis measurements that are due, plans with :func:`modelmon.rollout.machine.plan`, then
persists the new ``status.rollout`` first and applies the actions after: whatever must be
restored later is in status before it is changed. Events and metrics follow.

The RetrainingJob's timer ticks it while RollingOut; a manual annotation is acted on at once
through its event handler, which also restarts a finished rollout on ``modelmon.io/retry``.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import Any

import kopf
import pydantic

from modelmon import timestamps
from modelmon.api import errors as api_errors
from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as retraining_api
from modelmon.api import rollout as api
from modelmon.conditions import RetrainingPhase as Phase
from modelmon.conditions import RetrainingReason
from modelmon.controller.locks import ObjectLocks
from modelmon.k8s import events, objects, secrets, status_writes
from modelmon.k8s import retraining as retraining_k8s
from modelmon.k8s import rollout as k8s
from modelmon.manifests import rollout as manifests
from modelmon.metrics import OperatorMetrics
from modelmon.rollout import completion, handover, machine
from modelmon.rollout import observations as obs
from modelmon.metric_providers import Context, measure

log = logging.getLogger(__name__)
RTJ = (monitor_api.GROUP, monitor_api.VERSION, retraining_api.PLURAL)
#: Final phases from which a rollout is retried on ``modelmon.io/retry``.
_RETRIABLE = frozenset({Phase.ROLLED_BACK, Phase.FAILED})


class RolloutController:
    def __init__(self, *, metrics: OperatorMetrics, locks: ObjectLocks) -> None:
        self.metrics = metrics
        self.locks = locks  # the RetrainingJob's own: a tick never runs beside a training step

    def forget(self, namespace: str, name: str) -> None:
        self.metrics.forget_rollout(namespace=namespace, retrainingjob=name)

    def reconcile(self, namespace: str, name: str) -> None:
        with self.locks.of(namespace, name):
            body = objects.get_retraining_job(namespace, name)
            if body is None or body["metadata"].get("deletionTimestamp") or not _serves(body):
                return
            self._tick(body)

    def _tick(self, body: dict[str, Any]) -> None:
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        raw = (body.get("spec") or {}).get("rollout")
        moment = timestamps.now()
        try:
            spec = api.parse_spec(dict(raw or {}))
        except pydantic.ValidationError as error:
            self._invalid(body, api_errors.describe(error, prefix="spec.rollout"), now=moment)
            return
        try:  # parsed once: the planner works on the typed status and completion writes it back once
            status = retraining_api.RetrainingJobStatus.model_validate(body.get("status") or {})
        except pydantic.ValidationError as error:
            # only this operator writes it and the CRD schema (generated from the same model) prunes what
            # the model does not know: a hand edit; planning on a guess could undo a promotion, so the
            # rollout waits for a person
            log.error("RetrainingJob %s/%s: its status is unreadable, the rollout waits (fix or remove it): %s",
                      namespace, name, api_errors.describe(error, prefix="status"))
            return
        state, model = status.rollout, _model(status)
        target_body = k8s.read_deployment(namespace, spec.target_ref.name)
        observed = self._observe(body, spec, target_body, model=model)
        due = machine.due_analysis(spec=spec, state=state, now=moment)
        if due is not None:
            observed = self._measure(body, spec, observed, template=due[0], since=due[1])
        plan = machine.plan(spec=spec, state=state, observed=observed, now=moment, name=name)
        patch = completion.status_patch(status, plan, generation=meta.get("generation"), now=timestamps.format_time(moment))
        if patch and not status_writes.write_retraining_job_status(namespace, name, patch,
                                                                   resource_version=meta["resourceVersion"]):
            # nothing acted on or told: the next tick plans again on what changed (measurements are taken again)
            log.info("RetrainingJob %s/%s changed while its rollout tick was planned; the next tick plans again",
                     namespace, name)
            return
        k8s.remove_annotations(namespace, name, plan.consume)
        # told once decided and persisted: an action failing below is retried without a second Event
        for event in plan.events:
            events.post_event(body=body, type=event.type, reason=event.reason, message=event.message)
        self._apply(body, spec, target_body, plan, before=state, model=model)
        self.metrics.record_rollout(namespace=namespace, retrainingjob=name, phase=plan.state.phase,
                                    effective_weight=plan.state.effective_weight,
                                    measurements=[measurement.wire() for measurement in plan.measurements])

    def _observe(self, body: dict[str, Any], spec: api.RolloutSpec, target_body: dict[str, Any] | None, *,
                 model: dict[str, str]) -> obs.Observed:
        meta = body["metadata"]
        namespace = meta["namespace"]
        annotations = frozenset(k for k in (meta.get("annotations") or {}) if k in api.MANUAL_ANNOTATIONS)
        target, track, container_error = None, None, None
        if target_body is not None:
            found = manifests.model_container(target_body, spec.container)
            keys = handover.keys(spec.handover)
            if isinstance(found, str):
                container_error = found
                target = k8s.deployment_state(target_body, handover={})
            else:
                target = k8s.deployment_state(target_body, handover=manifests.current_values(found[1], keys))
            track_body = k8s.read_deployment(namespace, manifests.track_name(spec.target_ref.name, _track(spec)))
            if track_body is not None:
                track = k8s.deployment_state(track_body, handover={}, owner_uid=meta["uid"])
        if not model and target_body is not None:
            container_error = "status.model is missing: the rollout has no model to roll out (retrain)"
        selectors: dict[str, Any] = {}
        if spec.strategy.blue_green is not None:
            bg = spec.strategy.blue_green
            for service in filter(None, (bg.active_service, bg.preview_service)):
                selectors[service] = k8s.service_selector(namespace, service)
        return obs.Observed(target=target, track=track, container_error=container_error, selectors=selectors,
                            annotations=annotations, model=model)

    def _measure(self, body: dict[str, Any], spec: api.RolloutSpec, observed: obs.Observed, *, template: str,
                 since: str) -> obs.Observed:
        meta = body["metadata"]
        context = Context(namespace=meta["namespace"], retraining_job=meta["name"], template=template, since=since,
                          model=observed.model, fetch_monitor=objects.get_monitor,
                          read_secret=secrets.read_secret)
        taken = tuple(measure(metric, context) for metric in spec.template(template).metrics)
        return dataclasses.replace(observed, measurements=taken)

    def _apply(self, body: dict[str, Any], spec: api.RolloutSpec, target_body: dict[str, Any] | None,
               plan: obs.Plan, *, before: api.RolloutStatus | None, model: dict[str, str]) -> None:
        meta = body["metadata"]
        namespace, uid = meta["namespace"], meta["uid"]
        track_name = manifests.track_name(spec.target_ref.name, _track(spec))
        for action in plan.actions:
            if isinstance(action, obs.DeleteTrack):
                k8s.delete_track(namespace, track_name, owner_uid=uid)
            elif target_body is None:
                continue  # nothing to clone or patch; the planner rolls back
            elif isinstance(action, obs.EnsureTrack):
                found = manifests.model_container(target_body, spec.container)
                if isinstance(found, str):
                    continue
                values = handover.calculate_values(spec.handover, model=model)
                manifest = manifests.build_track(target=target_body, track=action.track, replicas=action.replicas,
                                                 rollout=meta["name"], owner=body, container_index=found[0],
                                                 values=values, hidden_keys=self._hidden_keys(body, spec, before))
                k8s.ensure_track(manifest, owner_uid=uid)
            elif isinstance(action, obs.SetHandover):
                found = manifests.model_container(target_body, spec.container)
                if not isinstance(found, str):
                    patch = manifests.handover_patch(target_body, index=found[0], values=action.values)
                    k8s.patch_target(namespace, spec.target_ref.name, patch)
            elif isinstance(action, obs.SetSelector):
                k8s.set_service_selector(namespace, action.service, action.selector)

    def _hidden_keys(self, body: dict[str, Any], spec: api.RolloutSpec,
                     before: api.RolloutStatus | None) -> frozenset[str]:
        """Blue-green: the active Service's own selector keys, which the preview's pods must not carry."""
        bg = spec.strategy.blue_green
        if bg is None:
            return frozenset()
        recorded = (before.original_selectors if before is not None else None) or {}
        original = recorded.get(bg.active_service) or k8s.service_selector(body["metadata"]["namespace"],
                                                                           bg.active_service) or {}
        return frozenset(original) - {api.TRACK_LABEL, api.ROLLOUT_LABEL}

    def _invalid(self, body: dict[str, Any], message: str, *, now: datetime.datetime) -> None:
        meta = body["metadata"]
        text = f"spec.rollout is invalid: {message}; the model in production is unchanged"
        if status_writes.write_retraining_job_status(meta["namespace"], meta["name"], {
                "phase": Phase.FAILED.value, "reason": RetrainingReason.INVALID_SPEC.value, "message": text,
                "completionTime": timestamps.format_time(now)}, resource_version=meta["resourceVersion"]):
            events.post_event(body=body, type="Warning", reason=RetrainingReason.INVALID_SPEC.value, message=text)


def _track(spec: api.RolloutSpec) -> str:
    return "canary" if spec.strategy.canary is not None else "preview"


def _model(status: retraining_api.RetrainingJobStatus) -> dict[str, str]:
    """The model under rollout (status.model): what the hand-over and the metric providers are given."""
    model = status.model
    return {"uri": model.uri, "version": model.version, "sha256": model.sha256} if model is not None else {}


def _serves(body: Any) -> bool:
    """RollingOut, or a finished rollout a person asked to retry."""
    phase = retraining_k8s.stored_phase(body)
    if phase == Phase.ROLLING_OUT:
        return True
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    return phase in _RETRIABLE and api.RETRY in annotations and retraining_k8s.has_rollout(body)


def rolling_out(body: kopf.Body, **_: Any) -> bool:
    return retraining_k8s.stored_phase(body) == Phase.ROLLING_OUT


def steered(body: kopf.Body, **_: Any) -> bool:
    """A manual annotation (promote, abort, retry, ...) on a rollout that acts on it."""
    annotations = body.metadata.annotations or {}
    return any(key in annotations for key in api.MANUAL_ANNOTATIONS) and _serves(body)
