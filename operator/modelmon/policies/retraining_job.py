"""A RetrainingJob's next step, pure: status + observations + clock -> status patch and actions.

One call makes at most one phase change, so every phase is seen in status and told by an
Event; the patch the step returns lands in status and the resulting watch event brings the
next step. Everything needed to continue is in status (phase, jobName, model), so an
operator restarted at any point resumes where it stopped:

    (new) -> Pending            the monitor exists; previous model and lineage recorded (the version
                                the monitor judges: its active model's, else spec.model.version)
    Pending -> Training         the training queue admits it; the Job is created
    Pending -> RollingOut       spec.restore (undo): the restored model is rolled out, no training
    Training -> Validating      the Job completed; its result (termination message) is parsed
    Validating -> Succeeded     the result meets spec.validation (no spec.rollout)
    Validating -> RollingOut    ... with spec.rollout: the rollout controller takes over
    any active -> Failed        monitor missing, Job rejected/failed/lost, result invalid or failing
    any active -> Cancelled     spec.suspend (the Job is deleted)

The model in production is never touched here: only a rollout changes what serves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pydantic

from modelmon.api.retraining import (ACTIVE_PHASES, FINISHED_PHASES, MonitorRetrainingStatus, RetrainingJobSpec,
                                    RetrainingJobStatus, TrainedModel)
from modelmon.conditions import RetrainingCondition as Cond
from modelmon.conditions import RetrainingPhase as Phase
from modelmon.conditions import RetrainingReason
from modelmon.policies import conditions as cond
from modelmon.policies import active_model, training_results

_MESSAGE_EXCERPT = 512
#: How a training Job ended: the batch/v1 Job condition types (JobState.outcome).
JOB_COMPLETE, JOB_FAILED = "Complete", "Failed"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Termination:
    """How the training container of the Job's last pod ended."""

    exit_code: int | None
    reason: str | None
    message: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class JobState:
    name: str
    outcome: str | None
    """None while running, ``Complete`` or ``Failed`` from the Job's conditions."""
    failure_reason: str | None = None
    """The Failed condition's reason: BackoffLimitExceeded, DeadlineExceeded, ..."""
    failure_message: str | None = None
    termination: Termination | None = None
    deleting: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class Observed:
    monitor: Mapping[str, Any] | None
    """The ModelMonitor named by spec.monitorRef; None when it does not exist."""
    job: JobState | None
    """The training Job; None when there is none."""
    admitted: bool = False
    """Whether the training queue lets this RetrainingJob start now."""
    queue_note: str = ""
    """Where it waits in the queue, in words."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Step:
    status: dict[str, Any]
    """The status patch (empty: nothing to change)."""
    create_job: bool = False
    delete_job: bool = False
    event: tuple[str, str, str] | None = None
    """(type, reason, message) of the Event telling a phase change."""

    @property
    def phase(self) -> str | None:
        return self.status.get("phase")


def plan_step(*, spec: RetrainingJobSpec | None, spec_error: str | None, status: RetrainingJobStatus,
              generation: int | None, job_name: str, observed: Observed, now: str) -> Step:
    """The next step of one RetrainingJob (see the module docstring), from its status as stored."""
    phase = status.phase
    if phase in FINISHED_PHASES or phase == Phase.ROLLING_OUT.value:
        return _observe_generation(status, generation)
    if spec is None:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.INVALID_SPEC,
                      message=f"invalid spec: {spec_error}", delete_job=observed.job is not None)
    if spec.suspend:
        return finish(status, generation=generation, now=now, phase=Phase.CANCELLED, reason=RetrainingReason.SUSPENDED,
                      message="suspended (spec.suspend): the training Job was stopped; create a new RetrainingJob "
                              "to retrain", delete_job=observed.job is not None)
    if phase is None or phase == Phase.PENDING.value:
        return _pending(spec, status, generation=generation, job_name=job_name, observed=observed, now=now)
    if phase == Phase.TRAINING.value:
        return _training(status, generation=generation, observed=observed, now=now)
    if phase == Phase.VALIDATING.value:
        return _validating(spec, status, generation=generation, observed=observed, now=now)
    return _observe_generation(status, generation)


def _pending(spec: RetrainingJobSpec, status: RetrainingJobStatus, *, generation: int | None, job_name: str,
             observed: Observed, now: str) -> Step:
    if observed.monitor is None:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.MONITOR_NOT_FOUND,
                      message=f"ModelMonitor {spec.monitor_ref.name} does not exist in this namespace: "
                              "create it or fix spec.monitorRef.name (it provides the previous model and the baseline)")
    if status.phase is None:
        monitor_spec = observed.monitor.get("spec") or {}
        # the model the monitor judges now: its active model once one was promoted, else the spec's
        version = active_model.judged_version(monitor_spec, observed.monitor.get("status"))
        model = {"name": (monitor_spec.get("model") or {}).get("name"), "version": version}
        message = f"queued for training ({spec.priority} priority)"
        patch = {"phase": Phase.PENDING.value, "reason": RetrainingReason.QUEUED.value, "message": message,
                 "observedGeneration": generation, "queuedAt": now,
                 "previousModel": {k: v for k, v in model.items() if v},
                 "lineage": {"parentVersion": version} if version else {}}
        return Step(status=patch, event=("Normal", RetrainingReason.QUEUED.value, message))
    if spec.restore is not None:
        restored = spec.restore.model
        message = f"restoring model {restored.version} (undo): rolling out without training"
        patch = {"phase": Phase.ROLLING_OUT.value, "reason": RetrainingReason.RESTORING.value, "message": message,
                 "observedGeneration": generation, "model": _model_status(restored)}
        return Step(status=patch, event=("Normal", RetrainingReason.RESTORING.value, message))
    if observed.job is not None or observed.admitted:
        created = observed.job is None
        message = f"training: Job {job_name} " + ("created" if created else "found (created before a restart)")
        patch = {"phase": Phase.TRAINING.value, "reason": RetrainingReason.JOB_CREATED.value, "message": message,
                 "observedGeneration": generation, "jobName": job_name, "startTime": status.start_time or now}
        return Step(status=patch, create_job=created, event=("Normal", RetrainingReason.JOB_CREATED.value, message))
    message = f"waiting for a training slot: {observed.queue_note}" if observed.queue_note else "waiting for a training slot"
    return _only_changed(status, generation=generation, message=message)


def _training(status: RetrainingJobStatus, *, generation: int | None, observed: Observed, now: str) -> Step:
    job = observed.job
    name = status.job_name
    if job is None or job.deleting:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.JOB_LOST,
                      message=f"the training Job {name} was deleted before it finished; create a new RetrainingJob "
                              "to retry")
    if job.outcome == JOB_FAILED:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, **_training_failure(job))
    if job.outcome != JOB_COMPLETE:
        return _only_changed(status, generation=generation, message=f"training: Job {job.name} running")
    message = job.termination.message if job.termination else None
    try:
        model = training_results.parse_result(message)
    except training_results.InvalidResult as error:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.INVALID_RESULT,
                      message=f"Job {job.name} completed but {error}")
    text = f"training finished: model {model.version} at {model.uri}; validating"
    patch = {"phase": Phase.VALIDATING.value, "reason": RetrainingReason.TRAINING_FINISHED.value, "message": text,
             "observedGeneration": generation, "model": _model_status(model)}
    return Step(status=patch, event=("Normal", RetrainingReason.TRAINING_FINISHED.value, text))


def _training_failure(job: JobState) -> dict[str, Any]:
    term = job.termination
    parts = []
    if term is not None and term.exit_code is not None:
        parts.append(f"the training container exited with code {term.exit_code}"
                     + (f" ({term.reason})" if term.reason else ""))
    if term is not None and term.message and term.message.strip():
        text = " ".join(term.message.split())
        parts.append(f"its message: {text[:_MESSAGE_EXCERPT]}" + ("..." if len(text) > _MESSAGE_EXCERPT else ""))
    if job.failure_reason == "DeadlineExceeded":
        reason = RetrainingReason.DEADLINE_EXCEEDED
        head = (f"the training Job {job.name} ran past its activeDeadlineSeconds and was stopped; raise "
                "jobTemplate.spec.activeDeadlineSeconds or make training faster")
    else:
        reason = RetrainingReason.TRAINING_FAILED
        head = f"the training Job {job.name} failed" + (f" ({job.failure_reason})" if job.failure_reason else "")
    detail = "; ".join(parts) or (job.failure_message or "")
    return {"reason": reason, "message": head + (f": {detail}" if detail else "")}


def _validating(spec: RetrainingJobSpec, status: RetrainingJobStatus, *, generation: int | None,
                observed: Observed, now: str) -> Step:
    if observed.monitor is None:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.MONITOR_NOT_FOUND,
                      message=f"ModelMonitor {spec.monitor_ref.name} no longer exists; the new model was not validated")
    model = status.model  # a damaged one is refused by the CRD schema and by the status model
    if model is None:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.INVALID_RESULT,
                      message="status.model is missing or damaged; the training result is lost, retrain")
    # the model to beat is the one the monitor judges: the active model's baseline once one was promoted
    baseline = active_model.judged_baseline(observed.monitor.get("spec") or {}, observed.monitor.get("status"))
    verdict = training_results.validate(model, validation=spec.validation, baseline=baseline)
    extra = {"validation": verdict.lines}
    validated = cond.condition(type=Cond.VALIDATED.value, status=verdict.passed,
                               reason=(RetrainingReason.VALIDATION_PASSED if verdict.passed else RetrainingReason.VALIDATION_FAILED).value,
                               message="; ".join(verdict.failures if not verdict.passed else verdict.lines)[:1024],
                               generation=generation)
    if not verdict.passed:
        return finish(status, generation=generation, now=now, phase=Phase.FAILED, reason=RetrainingReason.VALIDATION_FAILED,
                      message=f"model {model.version} failed validation: " + "; ".join(verdict.failures)
                              + "; the model in production is unchanged", extra=extra, also=[validated])
    checked = f" ({len(verdict.lines)} bound(s) met)" if verdict.lines else " (no validation bounds)"
    if spec.rollout:
        text = f"model {model.version} validated{checked}; rolling out"
        patch = {"phase": Phase.ROLLING_OUT.value, "reason": RetrainingReason.ROLLOUT_REQUESTED.value, "message": text,
                 "observedGeneration": generation, **extra,
                 "conditions": cond.merge_conditions(_conditions(status), [validated], now=now)}
        return Step(status=patch, event=("Normal", RetrainingReason.ROLLOUT_REQUESTED.value, text))
    return finish(status, generation=generation, now=now, phase=Phase.SUCCEEDED, reason=RetrainingReason.VALIDATION_PASSED,
                  message=f"model {model.version} validated{checked}; ready at {model.uri}", extra=extra,
                  also=[validated])


def finish(status: RetrainingJobStatus, *, generation: int | None, now: str, phase: Phase, reason: RetrainingReason,
           message: str, delete_job: bool = False, extra: Mapping[str, Any] | None = None,
           also: list[dict[str, Any]] | None = None) -> Step:
    """The step into a final phase, with its conditions and completion time."""
    updates = [*(also or [])]
    if phase == Phase.SUCCEEDED:
        updates.append(cond.condition(type=Cond.COMPLETE.value, status=True, reason=reason.value, message=message,
                                      generation=generation))
    elif phase == Phase.FAILED:
        updates += [cond.condition(type=Cond.FAILED.value, status=True, reason=reason.value, message=message,
                                   generation=generation),
                    cond.condition(type=Cond.COMPLETE.value, status=False, reason=reason.value, message=message,
                                   generation=generation)]
    else:
        updates.append(cond.condition(type=Cond.SUSPENDED.value, status=True, reason=reason.value, message=message,
                                      generation=generation))
    patch = {"phase": phase.value, "reason": reason.value, "message": message, "observedGeneration": generation,
             "completionTime": now, **(extra or {}),
             "conditions": cond.merge_conditions(_conditions(status), updates, now=now)}
    kind = "Normal" if phase == Phase.SUCCEEDED else "Warning"
    return Step(status=patch, delete_job=delete_job, event=(kind, reason.value, message))


def _observe_generation(status: RetrainingJobStatus, generation: int | None) -> Step:
    return _only_changed(status, generation=generation)


def _only_changed(status: RetrainingJobStatus, *, generation: int | None, message: str | None = None) -> Step:
    """The message and observed generation, where they differ from status."""
    patch: dict[str, Any] = {}
    if message is not None and status.message != message:
        patch["message"] = message
    if status.observed_generation != generation:
        patch["observedGeneration"] = generation
    return Step(status=patch)


def _conditions(status: RetrainingJobStatus) -> list[dict[str, Any]]:
    """The stored conditions, as merge_conditions takes and the status patch carries them."""
    return [c.model_dump(by_alias=True, exclude_none=True, mode="json") for c in status.conditions]


def _model_status(model: TrainedModel) -> dict[str, Any]:
    found: dict[str, Any] = {"uri": model.uri, "version": model.version, "sha256": model.sha256,
                             "metrics": dict(model.metrics)}
    if model.validation_samples is not None:  # kept for the Validating step's significance test
        found["validationSamples"] = model.validation_samples
    if model.reference is not None:  # what the monitor's checks compare with once it is promoted
        found["reference"] = model.reference.model_dump(by_alias=True, exclude_none=True)
    return found


# --- the monitor's view -----------------------------------------------------------------------


def monitor_view(*, name: str, spec_reason: str | None, status: RetrainingJobStatus, created: str | None,
                 monitor_retraining: MonitorRetrainingStatus | None) -> dict[str, Any]:
    """The patch of the monitor's ``status.retraining`` telling this RetrainingJob's state ({} if current).

    An active one is ``active``; a finished one becomes ``last`` and leaves ``active`` if it held it.
    """
    current = monitor_retraining or MonitorRetrainingStatus()
    phase = (status.phase or Phase.PENDING).value
    if phase in ACTIVE_PHASES:
        entry = {"name": name, "phase": phase, "reason": spec_reason, "startedAt": created}
        return {} if _stored(current.active) == _present(entry) else {"active": entry}
    last = {"name": name, "phase": phase, "reason": spec_reason, "finishedAt": status.completion_time,
            "message": status.message,
            # null, not absent: a merge patch would keep the previous last's model or message otherwise
            "model": _stored(status.model)}
    patch: dict[str, Any] = {}
    if current.active is not None and current.active.name == name:
        patch["active"] = None
    if _stored(current.last) != _present(last):
        patch["last"] = last
    return patch


def _stored(model: pydantic.BaseModel | None) -> dict[str, Any] | None:
    """``model`` as it was read from status: the fields it was given, none of the defaults it filled in
    (a default written back would make a stored entry look changed)."""
    if model is None:
        return None
    return model.model_dump(by_alias=True, exclude_unset=True, exclude_none=True, mode="json")


def _present(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` as the API server stores it: null fields pruned."""
    return {k: v for k, v in entry.items() if v is not None}
