"""Rollouts of a retrained model: ``spec.rollout`` and ``status.rollout`` of a RetrainingJob.

The vocabulary is Argo Rollouts' and Flagger's (setWeight, pause, analysis, promote, abort,
previewService, scaleDownDelay) applied to plain Deployments without a service mesh: the
canary's traffic share is its share of the ready pods behind the same Service, and a
blue-green switch changes the active Service's selector. docs/rollouts.md explains the
semantics; these models are the source of truth for the CRD schema.
"""

from __future__ import annotations

import enum
import re
from typing import Literal

import pydantic
from pydantic.config import JsonDict

from modelmon.api.base import SpecModel, StatusModel
from modelmon.api.durations import Duration
from modelmon.api.secret_refs import SecretKeyRef

#: Annotations a person sets on the RetrainingJob to steer its rollout (consumed when acted on).
PROMOTE = "modelmon.io/promote"
PROMOTE_FULL = "modelmon.io/promote-full"
ABORT = "modelmon.io/abort"
RETRY = "modelmon.io/retry"
MANUAL_ANNOTATIONS = (PROMOTE, PROMOTE_FULL, ABORT, RETRY)
#: Pod label telling the tracks apart (canary, preview); the target's own pods never carry it.
TRACK_LABEL = "modelmon.io/track"
#: Pod label naming the RetrainingJob whose rollout created the pod's Deployment.
ROLLOUT_LABEL = "modelmon.io/rollout"

_ENV_NAME = r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"


def _one_of(*fields: str, what: str) -> JsonDict:
    """CEL rule for the CRD: exactly one of ``fields`` is set (the model checks the same, with more words)."""
    count = " + ".join(f"(has(self.{f}) ? 1 : 0)" for f in fields)
    return {"rule": f"{count} == 1", "message": f"{what}: set exactly one of {', '.join(fields)}"}


def _rules(*rules: JsonDict) -> pydantic.ConfigDict:
    return pydantic.ConfigDict(json_schema_extra={"x-kubernetes-validations": list(rules)})
_IMAGE_FIELDS = {"version", "sha256"}


class TargetRef(SpecModel):
    """The Deployment that serves the model today."""

    name: str = pydantic.Field(min_length=1, max_length=253)
    """Name of the Deployment, in the RetrainingJob's namespace."""


class EnvHandover(SpecModel):
    """The model reaches the server as environment variables of its container."""

    uri: str | None = pydantic.Field(default="MODEL_URI", pattern=_ENV_NAME, max_length=256)
    """Variable that receives the model URI (status.model.uri); null to leave it out."""
    version: str | None = pydantic.Field(default="MODEL_VERSION", pattern=_ENV_NAME, max_length=256)
    """Variable that receives the model version; null to leave it out."""
    sha256: str | None = pydantic.Field(default=None, pattern=_ENV_NAME, max_length=256)
    """Variable that receives the artefact's SHA-256 digest; unset by default."""

    @pydantic.model_validator(mode="after")
    def _some(self) -> EnvHandover:
        if not (self.uri or self.version or self.sha256):
            raise ValueError("handover.env names no variable: set uri, version or sha256 (e.g. uri: MODEL_URI)")
        return self


class Handover(SpecModel):
    """How the new model is handed to the server: env variables or the container image (one of them)."""

    model_config = _rules(_one_of("env", "image", what="handover"))

    env: EnvHandover | None = None
    """Set these env variables of the container to the new model's uri/version/digest."""
    image: str | None = pydantic.Field(default=None, min_length=1, max_length=1024)
    """Image template for the container, with {version} and/or {sha256} of the new model,
    e.g. registry.example.com/credit-server:{version}."""

    @pydantic.model_validator(mode="after")
    def _one(self) -> Handover:
        if (self.env is None) == (self.image is None):
            raise ValueError("handover: set exactly one of env (e.g. {uri: MODEL_URI}) or image "
                             "(e.g. 'registry/server:{version}')")
        if self.image is not None:
            fields = set(re.findall(r"{([^{}]*)}", self.image))
            if not fields or not fields <= _IMAGE_FIELDS:
                raise ValueError(f"handover.image {self.image!r} must use {{version}} and/or {{sha256}} "
                                 "and no other placeholder")
        return self


class HttpHeader(SpecModel):
    """A plain HTTP header (e.g. a tenant id: X-Scope-OrgID); credentials go in bearerTokenSecretRef."""

    name: str = pydantic.Field(min_length=1, max_length=128, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
    """Header name."""
    value: str = pydantic.Field(max_length=1024)
    """Header value."""


class PrometheusTLS(SpecModel):
    """How the Prometheus server's certificate is checked (https:// addresses)."""

    ca_secret_ref: SecretKeyRef | None = None
    """A Secret key (in the RetrainingJob's namespace) holding the PEM CA bundle that signed the server's
    certificate; the system's CAs when absent."""
    insecure_skip_verify: bool = False
    """Do not verify the server's certificate at all (a test set-up; never with a real token)."""


class PrometheusMetric(SpecModel):
    model_config = _rules(
        {"rule": "!has(self.bearerTokenSecretRef) || !has(self.headers) || "
                 "self.headers.all(h, h.name.lowerAscii() != 'authorization')",
         "message": "prometheus: an Authorization header and bearerTokenSecretRef both set the same header"},
        {"rule": "!has(self.tls) || !has(self.tls.caSecretRef) || !has(self.tls.insecureSkipVerify) || "
                 "!self.tls.insecureSkipVerify",
         "message": "prometheus.tls: caSecretRef and insecureSkipVerify contradict each other"})

    address: str = pydantic.Field(pattern=r"^https?://", max_length=2048)
    """Base URL of the Prometheus server, e.g. http://prometheus.monitoring:9090."""
    query: str = pydantic.Field(min_length=1, max_length=8192)
    """PromQL instant query returning one number (a scalar or a one-element vector)."""
    bearer_token_secret_ref: SecretKeyRef | None = None
    """A Secret key (in the RetrainingJob's namespace) holding a token sent as ``Authorization: Bearer``
    (Thanos, Cortex/Mimir gateways, managed Prometheus). Read at each query, never stored."""
    headers: list[HttpHeader] = pydantic.Field(default_factory=list, max_length=10)
    """Extra headers sent with each query."""
    tls: PrometheusTLS | None = None
    """Certificate checking for an https:// address."""

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> PrometheusMetric:
        if self.bearer_token_secret_ref and any(h.name.lower() == "authorization" for h in self.headers):
            raise ValueError("prometheus: an Authorization header and bearerTokenSecretRef both set the same header")
        if self.tls and self.tls.ca_secret_ref and self.tls.insecure_skip_verify:
            raise ValueError("prometheus.tls: caSecretRef and insecureSkipVerify contradict each other")
        return self


class MonitorMetric(SpecModel):
    name: str = pydantic.Field(min_length=1, max_length=253)
    """A ModelMonitor in the RetrainingJob's namespace watching the new model's predictions."""
    measure: str = pydantic.Field(default="health", pattern=r"^(health|performance\.[A-Za-z0-9_]+)$")
    """health (Healthy 0, Warning 1, Critical 2) or performance.<metric> (e.g. performance.accuracy:
    its value on the first window). Only checks finished after the analysis started count."""


class WebhookMetric(SpecModel):
    url: str = pydantic.Field(pattern=r"^https?://", max_length=2048)
    """Called with POST and a JSON body naming the RetrainingJob, model and metric. Without
    min/max a 2xx answer passes and any other fails; with them the answer's JSON `value` is judged."""
    timeout_seconds: float = pydantic.Field(default=10.0, gt=0, le=300)
    """Time allowed for the answer; a timeout is an error."""


class AnalysisMetric(SpecModel):
    """One measurement of the new model, judged against min/max bounds."""

    model_config = _rules(
        _one_of("prometheus", "modelMonitor", "webhook", what="analysis metric"),
        {"rule": "has(self.webhook) || has(self.min) || has(self.max)",
         "message": "analysis metric: set min and/or max (the bounds a good model meets)"},
        {"rule": "!has(self.min) || !has(self.max) || self.min <= self.max", "message": "min is above max"})

    name: str = pydantic.Field(pattern=r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$", max_length=63)
    """Name in status, Events and metrics."""
    min: float | None = None
    """The value must be at least this."""
    max: float | None = None
    """The value must be at most this."""
    prometheus: PrometheusMetric | None = None
    """A Prometheus instant query."""
    model_monitor: MonitorMetric | None = None
    """A ModelMonitor's health or performance metric."""
    webhook: WebhookMetric | None = None
    """An HTTP endpoint."""

    @pydantic.model_validator(mode="after")
    def _valid(self) -> AnalysisMetric:
        providers = [p for p in (self.prometheus, self.model_monitor, self.webhook) if p is not None]
        if len(providers) != 1:
            raise ValueError(f"analysis metric {self.name!r}: set exactly one of prometheus, modelMonitor, webhook")
        if self.webhook is None and self.min is None and self.max is None:
            raise ValueError(f"analysis metric {self.name!r}: set min and/or max (the bounds a good model meets)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"analysis metric {self.name!r}: min {self.min} is above max {self.max}")
        return self


class AnalysisTemplate(SpecModel):
    """Repeated measurements of the new model; a run is Successful, Failed, Error or Inconclusive."""

    name: str = pydantic.Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
    """Referred to by analysis steps and blue-green pre/post-promotion analysis."""
    interval: Duration = "1m"
    """Time between two measurement rounds (every metric is measured in each round)."""
    count: int = pydantic.Field(default=3, ge=1, le=100)
    """Measurement rounds of a run."""
    failure_limit: int = pydantic.Field(default=0, ge=0)
    """Failed measurements of one metric tolerated; one more fails the run (rollback)."""
    inconclusive_limit: int = pydantic.Field(default=0, ge=0)
    """Inconclusive measurements (no data, NaN) of one metric tolerated; one more pauses the
    rollout for a person (promote, retry or abort)."""
    error_limit: int = pydantic.Field(default=2, ge=0)
    """Measurements of one metric that could not be taken (unreachable, bad query) tolerated;
    one more fails the run (rollback)."""
    metrics: list[AnalysisMetric] = pydantic.Field(min_length=1, max_length=20)
    """What is measured."""

    @pydantic.field_validator("metrics")
    @classmethod
    def _unique(cls, value: list[AnalysisMetric]) -> list[AnalysisMetric]:
        names = [m.name for m in value]
        if len(set(names)) != len(names):
            raise ValueError(f"analysis metric names must be unique: {names}")
        return value


class PauseStep(SpecModel):
    duration: Duration | None = None
    """How long to wait; absent: until a person promotes (annotation modelmon.io/promote)."""


class AnalysisStep(SpecModel):
    template: str = pydantic.Field(min_length=1, max_length=63)
    """Name of an entry of spec.rollout.analysisTemplates."""


class CanaryStep(SpecModel):
    """One step: exactly one of setWeight, pause, analysis."""

    model_config = _rules(_one_of("setWeight", "pause", "analysis", what="canary step"))

    set_weight: int | None = pydantic.Field(default=None, ge=1, le=99)
    """Share of ready pods (percent) running the new model; promotion takes it to 100."""
    pause: PauseStep | None = None
    """Wait for a duration or for a person."""
    analysis: AnalysisStep | None = None
    """Run an analysis; Failed or Error rolls back, Inconclusive pauses."""

    @pydantic.model_validator(mode="after")
    def _one(self) -> CanaryStep:
        if sum(x is not None for x in (self.set_weight, self.pause, self.analysis)) != 1:
            raise ValueError("a canary step sets exactly one of setWeight, pause, analysis")
        return self


class CanaryStrategy(SpecModel):
    steps: list[CanaryStep] = pydantic.Field(min_length=1, max_length=100)
    """Run in order; after the last the model is promoted."""
    max_canary_replicas: int | None = pydantic.Field(default=None, ge=1)
    """Upper bound on the canary's replicas (weights above 50 need more canary than stable pods)."""


class BlueGreenStrategy(SpecModel):
    active_service: str = pydantic.Field(min_length=1, max_length=63)
    """The Service sending production traffic to the target's pods; its selector is switched to the
    new model's pods on promotion and restored when the target runs the new model (or on rollback)."""
    preview_service: str | None = pydantic.Field(default=None, min_length=1, max_length=63)
    """A Service whose selector points at the new model's pods for the whole rollout (restored at the end)."""
    auto_promotion: bool = True
    """Switch without a person once the preview is ready and pre-promotion analysis passed."""
    auto_promotion_after: Duration | None = None
    """With autoPromotion, wait this long after the preview is ready before switching."""
    pre_promotion_analysis: str | None = None
    """Analysis template run against the preview before the switch."""
    post_promotion_analysis: str | None = None
    """Analysis template run after the switch; Failed or Error switches back."""
    scale_down_delay: Duration = "30s"
    """Time the new model's second Deployment keeps running after the active Service went back to
    the (now updated) target, so connections drain."""


class Strategy(SpecModel):
    model_config = _rules(_one_of("canary", "blueGreen", what="strategy"))

    canary: CanaryStrategy | None = None
    """Canary by replica share behind the same Service."""
    blue_green: BlueGreenStrategy | None = None
    """A second Deployment and a Service selector switch."""

    @pydantic.model_validator(mode="after")
    def _one(self) -> Strategy:
        if (self.canary is None) == (self.blue_green is None):
            raise ValueError("strategy: set exactly one of canary or blueGreen")
        return self


class RolloutSpec(SpecModel):
    """How the validated model replaces the one in production."""

    target_ref: TargetRef
    """The Deployment serving the model."""
    container: str | None = pydantic.Field(default=None, min_length=1, max_length=63)
    """The container that serves the model; the Deployment's first container when absent."""
    handover: Handover
    """How the model reaches the server: env variables or the image."""
    strategy: Strategy
    """canary or blueGreen."""
    analysis_templates: list[AnalysisTemplate] = pydantic.Field(default_factory=list, max_length=20)
    """Analyses the strategy refers to by name."""
    progress_deadline: Duration = "10m"
    """Longest wait for Deployments to become ready (the canary, the preview, the promoted target);
    past it the rollout is aborted and rolled back."""

    @pydantic.model_validator(mode="after")
    def _references(self) -> RolloutSpec:
        known = {t.name for t in self.analysis_templates}
        if len(known) != len(self.analysis_templates):
            raise ValueError("analysisTemplates: names must be unique")
        wanted: list[str] = []
        if self.strategy.canary is not None:
            wanted += [s.analysis.template for s in self.strategy.canary.steps if s.analysis is not None]
        if self.strategy.blue_green is not None:
            bg = self.strategy.blue_green
            wanted += [t for t in (bg.pre_promotion_analysis, bg.post_promotion_analysis) if t]
        missing = sorted(set(wanted) - known)
        if missing:
            raise ValueError(f"analysis template(s) {missing} are not in analysisTemplates (known: {sorted(known)})")
        return self

    def template(self, name: str) -> AnalysisTemplate:
        return next(t for t in self.analysis_templates if t.name == name)


# --- status ---------------------------------------------------------------------------------

# The vocabularies of status.rollout, defined here only (the planner and the CRD schema both use them);
# StrEnum, so a value compares equal to, and prints as, the word stored in status.


class MeasurementResult(enum.StrEnum):
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"


class RunPhase(enum.StrEnum):
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"


class RolloutPhase(enum.StrEnum):
    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    PROMOTING = "Promoting"
    FINALIZING = "Finalizing"
    SUCCEEDED = "Succeeded"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"


RolloutStrategy = Literal["canary", "blueGreen"]
"""Which strategy a rollout runs (status.rollout.strategy): the one block spec.rollout.strategy sets."""


#: The phases a rollout ends in: it is never ticked again (unless retried).
FINISHED_ROLLOUT_PHASES = frozenset({RolloutPhase.SUCCEEDED, RolloutPhase.ROLLED_BACK, RolloutPhase.FAILED})


class Measurement(StatusModel):
    metric: str
    """The metric's name."""
    result: MeasurementResult
    """Successful (in bounds), Failed (out of bounds), Inconclusive (no data, NaN), Error (not measured)."""
    value: float | None = None
    """The value measured, if any."""
    message: str = ""
    """Why this result, in words."""
    at: str
    """When it was measured (RFC 3339)."""


class MeasurementCounts(StatusModel):
    successful: int = pydantic.Field(default=0, ge=0)
    """Within bounds."""
    failed: int = pydantic.Field(default=0, ge=0)
    """Out of bounds."""
    inconclusive: int = pydantic.Field(default=0, ge=0)
    """No data or NaN."""
    error: int = pydantic.Field(default=0, ge=0)
    """Not measured."""


class AnalysisRun(StatusModel):
    template: str
    """The analysis template."""
    step: int | None = None
    """The canary step that ran it; absent for blue-green analyses."""
    stage: Literal["step", "prePromotion", "postPromotion"] = "step"
    """Where in the rollout it ran."""
    phase: RunPhase
    """Running, Successful, Failed, Error or Inconclusive."""
    rounds: int = pydantic.Field(default=0, ge=0)
    """Measurement rounds taken."""
    started_at: str
    """When it started."""
    finished_at: str | None = None
    """When it reached a result."""
    message: str = ""
    """The result in words."""
    measurements: list[Measurement] = pydantic.Field(default_factory=list, max_length=100)
    """The measurements taken, most recent last (the last 100; the last 10 once a newer run started)."""
    counts: dict[str, MeasurementCounts] | None = None
    """Measurements per metric and result over the whole run: what decided it."""


class DeploymentSummary(StatusModel):
    desired: int = pydantic.Field(ge=0)
    """Replicas asked for."""
    ready: int = pydantic.Field(ge=0)
    """Ready replicas seen."""


class RolloutStatus(StatusModel):
    """The rollout's state: everything needed to resume it after an operator restart."""

    strategy: RolloutStrategy
    """The strategy running."""
    phase: RolloutPhase
    """Progressing, Paused, Promoting, Finalizing, RollingBack; finally Succeeded, RolledBack or Failed."""
    step: int = pydantic.Field(default=0, ge=0)
    """Index of the current canary step (equal to the number of steps once all ran); blue-green: its stage number."""
    stage: str = ""
    """What the rollout is doing, as a word (setWeight, pause, analysis, preview, switch, promote, scaleDown)."""
    weight: int = pydantic.Field(default=0, ge=0, le=100)
    """Canary weight asked for by the last setWeight (percent)."""
    effective_weight: float = pydantic.Field(default=0.0, ge=0, le=100)
    """The new model's share of ready pods: canary ready / (canary ready + target ready), in percent."""
    canary: DeploymentSummary | None = None
    """The new model's Deployment (canary or preview)."""
    stable: DeploymentSummary | None = None
    """The target Deployment."""
    message: str = ""
    """What is happening, in words."""
    paused_reason: str | None = None
    """Why it waits for a person (Paused: an indefinite pause step; AnalysisInconclusive; AwaitingPromotion)."""
    abort_reason: str | None = None
    """Why it was rolled back."""
    started_at: str
    """When the rollout started."""
    step_started_at: str
    """When the current step or stage started."""
    progress_at: str
    """Last time it made progress (the progress deadline counts from here while Deployments are awaited)."""
    finished_at: str | None = None
    """When it reached Succeeded, RolledBack or Failed."""
    previous_handover: dict[str, str] | None = None
    """The target's hand-over values before promotion (env variable values or image), to restore on rollback."""
    original_selectors: dict[str, dict[str, str]] | None = None
    """Blue-green: the Services' selectors before the rollout changed them, restored at the end."""
    analysis_runs: list[AnalysisRun] = pydantic.Field(default_factory=list, max_length=10)
    """Analysis runs, oldest first (the 10 most recent)."""


def parse_spec(raw: dict[str, object]) -> RolloutSpec:
    return RolloutSpec.model_validate(raw)
