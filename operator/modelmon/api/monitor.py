"""The ModelMonitor resource: the model under watch, its data, and how to judge it.

These models are the single source of truth for the CRD (``modelmon crds`` generates
``crds/modelmonitors.yaml`` from them) and for validating specs in the operator.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import croniter
import pydantic

from modelmon.api.base import SpecModel
from modelmon.api.drift import DataQualitySpec, DriftSpec, FeatureSpec
from modelmon.api.durations import Duration
from modelmon.api.history import HistorySpec
from modelmon.api.alerts import AlertsSpec, SecretKeyRef
from modelmon.api.performance import PerformanceSpec
from modelmon.api.retraining import RetrainingSpec
from modelmon.api.sources import ConfigMapKeyRef, DataSource  # noqa: F401 - re-exported: api.monitor.DataSource

GROUP = "modelmon.io"
VERSION = "v1alpha1"
KIND = "ModelMonitor"
PLURAL = "modelmonitors"

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


class LocalObjectRef(SpecModel):
    name: str = pydantic.Field(min_length=1, max_length=253)
    """Name of the object in the monitor's namespace."""


class ModelRef(SpecModel):
    """The model under watch."""

    name: str = pydantic.Field(min_length=1, max_length=253)
    """Model name, as people call it (shown in `kubectl get mm`)."""
    version: str | None = pydantic.Field(default=None, max_length=128)
    """Version of the model now serving."""
    deployment_ref: LocalObjectRef | None = None
    """The Deployment that serves the model; the default targetRef of retraining.template.rollout."""


class Window(SpecModel):
    """Which part of the current data is checked."""

    rows: int | None = pydantic.Field(default=None, ge=1)
    """Only the last N rows."""
    duration: Duration | None = None
    """Only rows whose timestampColumn lies within this duration before the check; with
    timePartitions, only the partitions that can hold such rows are read."""
    timestamp_column: str | None = None
    """Column holding each row's time; a duration needs it or the source's timePartitions
    (then whole hours: every row of each partition the window overlaps)."""


class InferenceServiceRef(SpecModel):
    """A KServe InferenceService in the monitor's namespace whose predictions the collector captures."""

    name: str = pydantic.Field(min_length=1, max_length=63, pattern=DNS_LABEL)
    """The InferenceService's name."""
    component: str = pydantic.Field(default="predictor", min_length=1, max_length=63, pattern=DNS_LABEL)
    """Its component whose events are logged (KServe's ce-component): predictor, transformer, ..."""


class CurrentData(DataSource):
    inference_service: InferenceServiceRef | None = None
    """Read what `modelmon collect` captured from this InferenceService (chart value collector.enabled):
    the check reads <collector.store.uri>/<namespace>/<name>/<component>/ as parquet, pruned by its
    date/hour partitions (docs/kserve.md). Instead of uri or configMapKeyRef."""
    window: Window | None = None
    """The window of current data to check; all of it when absent. Pushed down: only the files
    and row groups that can hold the window are read, one column at a time."""

    def _given(self) -> dict[str, bool]:
        return {**super()._given(), "inferenceService": self.inference_service is not None}

    @pydantic.model_validator(mode="after")
    def _collected_as_parquet(self) -> CurrentData:
        if self.inference_service is not None and self.format not in (None, "parquet"):
            raise ValueError("inferenceService: the collector writes parquet; leave format out")
        return self

    @pydantic.model_validator(mode="after")
    def _duration_needs_time(self) -> CurrentData:
        win = self.window
        if win is not None and win.duration is not None and win.timestamp_column is None \
                and self.time_partitions is None and self.inference_service is None:
            raise ValueError("window.duration needs window.timestampColumn or timePartitions")
        return self


class EnvFromSecret(SpecModel):
    """An environment variable of the check job whose value the kubelet takes from a Secret."""

    name: str = pydantic.Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)
    """Variable name, e.g. AWS_ACCESS_KEY_ID."""
    secret_key_ref: SecretKeyRef
    """The Secret key holding its value (in the monitor's namespace)."""


#: An image reference as the container runtimes parse it: [registry[:port]/]path[:tag][@sha256:digest],
#: lowercase path components. Checked at admission, so a reference no runtime can pull is refused
#: with the field's name instead of a check Job that never starts.
IMAGE_REFERENCE = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$"
#: A Kubernetes quantity (resource.Quantity's own pattern): 500m, 1.5Gi, 2.
QUANTITY = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
#: A PersistentVolumeClaim name (DNS-1123 subdomain).
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
Quantity = int | Annotated[str, pydantic.Field(pattern=QUANTITY, max_length=64)]
"""A resource quantity, as in a Pod spec: a number or a string such as ``500m`` or ``1.5Gi``."""
_ANNOTATION_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class CheckJob(SpecModel):
    """How the drift-check job runs."""

    image: str | None = pydantic.Field(default=None, max_length=512, pattern=IMAGE_REFERENCE)
    """Image running `modelmon check`; the operator's default when absent."""
    active_deadline_seconds: int = pydantic.Field(default=600, ge=10, le=86400)
    """A check running longer is stopped."""
    backoff_limit: int = pydantic.Field(default=2, ge=0, le=10)
    """Retries of a failed check pod."""
    resources: dict[str, dict[str, Quantity]] | None = pydantic.Field(default=None, max_length=2)
    """Container resources (requests/limits), as in a Pod spec."""
    volume_claim: str | None = pydantic.Field(default=None, max_length=253, pattern=DNS_SUBDOMAIN)
    """PersistentVolumeClaim mounted read-only at /data for file:// sources."""
    env: list[EnvFromSecret] = pydantic.Field(default_factory=list, max_length=20)
    """Variables from Secrets, e.g. static keys of an S3-compatible store (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY). The kubelet reads the Secret: the values never pass through the operator."""
    service_account_annotations: dict[str, str] | None = pydantic.Field(default=None, max_length=20)
    """Annotations of the check job's ServiceAccount (<monitor>-checker), e.g. IRSA's
    eks.amazonaws.com/role-arn or GKE's iam.gke.io/gcp-service-account: the identity that reads this
    monitor's data, declared with the monitor (in git) instead of annotated by hand."""

    @pydantic.field_validator("service_account_annotations")
    @classmethod
    def _annotation_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            prefix, _, name = key.rpartition("/")
            if not _ANNOTATION_NAME.match(name) or len(name) > 63 or (prefix and not _DNS_SUBDOMAIN.match(prefix)):
                raise ValueError(f"checkJob.serviceAccountAnnotations: {key!r} is not an annotation key "
                                 "([prefix/]name, e.g. eks.amazonaws.com/role-arn)")
        return value

    @pydantic.field_validator("env")
    @classmethod
    def _env_names(cls, value: list[EnvFromSecret]) -> list[EnvFromSecret]:
        names = [v.name for v in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"checkJob.env lists {', '.join(twice)} twice")
        if "MODELMON_MONITOR" in names:
            raise ValueError("checkJob.env may not set MODELMON_MONITOR: the operator sets it")
        return value


class ModelMonitorSpec(SpecModel):
    """A model under watch: its data, how drift is judged, and when it is checked."""

    model: ModelRef
    """The model under watch."""
    schedule: str = "0 * * * *"
    """Cron expression of the drift check (the CronJob's schedule)."""
    suspend: bool = False
    """Pause scheduled checks (existing state is kept)."""
    reference: DataSource
    """Reference data: what the model was trained or validated on."""
    current: CurrentData
    """Current data: what the model sees in production."""
    features: list[FeatureSpec] | None = pydantic.Field(default=None, max_length=10000)
    """Features to check and their types; inferred from the data when absent."""
    drift: DriftSpec = DriftSpec()
    """Drift methods and thresholds."""
    data_quality: DataQualitySpec = DataQualitySpec()
    """Data-quality limits."""
    check_job: CheckJob = CheckJob()
    """How the drift-check job runs."""
    performance: PerformanceSpec | None = None
    """Live performance against the backtest baseline; not watched when absent."""
    retraining: RetrainingSpec | None = None
    """When the model is retrained (RetrainingJobs) and how; never when absent."""
    alerts: AlertsSpec | None = None
    """Alert policy and sinks; fields left out take the operator's defaults (Helm value alerts.defaults)."""
    history: HistorySpec | None = None
    """Where each check's record and HTML report are kept; no history when absent."""

    @pydantic.field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not croniter.croniter.is_valid(value) or len(value.split()) not in (1, 5):
            raise ValueError(f"{value!r} is not a 5-field cron expression (minute hour day month weekday), "
                             f"e.g. '*/15 * * * *'")
        return value

    @pydantic.field_validator("features")
    @classmethod
    def _unique(cls, value: list[FeatureSpec] | None) -> list[FeatureSpec] | None:
        if value:
            names = [f.name for f in value]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"features listed twice: {', '.join(duplicates)}")
        return value

    @pydantic.model_validator(mode="after")
    def _rollout_target(self) -> ModelMonitorSpec:
        template = self.retraining.template if self.retraining else None
        deployment = self.model.deployment_ref.name if self.model.deployment_ref else None
        problem = template.untargeted(deployment=deployment) if template else None
        if problem:
            raise ValueError(problem)
        return self


def parse_spec(raw: dict[str, Any]) -> ModelMonitorSpec:
    return ModelMonitorSpec.model_validate(raw)
