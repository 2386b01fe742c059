"""Merging conditions the Kubernetes way: ``lastTransitionTime`` moves only when status does.

A planner says what a condition should be (:func:`condition_update`, a :class:`ConditionUpdate`); merging it
into the stored ones stamps the time. :func:`merge` and :func:`find_condition` work on the typed
conditions of a parsed status (api.base.Condition: the ModelMonitor's planners); :func:`merge_conditions`
and :func:`find` on status dicts, for the planners that still read their status as dicts (the
RetrainingJob's steps and completion, the active model's condition).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypedDict

from modelmon.api.base import Condition as TypedCondition

Condition = dict[str, Any]
ConditionStatus = Literal["True", "False", "Unknown"]


class ConditionUpdate(TypedDict):
    """A metav1.Condition as a planner wants it, before merging stamps its ``lastTransitionTime``.

    A TypedDict, not a model: the same value goes into the dict-based merge and into the typed
    one, and the keys are checked by mypy either way."""

    type: str
    status: ConditionStatus
    reason: str
    message: str
    observedGeneration: int | None


def condition_update(
    *, type: str, status: bool | None, reason: str, message: str, generation: int | None
) -> ConditionUpdate:
    text: ConditionStatus = "Unknown" if status is None else "True" if status else "False"
    return {"type": type, "status": text, "reason": reason, "message": message, "observedGeneration": generation}


def condition(*, type: str, status: bool | None, reason: str, message: str, generation: int | None) -> Condition:
    """:func:`condition_update` as a plain dict, for the planners that build status dicts."""
    return dict(condition_update(type=type, status=status, reason=reason, message=message, generation=generation))


def merge(existing: Sequence[TypedCondition], updates: Iterable[ConditionUpdate], *, now: str) -> list[TypedCondition]:
    """Typed conditions with ``updates`` applied; other types are kept untouched; sorted by type.

    Worked example: Drifted False since 10:00, update Drifted False at 11:00 keeps 10:00;
    update Drifted True at 11:00 sets 11:00.
    """
    merged = {c.type: c for c in existing}
    for update in updates:
        kind = update["type"]
        previous = merged.get(kind)
        stamp = previous.last_transition_time if previous is not None and previous.status == update["status"] else now
        merged[kind] = TypedCondition.model_validate({**update, "lastTransitionTime": stamp})
    return sorted(merged.values(), key=lambda c: c.type)


def find_condition(conditions: Sequence[TypedCondition], type: str) -> TypedCondition | None:
    return next((c for c in conditions if c.type == type), None)


def merge_conditions(
    existing: Sequence[Condition] | None, updates: Iterable[ConditionUpdate] | Iterable[Condition], *, now: str
) -> list[Condition]:
    """:func:`merge` on status dicts: existing conditions with ``updates`` applied; other types are kept
    untouched."""
    merged = {c["type"]: dict(c) for c in existing or []}
    for update in updates:
        previous = merged.get(update["type"])
        unchanged = previous is not None and previous.get("status") == update["status"]
        stamp = previous.get("lastTransitionTime", now) if previous is not None and unchanged else now
        merged[update["type"]] = {**update, "lastTransitionTime": stamp}
    return sorted(merged.values(), key=lambda c: c["type"])


def find(conditions: Sequence[Condition] | None, type: str) -> Condition | None:
    return next((c for c in conditions or [] if c.get("type") == type), None)
