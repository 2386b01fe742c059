"""Operator-wide settings, loaded once from the environment (``MODELMON_*``) and flags."""

from __future__ import annotations

import pydantic
import pydantic_settings


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
