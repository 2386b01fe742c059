"""A ModelMonitor's status.health, defined here only.

The CRD schema (api.status), the health policy (through modelmon.conditions), the metrics and the
metric provider that reads a monitor's health all use it. It has a module of its own, importing
nothing, so that modelmon.conditions can name it without pulling in api.status and what that imports
(api.retraining's data sources import urllib, which the pure rollout state machine must not reach).
"""

from __future__ import annotations

import enum


class Health(enum.StrEnum):
    """StrEnum, so a member compares equal to, and prints as, the word stored in status."""

    HEALTHY = "Healthy"
    WARNING = "Warning"
    CRITICAL = "Critical"
    UNKNOWN = "Unknown"
