"""Undo: roll a monitor's target back to the previous active model. Pure.

A person (or a GitOps tool) sets ``modelmon.io/undo`` on the ModelMonitor (``modelmon rollout undo
NAME`` does it). The operator then starts a RetrainingJob with ``reason: undo`` and ``spec.restore``:
the first of ``status.previousModels``, rolled out with the monitor's retraining template's rollout
(same strategy, steps and analysis as any promotion), without training or validation. When that
rollout succeeds, the restored model becomes the active model and the one it replaced goes first
into ``previousModels`` -- so a second undo goes forward again, as ``kubectl rollout undo`` does.

The rules, in order:

1. A RetrainingJob of the monitor is active: the undo waits for it (the annotation stays).
2. Nothing was promoted (no ``status.activeModel``), the previous model has no artefact (the spec's
   own model, which modelmon did not train, has no URI to roll out), or the monitor has no
   retraining template with a rollout: the undo is refused with a reason (the annotation goes).
3. Otherwise a RetrainingJob starts; its key names the annotation's value and the model being
   undone, so an operator restarted after creating it finds the same RetrainingJob.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from modelmon.api.retraining import RestoreSpec, TrainedModel
from modelmon.policies import active_model


@dataclasses.dataclass(frozen=True, kw_only=True)
class UndoDecision:
    create: bool
    why: str
    consume_annotation: bool
    key: str | None = None
    restore: RestoreSpec | None = None


def plan_undo(
    *, token: str, status: Mapping[str, Any] | None, active: Sequence[str], rollout_problem: str | None
) -> UndoDecision:
    """Whether an undo starts now (see the module docstring); ``rollout_problem`` says why the monitor
    cannot roll a model out (no retraining template or no rollout in it), or None."""
    if active:
        return UndoDecision(
            create=False, why=f"undo waits: RetrainingJob {active[0]} is still active", consume_annotation=False
        )
    current, previous = active_model.parse(status)
    if current is None:
        return UndoDecision(
            create=False,
            consume_annotation=True,
            why="undo ignored: no model was promoted here (status.activeModel is empty)",
        )
    if not previous:
        return UndoDecision(
            create=False, consume_annotation=True, why=f"undo ignored: no model before {current.version} is recorded"
        )
    target = previous[0]
    if not target.uri or not target.sha256 or not target.version:
        return UndoDecision(
            create=False,
            consume_annotation=True,
            why=(
                f"undo ignored: the previous model {target.version or '(unversioned)'} is the spec's, which modelmon "
                "did not train, so its artefact is unknown; roll the Deployment back with kubectl rollout undo and "
                "set spec.model.version in git"
            ),
        )
    if rollout_problem:
        return UndoDecision(create=False, consume_annotation=True, why=f"undo ignored: {rollout_problem}")
    model = TrainedModel(uri=target.uri, version=target.version, sha256=target.sha256, reference=target.reference)
    restore = RestoreSpec(model=model, baseline=dict(target.baseline), promoted_by=target.retraining_job)
    return UndoDecision(
        create=True,
        consume_annotation=True,
        key=f"undo/{token}/{current.retraining_job}",
        restore=restore,
        why=f"undo: model {current.version} back to {target.version}",
    )
