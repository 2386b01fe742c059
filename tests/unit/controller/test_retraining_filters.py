"""kopf's filters of the RetrainingJob's reconciler read the stored phase unparsed (they see every event):
which RetrainingJobs the timer ticks, which a manual annotation steers, which a retry restarts."""

from __future__ import annotations

from typing import Any

import kopf
import pytest

from modelmon.controller import retraining
from modelmon.controller import rollout


def body(phase: str | None, *, annotations: dict[str, str] | None = None, ran: bool = False) -> kopf.Body:
    status: dict[str, Any] = {"phase": phase} if phase else {}
    if ran:
        status["rollout"] = {"phase": "RolledBack"}
    return kopf.Body(
        {"metadata": {"name": "r", "namespace": "risk", "annotations": annotations or {}}, "status": status}
    )


@pytest.mark.parametrize(
    ("phase", "ticks", "rolls"),
    [
        (None, True, False),
        ("Pending", True, False),
        ("Training", True, False),
        ("Validating", True, False),
        ("RollingOut", True, True),
        ("Succeeded", False, False),
        ("Failed", False, False),
        ("RolledBack", False, False),
        ("Cancelled", False, False),
    ],
)
def test_the_timer_ticks_active_phases_only(phase, ticks, rolls):
    assert retraining._ticking(body(phase)) is ticks
    assert rollout.rolling_out(body(phase)) is rolls


@pytest.mark.parametrize(
    ("phase", "ran", "retried"),
    [
        ("RolledBack", True, True),
        ("Failed", True, True),
        ("Failed", False, False),
        ("Succeeded", True, False),
        ("Cancelled", True, False),
    ],
)
def test_a_retry_restarts_a_rollout_that_ran_and_did_not_succeed(phase, ran, retried):
    assert rollout.steered(body(phase, annotations={"modelmon.io/retry": "1"}, ran=ran)) is retried
    assert not rollout.steered(body(phase, ran=ran))


def test_a_manual_annotation_steers_a_rollout_in_progress():
    assert rollout.steered(body("RollingOut", annotations={"modelmon.io/promote": "1"}))
    assert not rollout.steered(body("Training", annotations={"modelmon.io/promote": "1"}))
