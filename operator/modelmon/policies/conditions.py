"""Merging conditions the Kubernetes way: ``lastTransitionTime`` moves only when status does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Condition = dict[str, Any]


def condition(*, type: str, status: bool | None, reason: str, message: str, generation: int | None) -> Condition:
    text = {True: "True", False: "False", None: "Unknown"}[status]
    return {"type": type, "status": text, "reason": reason, "message": message, "observedGeneration": generation}


def merge_conditions(existing: Sequence[Condition] | None, updates: Iterable[Condition], *, now: str) -> list[Condition]:
    """Existing conditions with ``updates`` applied; other types are kept untouched.

    Worked example: Drifted False since 10:00, update Drifted False at 11:00 keeps 10:00;
    update Drifted True at 11:00 sets 11:00.
    """
    merged = {c["type"]: dict(c) for c in existing or []}
    for update in updates:
        previous = merged.get(update["type"])
        unchanged = previous is not None and previous.get("status") == update["status"]
        stamp = previous.get("lastTransitionTime", now) if previous is not None and unchanged else now
        merged[update["type"]] = {**update, "lastTransitionTime": stamp}
    return sorted(merged.values(), key=lambda c: c["type"])


def find(conditions: Sequence[Condition] | None, type: str) -> Condition | None:
    return next((c for c in conditions or [] if c.get("type") == type), None)
