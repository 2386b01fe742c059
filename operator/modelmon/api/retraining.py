"""Retraining: ``spec.retraining`` of a ModelMonitor and the RetrainingJob resource.

A monitor's ``spec.retraining`` says when a retraining may start (triggers, cooldown, new
samples) and stamps out a RetrainingJob from its ``template``. A RetrainingJob runs the
user's training container as a batch/v1 Job, reads the result the container reports as JSON
in its termination message, validates it, and hands it to a rollout when one is asked for.

These models are the source of truth for ``crds/retrainingjobs.yaml`` and for the retraining
fields of ``crds/modelmonitors.yaml``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import croniter
import pydantic

from modelmon.api.base import Condition, SpecModel
from modelmon.api.durations import Duration
from modelmon.api.retraining_phases import RetrainingPhase
from modelmon.api.rollout import RolloutSpec, RolloutStatus
from modelmon.api.sources import DataSource

KIND = "RetrainingJob"
PLURAL = "retrainingjobs"
#: Set on a ModelMonitor to start a retraining now (the value is free text, e.g. a ticket).
RETRAIN_NOW = "modelmon.io/retrain-now"
#: Set on a ModelMonitor to roll its target back to the previous active model (the value is free text;
#: a new value asks again). ``modelmon rollout undo NAME`` sets it.
UNDO = "modelmon.io/undo"

TriggerReason = Literal["drift", "performance", "schedule", "manual", "undo"]
"""Why a retraining starts (a RetrainingJob's spec.reason); ``undo`` restores a previous model without training."""
Priority = Literal["critical", "high", "medium", "low"]
Phase = RetrainingPhase
ACTIVE_PHASES: frozenset[str] = frozenset(p.value for p in (Phase.PENDING, Phase.TRAINING, Phase.VALIDATING,
                                                              Phase.ROLLING_OUT))
FINISHED_PHASES: frozenset[str] = frozenset(p.value for p in Phase) - ACTIVE_PHASES


class MonitorRef(SpecModel):
    name: str = pydantic.Field(min_length=1, max_length=253)
    """The ModelMonitor in the RetrainingJob's namespace whose model is retrained."""


class MetricRequirement(SpecModel):
    """A bound the new model's metric must meet: absolute, relative to the monitor's baseline, or both.

    The deltas compare with ``spec.performance.baseline.<name>`` of the monitor: ``minDeltaFromBaseline:
    -0.01`` accepts an accuracy at most 0.01 below the baseline; ``maxDeltaFromBaseline: 0`` demands an
    error metric (mae, rmse) no worse than the baseline.
    """

    name: str = pydantic.Field(min_length=1, max_length=128)
    """Metric name as the training container reports it in `metrics` (accuracy, f1, rmse, ...)."""
    min: float | None = None
    """The metric must be at least this."""
    max: float | None = None
    """The metric must be at most this."""
    min_delta_from_baseline: float | None = None
    """The metric minus the monitor's baseline for it must be at least this."""
    max_delta_from_baseline: float | None = None
    """The metric minus the monitor's baseline for it must be at most this."""

    @pydantic.model_validator(mode="after")
    def _bounded(self) -> MetricRequirement:
        bounds = (self.min, self.max, self.min_delta_from_baseline, self.max_delta_from_baseline)
        if all(b is None for b in bounds):
            raise ValueError(f"validation metric {self.name!r}: set at least one of min, max, "
                             "minDeltaFromBaseline, maxDeltaFromBaseline")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"validation metric {self.name!r}: min {self.min} is above max {self.max}")
        return self


class ValidationSpec(SpecModel):
    """What the new model must reach before it is used."""

    metrics: list[MetricRequirement] = pydantic.Field(default_factory=list, max_length=50)
    """Metric bounds; each named metric must be in the training result."""
    significance_level: float | None = pydantic.Field(default=None, gt=0, lt=1)
    """Default 0.05. A bound relative to the baseline on a share of the validation rows (accuracy,
    hitRate) passes only when the one-sided test of the margin on the result's validationSamples has
    a p-value at most this: an improvement (or a non-inferiority margin) chance explains is not one."""
    require_significance: bool | None = None
    """Fail such a bound when the training result reports no validationSamples (so nothing can be
    tested); by default (false) it is then judged by its threshold alone and the verdict says so."""


class TriggerRecord(SpecModel):
    """What started a RetrainingJob, written by the monitor's trigger that created it."""

    check_time: str | None = None
    """The check whose findings fired it (the monitor's lastCheck.time); absent for manual and schedule."""
    features: list[str] = pydantic.Field(default_factory=list, max_length=1000)
    """The features that check found drifted, when its dataset verdict was drift."""
    metrics: list[str] = pydantic.Field(default_factory=list, max_length=100)
    """The performance metric windows it judged critical, as `metric (window)`, e.g. `accuracy (last 500)`."""
    message: str = pydantic.Field(default="", max_length=1024)
    """The trigger's decision in words."""


class TrainedModel(SpecModel):
    """A model the training container produced (its termination message)."""

    uri: str
    """Where the model artefact is."""
    version: str
    """Its version."""
    sha256: str
    """Hex SHA-256 digest of the artefact."""
    metrics: dict[str, float] = pydantic.Field(default_factory=dict)
    """Metrics the container measured on its validation data."""
    validation_samples: int | None = pydantic.Field(default=None, ge=1)
    """How many validation rows the metrics were measured on (``validationSamples`` in the
    result); needed to test an improvement over the baseline for significance."""
    reference: DataSource | None = None
    """The new model's reference data (``reference`` in the result: a URI, or an object as a
    monitor's spec.reference); once promoted, the monitor's checks compare with it."""


class RestoreSpec(SpecModel):
    """A model promoted before, rolled out again without training (``modelmon rollout undo``)."""

    model: TrainedModel
    """The model to go back to: its artefact, version, digest and reference data."""
    baseline: dict[str, float] = pydantic.Field(default_factory=dict)
    """The baseline it was judged against while it was active."""
    promoted_by: str | None = pydantic.Field(default=None, max_length=253)
    """The RetrainingJob that first promoted it."""


class RetrainingJobSpec(SpecModel):
    """One retraining of one monitored model."""

    monitor_ref: MonitorRef
    """The ModelMonitor whose model is retrained (same namespace)."""
    reason: TriggerReason
    """Why it runs: drift | performance | schedule | manual."""
    priority: Priority = "medium"
    """Place in the operator-wide training queue: critical > high > medium > low, then age."""
    job_template: dict[str, Any]
    """A batch/v1 JobTemplateSpec (`metadata`, `spec`): the training container(s). The container
    writes its result as JSON to its termination message (/dev/termination-log): `{"modelUri": ...,
    "version": ..., "sha256": ..., "metrics": {...}}`. The operator sets the Job's name, owner and
    labels, and fills in activeDeadlineSeconds, backoffLimit and a hardened security context where
    the template leaves them out."""
    validation: ValidationSpec | None = None
    """Metrics the new model must reach; any well-formed result passes when absent."""
    rollout: RolloutSpec | None = None
    """How the validated model is rolled out (canary or blue-green, docs/rollouts.md); without it the
    validated model is only recorded in status."""
    suspend: bool = False
    """Stop: a running training Job is deleted and the phase becomes Cancelled."""
    trigger: TriggerRecord | None = None
    """What fired it (set by a ModelMonitor's trigger; absent on a RetrainingJob created by hand)."""
    restore: RestoreSpec | None = None
    """Roll out this model instead of training one (set by the monitor's modelmon.io/undo; needs
    spec.rollout). No training Job runs and the model is not validated again."""

    @pydantic.model_validator(mode="after")
    def _restore_rolls_out(self) -> RetrainingJobSpec:
        if self.restore is not None and self.rollout is None:
            raise ValueError("restore needs rollout: a model is restored by rolling it out to the target")
        return self

    @pydantic.field_validator("job_template")
    @classmethod
    def _has_containers(cls, value: dict[str, Any]) -> dict[str, Any]:
        pod = ((value.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = pod.get("containers")
        if not isinstance(containers, list) or not containers:
            raise ValueError("jobTemplate.spec.template.spec.containers must list the training container")
        for index, container in enumerate(containers):
            if not isinstance(container, dict) or not container.get("name") or not container.get("image"):
                raise ValueError(f"jobTemplate.spec.template.spec.containers[{index}] needs a name and an image")
        return value


class RetrainingTemplate(SpecModel):
    """The RetrainingJob stamped out when a trigger fires (monitorRef and reason are filled in)."""

    priority: Priority | None = None
    """Fixed queue priority; by default from the reason (performance: critical, drift and manual: high,
    schedule: low)."""
    job_template: dict[str, Any]
    """The training Job's template, as RetrainingJob.spec.jobTemplate."""
    validation: ValidationSpec | None = None
    """As RetrainingJob.spec.validation."""
    rollout: dict[str, Any] | None = None
    """As RetrainingJob.spec.rollout (checked against it here, copied as written into each RetrainingJob);
    without targetRef, the monitor's spec.model.deploymentRef is the Deployment rolled out to."""

    @pydantic.field_validator("job_template")
    @classmethod
    def _has_containers(cls, value: dict[str, Any]) -> dict[str, Any]:
        return RetrainingJobSpec._has_containers(value)

    @pydantic.field_validator("rollout")
    @classmethod
    def _valid_rollout(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:  # a bad rollout fails at the monitor, not in every RetrainingJob
            # checked with a stand-in target when it names none: the monitor's deploymentRef gives it
            # (ModelMonitorSpec checks that one of the two is there)
            RolloutSpec.model_validate({"targetRef": {"name": "spec.model.deploymentRef"}, **value})
        return value

    def untargeted(self, *, deployment: str | None) -> str | None:
        """Why the rollout has no Deployment to roll out to (no targetRef, no ``deployment``), or None."""
        if self.rollout is None or "targetRef" in self.rollout or deployment:
            return None
        return ("retraining.template.rollout has no targetRef: set it, or spec.model.deploymentRef (the Deployment "
                "that serves the model, the rollout's default target)")

    def rollout_for(self, *, deployment: str | None) -> dict[str, Any] | None:
        """The ``spec.rollout`` of a RetrainingJob stamped from this template: as written, with ``targetRef``
        defaulting to ``deployment`` (the monitor's ``spec.model.deploymentRef``); None without a rollout."""
        if self.rollout is None:
            return None
        rollout = copy.deepcopy(self.rollout)
        if "targetRef" not in rollout and deployment:
            return {"targetRef": {"name": deployment}, **rollout}
        return rollout


class RetrainingTriggers(SpecModel):
    """Which conditions may start a retraining."""

    critical_drift: bool = True
    """The last check's dataset verdict is drift (spec.drift.driftShare of the judged features drifted).
    Health is not read: data-quality findings alone never start a retraining."""
    performance_critical: bool = True
    """The last check's performance verdict is critical."""
    schedule: str | None = None
    """Retrain on a cron schedule too (5 fields, UTC), e.g. '0 3 * * 0'."""
    manual: bool = True
    """The annotation modelmon.io/retrain-now starts one (cooldown and sample minimum do not apply)."""

    @pydantic.field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and (len(value.split()) != 5 or not croniter.croniter.is_valid(value)):
            raise ValueError(f"{value!r} is not a 5-field cron expression (minute hour day month weekday), "
                             "e.g. '0 3 * * 0'")
        return value


class RetrainingSpec(SpecModel):
    """When the model is retrained and how (``spec.retraining`` of a ModelMonitor)."""

    enabled: bool = False
    """Start RetrainingJobs when a trigger fires."""
    triggers: RetrainingTriggers = RetrainingTriggers()
    """Which conditions may start one."""
    cooldown: Duration = "7d"
    """Least time between the starts of two automatic retrainings."""
    min_new_samples: int = pydantic.Field(default=1000, ge=0)
    """Least rows checked since the last retraining before an automatic one starts."""
    template: RetrainingTemplate | None = None
    """The RetrainingJob to start; required when enabled."""
    successful_jobs_history_limit: int = pydantic.Field(default=3, ge=0)
    """Succeeded RetrainingJobs of this monitor to keep (as a CronJob's): older ones the monitor owns
    are deleted, and the garbage collector deletes their training Jobs."""
    failed_jobs_history_limit: int = pydantic.Field(default=1, ge=0)
    """Failed, rolled back or cancelled RetrainingJobs of this monitor to keep; older ones it owns are
    deleted."""

    @pydantic.model_validator(mode="after")
    def _template_when_enabled(self) -> RetrainingSpec:
        if self.enabled and self.template is None:
            raise ValueError("retraining.enabled needs retraining.template (the training Job to run)")
        return self


# --- status ---------------------------------------------------------------------------------


class PreviousModel(SpecModel):
    """The model in production when the RetrainingJob was created (the monitor's spec.model)."""

    name: str | None = None
    """Model name."""
    version: str | None = None
    """Version serving then."""


class Lineage(SpecModel):
    parent_version: str | None = None
    """Version of the model this one replaces."""


class RetrainingJobStatus(SpecModel):
    """What the operator knows about one retraining, written only through the status subresource."""

    phase: Phase | None = None
    """Pending | Training | Validating | RollingOut | Succeeded | Failed | RolledBack | Cancelled."""
    reason: str | None = None
    """CamelCase reason of the last phase change (e.g. ValidationFailed)."""
    message: str | None = None
    """What happened, in words a person can act on."""
    observed_generation: int | None = pydantic.Field(default=None, ge=0)
    """The spec generation last reconciled."""
    job_name: str | None = None
    """The training Job."""
    model: TrainedModel | None = None
    """The new model, from the training result."""
    previous_model: PreviousModel | None = None
    """The model in production when this retraining was created."""
    lineage: Lineage | None = None
    """Where the new model comes from."""
    queued_at: str | None = None
    """When it entered the training queue."""
    start_time: str | None = None
    """When its training Job was created."""
    completion_time: str | None = None
    """When it reached a final phase."""
    validation: list[str] = pydantic.Field(default_factory=list, max_length=50)
    """The validation verdict per metric, in words."""
    conditions: list[Condition] = pydantic.Field(default_factory=list)
    """Complete, Failed, Suspended, Validated."""
    rollout: RolloutStatus | None = None
    """The rollout's state (step, weights, analysis runs), written by the rollout controller."""


class ActiveRetraining(SpecModel):
    name: str
    """The RetrainingJob."""
    phase: str
    """Its phase."""
    reason: str | None = None
    """Why it started."""
    started_at: str | None = None
    """When it was created."""


class LastRetraining(SpecModel):
    name: str
    """The RetrainingJob."""
    phase: str
    """Its final phase."""
    reason: str | None = None
    """Why it started."""
    finished_at: str | None = None
    """When it finished."""
    message: str | None = None
    """What happened."""
    model: TrainedModel | None = None
    """The model it produced, if any."""


class MonitorRetrainingStatus(SpecModel):
    """Retraining of a monitor's model: the active and the last RetrainingJob, and the trigger's memory."""

    active: ActiveRetraining | None = None
    """The RetrainingJob in progress, if any (at most one per monitor)."""
    last: LastRetraining | None = None
    """The last finished RetrainingJob."""
    samples_since_last: int = pydantic.Field(default=0, ge=0)
    """Rows checked since the last retraining started (each check's currentRows, counted once)."""
    last_counted_check: str | None = None
    """Time of the last check counted into samplesSinceLast."""
    last_started_at: str | None = None
    """When the last retraining started (the cooldown runs from here)."""
    last_schedule_time: str | None = None
    """The last cron time of triggers.schedule that was served."""
    decision: str | None = None
    """Why no retraining started at the last evaluation, or which one did."""


def parse_job_spec(raw: dict[str, Any]) -> RetrainingJobSpec:
    return RetrainingJobSpec.model_validate(raw)
