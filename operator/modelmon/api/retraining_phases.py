"""A RetrainingJob's status.phase, defined here only.

The CRD schema (api.retraining's status model), the policies, the controller and the CLI all use it. It has
a module of its own, importing nothing, so that modelmon.conditions can name it beside the phases' reasons
without pulling in the rest of the RetrainingJob's model (its data sources import urllib, which the pure
rollout state machine, an importer of modelmon.conditions, must not reach).
"""

from __future__ import annotations

import enum


class RetrainingPhase(enum.StrEnum):
    """StrEnum, so a member compares equal to, and prints as, the word stored in status."""

    PENDING = "Pending"
    TRAINING = "Training"
    VALIDATING = "Validating"
    ROLLING_OUT = "RollingOut"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ROLLED_BACK = "RolledBack"
    CANCELLED = "Cancelled"
