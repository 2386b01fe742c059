"""Operator-wide settings, loaded once from the environment (``MODELMON_*``) and flags."""

from __future__ import annotations

import pydantic
import pydantic_settings

from modelmon.api.alerts import AlertsSpec


class OperatorSettings(pydantic_settings.BaseSettings):
    """Settings of one operator process; every field can be set as ``MODELMON_<NAME>``."""

    model_config = pydantic_settings.SettingsConfigDict(env_prefix="MODELMON_", frozen=True)

    namespaces: list[str] = pydantic.Field(default_factory=list)
    """Namespaces to watch; all when empty (cluster-wide)."""
    check_image: str = "ghcr.io/modelmon/modelmon:0.1.0"
    """Image of the drift-check job: this project's own image."""
    check_image_pull_policy: str = "IfNotPresent"
    """Pull policy of the check job's image."""
    metrics_port: int = pydantic.Field(default=9090, ge=0, le=65535)
    """Port of the Prometheus /metrics endpoint; 0 disables it."""
    liveness_endpoint: str = "http://0.0.0.0:8080/healthz"
    """kopf's liveness probe endpoint."""
    log_format: str = pydantic.Field(default="text", pattern="^(text|json)$")
    """Log format: text or json."""
    peering: str | None = None
    """kopf peering name, for more than one replica (one is active)."""
    peering_priority: int | None = None
    """This replica's kopf peering priority; unset: by seniority (policies/peering.py), distinct per replica."""
    peering_lifetime: int = pydantic.Field(default=60, ge=10, le=3600)
    """Seconds a replica's peering record lives without a keep-alive: how long a standby waits
    before it takes over from a killed active replica (a clean exit hands over at once)."""
    max_training_jobs: int = pydantic.Field(default=2, ge=1, le=1000)
    """Training Jobs of RetrainingJobs running at once, operator-wide; the rest wait in Pending."""
    retraining_poll_seconds: float = pydantic.Field(default=15.0, gt=0, le=3600)
    """How often active RetrainingJobs are re-examined (the training queue, a Job's pod), besides watch events."""
    training_active_deadline_seconds: int = pydantic.Field(default=21600, ge=60)
    """activeDeadlineSeconds of a training Job whose template sets none (6 h)."""
    training_backoff_limit: int = pydantic.Field(default=1, ge=0, le=20)
    """backoffLimit of a training Job whose template sets none."""
    operator_namespace: str = "modelmon-system"
    """The operator's own namespace (the chart sets it): the Secrets of default_alerts' sinks are read here."""
    collector_store: str = ""
    """Where the chart's collector writes (collector.store.uri, set only when collector.enabled): a
    monitor's spec.current.inferenceService reads <store>/<namespace>/<name>/<component>/ there.
    Empty: no collector, and such a monitor is InvalidSpec."""
    collector_store_claim: str = ""
    """collector.store.persistentVolumeClaim when the collector writes to a claim instead: a check job
    in another namespace cannot mount it, so a monitor's inferenceService is refused, naming the claim."""
    default_alerts: AlertsSpec | None = None
    """Operator-wide alert policy and sinks (JSON in MODELMON_DEFAULT_ALERTS, same fields as spec.alerts).
    A monitor's spec.alerts overrides it field by field; a monitor listing sinks replaces these sinks."""
