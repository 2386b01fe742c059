"""The RetrainingJob status patch of a tick: removed keys are sent as null; the outcome ends it."""

from __future__ import annotations

from modelmon.api.retraining import RetrainingJobStatus
from modelmon.api.rollout import RolloutStatus
from modelmon.rollout import completion
from modelmon.rollout.observations import Outcome, Plan


def stored(status):
    """A RetrainingJob's status as the controller parses it."""
    return RetrainingJobStatus.model_validate(status)


def rollout(**fields):
    """A planned status.rollout: these fields over a canary started at t0."""
    return RolloutStatus.model_validate({"strategy": "canary", "startedAt": "t0", "stepStartedAt": "t0",
                                         "progressAt": "t0", **fields})


def test_keys_that_went_are_deleted_and_unchanged_ones_not_sent():
    old = {"phase": "Paused", "pausedReason": "AnalysisInconclusive", "step": 1, "message": "paused"}
    new = {"phase": "Progressing", "step": 1, "message": "retried"}
    assert completion.rollout_patch(old, new) == {"pausedReason": None, "phase": "Progressing", "message": "retried"}


def test_outcome_sets_the_phase_conditions_and_completion_time():
    plan = Plan(state=rollout(phase="RolledBack"), outcome=Outcome(phase="RolledBack", reason="AnalysisFailed",
                                                                message="rolled back"))
    status = {"phase": "RollingOut", "conditions": [{"type": "Validated", "status": "True", "reason": "V",
                                                     "message": "", "lastTransitionTime": "t0"}]}
    patch = completion.status_patch(stored(status), plan, generation=2, now="t1")
    assert patch["phase"] == "RolledBack" and patch["reason"] == "AnalysisFailed" and patch["completionTime"] == "t1"
    assert [(c["type"], c["status"], c["reason"], c["lastTransitionTime"]) for c in patch["conditions"]] == [
        ("Complete", "False", "AnalysisFailed", "t1"), ("Validated", "True", "V", "t0")]
    failed = completion.status_patch(stored(status), Plan(state=rollout(phase="Failed"), outcome=Outcome(
        phase="Failed", reason="TargetNotFound", message="no target")), generation=2, now="t1")
    assert ("Failed", "True") in [(c["type"], c["status"]) for c in failed["conditions"]]


def test_a_retried_rollout_is_rolling_out_again():
    patch = completion.status_patch(stored({"phase": "RolledBack", "completionTime": "t0"}),
                                    Plan(state=rollout(phase="Progressing", message="retried"), restarted=True),
                                    generation=1, now="t1")
    assert patch["phase"] == "RollingOut" and patch["completionTime"] is None and patch["reason"] == "RolloutRetried"


def test_a_pause_for_a_person_is_a_condition():
    paused = Plan(state=rollout(phase="Paused", pausedReason="AnalysisInconclusive", message="no data"))
    patch = completion.status_patch(stored({"rollout": rollout(phase="Progressing").wire()}), paused, generation=3,
                                    now="t1")
    assert patch["conditions"] == [{"type": "Paused", "status": "True", "reason": "AnalysisInconclusive",
                                    "message": "no data", "observedGeneration": 3, "lastTransitionTime": "t1"}]
    still = completion.status_patch(stored({"rollout": rollout(phase="Paused").wire(), "conditions": patch["conditions"]}), paused,
                                    generation=3, now="t2")
    assert "conditions" not in still, "written once, not every tick"
    resumed = completion.status_patch(stored({"rollout": rollout(phase="Paused").wire(), "conditions": patch["conditions"]}),
                                      Plan(state=rollout(phase="Progressing")), generation=3, now="t3")
    assert [(c["type"], c["status"], c["reason"]) for c in resumed["conditions"]] == [("Paused", "False", "Resumed")]
