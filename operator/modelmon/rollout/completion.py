"""The RetrainingJob's status patch for a planned tick: ``status.rollout`` and, when the rollout
ended (or restarted), the RetrainingJob's own phase, conditions and completion time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmon.api.rollout import RolloutPhase
from modelmon.conditions import RetrainingCondition as Cond
from modelmon.conditions import RetrainingPhase
from modelmon.policies import conditions as cond
from modelmon.rollout.observations import Plan


def rollout_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch turning ``old`` into ``new``: keys that went are sent as null."""
    patch: dict[str, Any] = {key: None for key in (old or {}) if key not in new}
    for key, value in new.items():
        if (old or {}).get(key) != value:
            patch[key] = value
    return patch


def status_patch(status: Mapping[str, Any], plan: Plan, *, generation: int | None, now: str) -> dict[str, Any]:
    """The one place a planned ``status.rollout`` is serialised (:meth:`~modelmon.api.base.StatusModel.wire`)
    and compared with the stored one, so that only what changed is sent."""
    patch: dict[str, Any] = {}
    state = plan.state
    rollout = rollout_patch(status.get("rollout"), state.wire())
    if rollout:
        patch["rollout"] = rollout
    if plan.restarted:
        patch.update(phase=RetrainingPhase.ROLLING_OUT.value, reason="RolloutRetried", message=state.message, completionTime=None)
    was_paused = (status.get("rollout") or {}).get("phase") == RolloutPhase.PAUSED
    paused = state.phase == RolloutPhase.PAUSED
    pause_update = []
    if paused != was_paused:  # kubectl wait --for=condition=Paused tells a person when it is their turn
        phase = str(state.phase)
        reason = str(state.paused_reason) if paused else ("Resumed" if phase == RolloutPhase.PROGRESSING else phase)
        pause_update.append(cond.condition(
            type=Cond.PAUSED.value, status=paused, generation=generation, reason=reason,
            message=state.message if paused else f"no longer paused: {phase}"))
    outcome = plan.outcome
    if outcome is None:
        if pause_update:
            patch["conditions"] = cond.merge_conditions(status.get("conditions"), pause_update, now=now)
        return patch
    updates = [*pause_update]
    if outcome.phase == RolloutPhase.SUCCEEDED:
        updates.append(cond.condition(type=Cond.COMPLETE.value, status=True, reason=outcome.reason,
                                      message=outcome.message, generation=generation))
    else:
        updates.append(cond.condition(type=Cond.COMPLETE.value, status=False, reason=outcome.reason,
                                      message=outcome.message, generation=generation))
        if outcome.phase == RolloutPhase.FAILED:
            updates.append(cond.condition(type=Cond.FAILED.value, status=True, reason=outcome.reason,
                                          message=outcome.message, generation=generation))
    patch.update(phase=str(outcome.phase), reason=outcome.reason, message=outcome.message, completionTime=now,
                 conditions=cond.merge_conditions(status.get("conditions"), updates, now=now))
    return patch
