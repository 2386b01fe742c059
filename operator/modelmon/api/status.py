"""Status of a ModelMonitor, as the operator and the check job write it.

Conditions follow metav1.Condition; ``lastCheck`` is the check job's report summarised to
what people and tools read (the full report is in the job's log and ``--output``).
"""

from __future__ import annotations

from typing import Literal

import pydantic

from modelmon.api.alerts import AlertSeverity, AlertType
from modelmon.api.base import Condition, SpecModel, StatusModel
from modelmon.api.drift import FeatureKind, FeatureStatus, QualitySeverity
from modelmon.api.health import Health
from modelmon.api.performance import PerformanceSeverity, Task
from modelmon.api.retraining import MonitorRetrainingStatus
from modelmon.api.sources import DataSource


class FeatureResult(SpecModel):
    """One feature's drift in the last check."""

    name: str
    """Feature (column) name."""
    kind: FeatureKind
    """How it was compared."""
    status: FeatureStatus
    """Whether it could be judged (identifier: integers beyond 2^53, ids or hashes, not compared)."""
    method: str | None = None
    """Method that decided the verdict."""
    score: float | None = None
    """The method's score (a p-value for ks and chi2)."""
    pvalue: float | None = None
    """The feature's test p-value: ks (numeric) or chi2 (categorical), whatever the method."""
    adjusted_pvalue: float | None = None
    """That p-value adjusted over the judged features (spec.drift.multipleTesting); it decides."""
    severity: str
    """stable | moderate | significant | critical | unknown."""
    severity_score: float = pydantic.Field(ge=0, le=100)
    """0-100, comparable across methods."""
    drifted: bool
    """Whether the feature drifted."""
    reason: str = ""
    """Why, in words."""


class QualityIssueStatus(SpecModel):
    column: str
    """Column the issue concerns."""
    check: str
    """missingRate, outOfRange, unseenCategories, typeMismatch, ..."""
    severity: QualitySeverity
    """How bad."""
    value: float | None = None
    """Measured value."""
    limit: float | None = None
    """Configured limit."""
    message: str
    """Human-readable detail."""


class DatasetVerdictStatus(SpecModel):
    drifted: bool | None = None
    """Dataset drift; null when no feature could be judged."""
    drifted_features: int = pydantic.Field(ge=0)
    """Number of drifted features."""
    judged_features: int = pydantic.Field(ge=0)
    """Number of features with enough data to judge."""
    share: float | None = None
    """Drifted share of judged features."""
    message: str = ""
    """Summary in words."""


class PerformanceMetricStatus(SpecModel):
    """One watched metric on one window, against its baseline."""

    metric: str
    """accuracy, precision, recall, f1, hitRate, mae, rmse or mape."""
    window: str
    """The window, e.g. ``last 50`` (predictions) or ``last 6h``."""
    samples: int = pydantic.Field(ge=0)
    """Labelled predictions the value was computed from."""
    value: float | None = None
    """The metric on the window; absent when it could not be computed."""
    baseline: float
    """The backtest value."""
    change: float | None = None
    """Relative change against the baseline, (value - baseline) / baseline."""
    p_value: float | None = None
    """One-sided p-value of a drop below the baseline (proportions only)."""
    significant: bool | None = None
    """Whether the drop is significant at the spec's significance level (proportions only)."""
    severity: PerformanceSeverity
    """The verdict: a drop that is not significant is a warning at most."""
    reason: str = ""
    """Why this severity, in words."""
    recommendation: str = ""
    """One sentence: what was seen and what to do."""


class PerformanceStatus(SpecModel):
    """Live performance against the backtest baseline in the last check."""

    task: Task
    """What the model predicts."""
    labelled: int = pydantic.Field(ge=0)
    """Labelled predictions available."""
    unlabelled: int = pydantic.Field(ge=0)
    """Predictions still waiting for their ground truth."""
    severity: PerformanceSeverity
    """Worst over the watched metrics (unknown only when no window could judge a metric)."""
    recommendation: str = ""
    """The worst finding in one sentence, or ``no action``."""
    metrics: list[PerformanceMetricStatus] = pydantic.Field(default_factory=list, max_length=100)
    """One entry per watched metric and window."""


class CheckHistory(SpecModel):
    """Where the check's record and report went in the monitor's history store (spec.history)."""

    record: str | None = pydantic.Field(default=None, max_length=512)
    """The record's path in the store."""
    report: str | None = pydantic.Field(default=None, max_length=512)
    """The HTML report's path in the store."""
    report_url: str | None = pydantic.Field(default=None, max_length=2048, alias="reportURL")
    """The report's link (spec.history.reportURL plus its path)."""
    error: str | None = pydantic.Field(default=None, max_length=1024)
    """Why the store could not be written (the verdict above still stands)."""


class LastCheck(SpecModel):
    """Summary of the last drift check."""

    time: str
    """When the check finished (RFC 3339)."""
    duration_seconds: float = pydantic.Field(ge=0)
    """How long it took."""
    reference_rows: int = pydantic.Field(default=0, ge=0)
    """Rows of reference data."""
    current_rows: int = pydantic.Field(default=0, ge=0)
    """Rows of current data checked."""
    dataset: DatasetVerdictStatus | None = None
    """Dataset verdict; absent when the data could not be read."""
    features: list[FeatureResult] = pydantic.Field(default_factory=list, max_length=1000)
    """Per-feature results."""
    quality_issues: list[QualityIssueStatus] = pydantic.Field(default_factory=list, max_length=1000)
    """Data-quality issues."""
    error: str | None = None
    """Why the check could not run (data unavailable), if it could not."""
    performance: PerformanceStatus | None = None
    """Live performance against the baseline; absent when spec.performance is not set."""
    history: CheckHistory | None = None
    """Where this check was recorded; absent without spec.history."""


class AlertStatus(SpecModel):
    """One alert, deduplicated by (type, subject)."""

    id: str = pydantic.Field(max_length=64)
    """Stable id (acknowledge with the annotation modelmon.io/ack: <id>)."""
    type: AlertType
    """What the alert is about."""
    subject: str = pydantic.Field(max_length=512)
    """The feature, column, metric/window or RetrainingJob concerned."""
    severity: AlertSeverity
    """How urgent."""
    state: Literal["firing", "resolved"]
    """Whether the condition still holds."""
    message: str = pydantic.Field(default="", max_length=1024)
    """What was found, in words."""
    first_seen: str
    """When it first fired (RFC 3339)."""
    last_seen: str
    """When it was last observed."""
    count: int = pydantic.Field(ge=1)
    """Checks in which it was observed."""
    streak: int = pydantic.Field(default=0, ge=0)
    """Consecutive checks in which it was observed (escalation counts these)."""
    acknowledged: bool = False
    """Silenced by the modelmon.io/ack annotation until its severity rises."""
    last_notified: str | None = None
    """When sinks were last notified about it."""
    resolved_at: str | None = None
    """When its condition cleared."""


class SinkStatus(SpecModel):
    """Delivery to one alert sink."""

    name: str
    """The sink's name in spec.alerts.sinks (or the operator's defaults)."""
    last_success: str | None = None
    """When a notification was last delivered."""
    last_error: str | None = None
    """The last delivery error (credentials redacted)."""
    last_error_time: str | None = None
    """When it happened."""
    type: str | None = None
    """alertmanager, slack, webhook or email."""
    pending: int = pydantic.Field(default=0, ge=0)
    """Notifications waiting for delivery or a retry."""
    consecutive_failures: int = pydantic.Field(default=0, ge=0)
    """Failed attempts since the last success."""
    dropped: int = pydantic.Field(default=0, ge=0)
    """Notifications dropped: queue full, too old, or refused as malformed."""


class ActiveModel(SpecModel):
    """A model the monitor judges (or judged): promoted by a RetrainingJob, or the spec's own."""

    version: str | None = pydantic.Field(default=None, max_length=128)
    """Its version."""
    uri: str | None = pydantic.Field(default=None, max_length=2048)
    """Where its artefact is (absent for the spec's model, which modelmon did not train)."""
    sha256: str | None = pydantic.Field(default=None, max_length=64)
    """The artefact's SHA-256."""
    reference: DataSource | None = None
    """Its reference data; checks compare with it instead of spec.reference (absent: the spec's)."""
    baseline: dict[str, float] = pydantic.Field(default_factory=dict)
    """Its performance baseline (its validation metrics over spec.performance.baseline)."""
    promoted_at: str | None = None
    """When its rollout finished (RFC 3339)."""
    retraining_job: str | None = pydantic.Field(default=None, max_length=253)
    """The RetrainingJob that promoted it (absent for the spec's model)."""
    spec_digest: str | None = pydantic.Field(default=None, max_length=64)
    """Digest of spec.model.version, spec.reference and spec.performance.baseline at promotion: when
    they change later (a person's commit), the spec wins (condition ActiveModel, reason SpecOverrides)."""


class ModelMonitorStatus(StatusModel):
    """What the operator knows about the model, written only through the status subresource."""

    observed_generation: int | None = pydantic.Field(default=None, ge=0)
    """The spec generation the operator last reconciled."""
    health: Health | None = None
    """Healthy | Warning | Critical | Unknown."""
    drifted_features: int | None = pydantic.Field(default=None, ge=0)
    """Number of drifted features in the last check."""
    conditions: list[Condition] = pydantic.Field(default_factory=list)
    """Ready, Drifted, DataQualityDegraded, DataUnavailable."""
    last_check: LastCheck | None = None
    """The last drift check's results."""
    check_cron_job: str | None = None
    """Name of the drift-check CronJob."""
    assessed_check: str | None = None
    """Time of the lastCheck the operator last assessed (health, events, metrics)."""
    alerts: list[AlertStatus] = pydantic.Field(default_factory=list, max_length=500)  # spec.alerts.maxAlerts <= 500
    """Active alerts and recently resolved ones (bounded; the oldest resolved drop first)."""
    alert_notifications: list[str] = pydantic.Field(default_factory=list, max_length=1000)
    """Times of notifications in the last hour (the per-monitor rate limit's memory)."""
    consumed_acks: list[str] = pydantic.Field(default_factory=list, max_length=200)
    """Acknowledged alert ids that escalated or resolved since: they no longer count."""
    alert_lifecycle_seen: str | None = None
    """The retraining state the lifecycle alerts were last planned for."""
    alert_promotion_seen: str | None = pydantic.Field(default=None, max_length=512)
    """The promotion (activeModel's RetrainingJob@promotedAt) whose resolution of the old model's alerts was
    planned."""
    alert_sinks: list[SinkStatus] = pydantic.Field(default_factory=list, max_length=50)
    """Delivery state per alert sink."""
    retraining: MonitorRetrainingStatus | None = None
    """The active and the last RetrainingJob, and the retraining trigger's memory."""
    active_model: ActiveModel | None = None
    """The model last promoted by a RetrainingJob, which checks judge (docs/retraining.md, Day two)."""
    previous_models: list[ActiveModel] = pydantic.Field(default_factory=list, max_length=5)
    """The models active before it, newest first (undo goes back to the first)."""
