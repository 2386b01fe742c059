"""The RetrainingJob's status patch for a planned tick: ``status.rollout`` and, when the rollout
ended (or restarted), the RetrainingJob's own phase, conditions and completion time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from modelmon.api.base import Condition
from modelmon.api.rollout import RolloutPhase, RolloutStatus
from modelmon.conditions import RetrainingCondition as Cond
from modelmon.conditions import RetrainingPhase, RolloutReason
from modelmon.policies import conditions as cond
from modelmon.rollout.observations import Plan


class StoredStatus(Protocol):
    """What a tick reads of the RetrainingJob's stored status (api.retraining.RetrainingJobStatus, named
    by its shape: that module's data sources import urllib, which the pure planner must not)."""

    @property
    def rollout(self) -> RolloutStatus | None: ...

    @property
    def conditions(self) -> list[Condition]: ...


def rollout_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch turning ``old`` into ``new``: keys that went are sent as null."""
    patch: dict[str, Any] = {key: None for key in (old or {}) if key not in new}
    for key, value in new.items():
        if (old or {}).get(key) != value:
            patch[key] = value
    return patch


def status_patch(status: StoredStatus, plan: Plan, *, generation: int | None, now: str) -> dict[str, Any]:
    """The one place a planned ``status.rollout`` is serialised (:meth:`~modelmon.api.base.StatusModel.wire`)
    and compared with the stored one (which serialises back to what was stored: test_golden_ticks), so that
    only what changed is sent."""
    patch: dict[str, Any] = {}
    state, before = plan.state, status.rollout
    rollout = rollout_patch(before.wire() if before is not None else None, state.wire())
    if rollout:
        patch["rollout"] = rollout
    if plan.restarted:
        patch.update(phase=RetrainingPhase.ROLLING_OUT.value, reason=RolloutReason.JOB_RETRIED.value, message=state.message, completionTime=None)
    was_paused = before is not None and before.phase == RolloutPhase.PAUSED
    paused = state.phase == RolloutPhase.PAUSED
    pause_update = []
    if paused != was_paused:  # kubectl wait --for=condition=Paused tells a person when it is their turn
        phase = str(state.phase)
        reason = str(state.paused_reason) if paused else (RolloutReason.RESUMED.value if phase == RolloutPhase.PROGRESSING else phase)
        pause_update.append(cond.condition(
            type=Cond.PAUSED.value, status=paused, generation=generation, reason=reason,
            message=state.message if paused else f"no longer paused: {phase}"))
    outcome = plan.outcome
    if outcome is None:
        if pause_update:
            patch["conditions"] = cond.merge_conditions(_conditions(status), pause_update, now=now)
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
                 conditions=cond.merge_conditions(_conditions(status), updates, now=now))
    return patch


def _conditions(status: StoredStatus) -> list[dict[str, Any]]:
    """The stored conditions, as merge_conditions takes and the status patch carries them."""
    return [c.model_dump(by_alias=True, exclude_none=True, mode="json") for c in status.conditions]
