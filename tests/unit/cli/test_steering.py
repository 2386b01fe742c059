"""When the CLI refuses promote, abort, retry and ack: exactly where the operator would ignore them."""

from __future__ import annotations

import pytest

from modelmon.cli import steering


def job(phase, rollout_phase=None, paused_reason=None):
    status = {"phase": phase}
    if rollout_phase:
        status["rollout"] = {"phase": rollout_phase, "pausedReason": paused_reason}
    return {"metadata": {"name": "r"}, "status": status}


ALLOWED = {
    # (phase, rollout phase, paused reason): the actions that act
    ("Training", None, None): set(),
    ("RollingOut", "Progressing", None): {"promote", "promote-full", "abort"},
    ("RollingOut", "Paused", "Paused"): {"promote", "promote-full", "abort"},
    ("RollingOut", "Paused", "AnalysisInconclusive"): {"promote", "promote-full", "abort", "retry"},
    ("RollingOut", "Promoting", None): {"abort"},
    ("RollingOut", "RollingBack", None): set(),
    ("Succeeded", "Succeeded", None): set(),
    ("RolledBack", "RolledBack", None): {"retry"},
    ("Failed", "RolledBack", None): {"retry"},
    ("Failed", None, None): set(),  # failed in training: no rollout to restart
}


@pytest.mark.parametrize("state", list(ALLOWED), ids=["-".join(filter(None, s)) for s in ALLOWED])
def test_refusals_follow_the_state_machine(state):
    body = job(*state)
    acting = {a for a in ("promote", "promote-full", "abort", "retry") if steering.refusal(a, body) is None}
    assert acting == ALLOWED[state]


def test_a_refusal_says_where_it_is_and_what_the_action_needs():
    assert steering.refusal("promote", job("RollingOut", "RollingBack")) == (
        "RetrainingJob r is RollingOut (rollout RollingBack): promote acts only on a rollout that is Progressing or Paused"
    )
    assert (
        steering.refusal("abort", job("Succeeded"))
        == "RetrainingJob r is Succeeded: abort acts only on a rollout in progress"
    )


def test_ack_merges_into_the_annotation_and_names_unknown_ids():
    alerts = [{"id": "a", "state": "firing"}, {"id": "b", "state": "firing"}, {"id": "old", "state": "resolved"}]
    assert steering.acknowledgement("a", ["b", "a"], alerts) == ("a,b", [])
    assert steering.acknowledgement(None, ["old", "zz"], alerts) == ("old,zz", ["old", "zz"])
    assert steering.acknowledgement(" x , ", ["a"], alerts) == ("x,a", [])
