"""When the CLI refuses to steer: the phase checks behind promote, abort, retry and ack, so a person
hears at once that an action would do nothing, instead of setting an annotation the operator then
ignores (it would say so only in an Event). Pure: an object in, a one-line refusal or None out.

The rules mirror what the rollout state machine acts on (rollout/machine.py: ``_manual`` and the
retry of a finished rollout in ``plan``), so the CLI never refuses what the operator would do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modelmon.api.retraining_phases import RetrainingPhase as Phase
from modelmon.api.rollout import RolloutPhase
from modelmon.conditions import RolloutReason
from modelmon.rollout.ticks import ACTIVE

RETRYABLE_FINAL = (Phase.ROLLED_BACK, Phase.FAILED)


def refusal(action: str, body: Mapping[str, Any]) -> str | None:
    """Why ``action`` (promote, promote-full, abort, retry) would do nothing now; None when it acts."""
    name = (body.get("metadata") or {}).get("name", "")
    status = body.get("status") or {}
    phase = status.get("phase") or Phase.PENDING.value
    rollout = status.get("rollout") or {}
    step = rollout.get("phase")
    rolling = phase == Phase.ROLLING_OUT
    if action in ("promote", "promote-full"):
        if rolling and step in ACTIVE:
            return None
        return f"RetrainingJob {name} is {_where(phase, step)}: promote acts only on a rollout that is Progressing or Paused"
    if action == "abort":
        if rolling and (step in ACTIVE or step == RolloutPhase.PROMOTING):
            return None
        return f"RetrainingJob {name} is {_where(phase, step)}: abort acts only on a rollout in progress"
    if action == "retry":
        inconclusive = (
            step == RolloutPhase.PAUSED and rollout.get("pausedReason") == RolloutReason.ANALYSIS_INCONCLUSIVE.value
        )
        if (rolling and inconclusive) or (phase in RETRYABLE_FINAL and rollout):
            return None
        return (
            f"RetrainingJob {name} is {_where(phase, step)}: retry reruns an inconclusive analysis or restarts a "
            "rolled-back or failed rollout"
        )
    raise ValueError(f"unknown action {action!r}")


def _where(phase: str, step: str | None) -> str:
    return f"{phase} (rollout {step})" if phase == Phase.ROLLING_OUT and step else phase


def acknowledgement(
    current: str | None, ids: Iterable[str], alerts: Iterable[Mapping[str, Any]]
) -> tuple[str, list[str]]:
    """The new value of the ``modelmon.io/ack`` annotation (ids kept in order, no duplicates) and the
    ids that name no firing alert of the monitor (the caller refuses those)."""
    firing = {a.get("id") for a in alerts if a.get("state") == "firing"}
    wanted = [i for i in ids if i]
    unknown = [i for i in wanted if i not in firing]
    kept = [i for i in (current or "").split(",") if i.strip()]
    merged = list(dict.fromkeys([i.strip() for i in kept] + wanted))
    return ",".join(merged), unknown
