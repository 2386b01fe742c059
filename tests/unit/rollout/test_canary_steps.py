"""The canary state machine stepped directly, with a world that plays the Deployment controller."""

from __future__ import annotations

import json

import pytest

from modelmon.api.rollout import ABORT, PROMOTE, PROMOTE_FULL, RETRY, RolloutStatus
from modelmon.rollout import machine
from modelmon.rollout.observations import DeleteTrack, EnsureTrack, SetHandover

from rollout_world import MODEL, OLD, World, canary_spec

NEW = {"env:MODEL_URI": MODEL["uri"], "env:MODEL_VERSION": "2"}
STEPS = [{"setWeight": 20}, {"pause": {"duration": "1m"}}, {"analysis": {"template": "quality"}},
         {"setWeight": 50}, {"pause": {}}]


def test_status_always_fits_the_crd_model():
    world = World(canary_spec(STEPS))
    for _ in range(8):
        world.step(seconds=30, measure={"accuracy": 0.9})
        RolloutStatus.model_validate(world.state)  # extra=forbid: a misspelled key would be pruned by the API


def test_first_step_creates_the_canary_at_the_rounded_weight():
    world = World(canary_spec(STEPS))
    plan = world.step()
    assert plan.actions[0] == EnsureTrack(track="canary", replicas=1)  # 20% beside 4 stable: c = 20*4/80 = 1
    assert world.state["phase"] == "Progressing" and world.state["stage"] == "setWeight"
    assert world.state["weight"] == 20
    assert world.reasons() == ["RolloutStarted", "WeightSet"]
    assert not any(isinstance(a, SetHandover) for a in plan.actions), "the target is untouched until promotion"


def test_good_canary_walks_every_step_and_is_promoted():
    world = World(canary_spec(STEPS))
    world.step()                                   # start, setWeight 20
    world.step()                                   # canary ready
    assert world.state["effectiveWeight"] == 20.0 and world.state["stage"] == "pause"
    world.step(seconds=30)
    assert world.state["stage"] == "pause", "a 1m pause is not over after 30s"
    world.step(seconds=31)
    assert world.state["stage"] == "analysis"
    for _ in range(3):
        world.step(seconds=30, measure={"accuracy": 0.9})
    assert world.state["stage"] == "setWeight" and world.state["weight"] == 50
    world.step()                                   # 4 canary ready beside 4 stable
    assert world.state["effectiveWeight"] == 50.0
    assert world.state["phase"] == "Paused" and world.state["pausedReason"] == "Paused"
    world.step(seconds=3600)
    assert world.state["phase"] == "Paused", "an indefinite pause waits for a person"
    assert world.target_changes == 0
    world.annotations.add(PROMOTE)
    world.step()
    assert world.state["phase"] == "Promoting" and world.state["previousHandover"] == OLD
    assert PROMOTE not in world.annotations
    assert world.target is not None and dict(world.target.handover) == NEW
    world.step()                                   # target rolled out -> Finalizing, canary deleted
    world.step()
    plan = world.plans[-1]
    assert world.state["phase"] == "Succeeded" and world.track is None
    assert plan.outcome is not None and plan.outcome.phase == "Succeeded" and plan.outcome.reason == "RolledOut"
    run = world.state["analysisRuns"][-1]
    assert run["phase"] == "Successful" and run["rounds"] == 3 and len(run["measurements"]) == 3
    assert [m["value"] for m in run["measurements"]] == [0.9, 0.9, 0.9]


def test_failed_analysis_rolls_back_and_never_touches_the_target():
    world = World(canary_spec([{"setWeight": 25}, {"analysis": {"template": "quality"}}]))
    world.step()
    world.step()
    world.step(seconds=1, measure={"accuracy": 0.7})
    assert world.state["phase"] == "RollingBack" and world.state["abortReason"] == "AnalysisFailed"
    assert DeleteTrack() in world.plans[-1].actions
    world.step()
    assert world.state["phase"] == "RolledBack"
    assert world.plans[-1].outcome.phase == "RolledBack" and world.plans[-1].outcome.reason == "AnalysisFailed"
    assert world.target_changes == 0 and dict(world.target.handover) == OLD
    measurement = world.state["analysisRuns"][-1]["measurements"][0]
    assert measurement["result"] == "Failed" and "below min 0.8" in measurement["message"]


@pytest.mark.parametrize("value", [None, float("nan")], ids=["no-data", "nan"])
def test_no_data_or_nan_is_inconclusive_and_pauses_for_a_person(value):
    world = World(canary_spec([{"setWeight": 25}, {"analysis": {"template": "quality"}}]))
    world.step()
    world.step()
    world.step(seconds=1, measure={"accuracy": value})
    assert world.state["phase"] == "Paused" and world.state["pausedReason"] == "AnalysisInconclusive"
    assert world.state["analysisRuns"][-1]["measurements"][0]["result"] == "Inconclusive"
    world.step(seconds=600, measure={"accuracy": 0.99})
    assert world.state["phase"] == "Paused", "nothing is measured or decided while paused"
    assert world.target_changes == 0


def test_retry_reruns_an_inconclusive_analysis():
    world = World(canary_spec([{"setWeight": 25}, {"analysis": {"template": "quality"}}]))
    world.step()
    world.step()
    world.step(seconds=1, measure={"accuracy": None})
    world.annotations.add(RETRY)
    world.step(seconds=5)
    assert world.state["phase"] == "Progressing" and world.reasons()[-2:] == ["Retried", "AnalysisStarted"]
    assert len(world.state["analysisRuns"]) == 2 and world.state["analysisRuns"][-1]["phase"] == "Running"
    for _ in range(3):
        world.step(seconds=30, measure={"accuracy": 0.95})
    assert world.state["phase"] == "Promoting"


def test_inconclusive_within_limit_never_passes_a_metric_without_a_success():
    spec = canary_spec([{"analysis": {"template": "quality"}}],
                       analysisTemplates=[{"name": "quality", "interval": "10s", "count": 2, "inconclusiveLimit": 5,
                                           "metrics": [{"name": "accuracy", "min": 0.8, "prometheus": {
                                               "address": "http://p:9090", "query": "q"}}]}])
    world = World(spec)
    world.step()
    world.step(seconds=10, measure={"accuracy": None})
    world.step(seconds=10, measure={"accuracy": None})
    assert world.state["phase"] == "Paused"
    assert "no successful measurement" in world.state["analysisRuns"][-1]["message"]


def test_errors_beyond_their_limit_fail_the_rollout():
    world = World(canary_spec([{"analysis": {"template": "quality"}}]))
    world.step()
    for _ in range(3):  # errorLimit 2 tolerates two
        world.step(seconds=30, errors={"accuracy": "connection refused"})
    assert world.state["phase"] == "RollingBack" and world.state["abortReason"] == "AnalysisError"


def test_progress_deadline_aborts_a_canary_that_never_becomes_ready():
    world = World(canary_spec([{"setWeight": 50}]), ready_limit=0)
    world.step()
    world.step(seconds=200)
    assert world.state["phase"] == "Progressing"
    world.step(seconds=200)
    assert world.state["phase"] == "RollingBack" and world.state["abortReason"] == "ProgressDeadlineExceeded"
    assert "0 of 4 canary replica(s) ready" in world.state["message"]
    world.step()
    assert world.state["phase"] == "RolledBack"


def test_deadline_counts_from_the_last_progress_not_from_the_step_start():
    world = World(canary_spec([{"setWeight": 75}]), replicas=4, ready_limit=5)
    world.step()  # 12 canary replicas wanted, 5 become ready
    world.step(seconds=200)
    world.ready_limit = 9
    world.step(seconds=200)  # progress at 400s: ready 5 -> 9
    world.step(seconds=200)  # 200s since progress: within 5m
    assert world.state["phase"] == "Progressing"


def test_deadline_during_promotion_restores_the_previous_handover():
    world = World(canary_spec([{"setWeight": 20}]), target_stuck=True)
    world.run_until_final()
    assert world.state["phase"] == "RolledBack" and world.state["abortReason"] == "ProgressDeadlineExceeded"
    assert dict(world.target.handover) == OLD and world.track is None


def test_abort_rolls_back_from_any_step():
    world = World(canary_spec(STEPS))
    world.step()
    world.step()
    world.annotations.add(ABORT)
    world.step()
    assert world.state["phase"] == "RollingBack" and world.state["abortReason"] == "Aborted"
    assert ABORT not in world.annotations
    world.step()
    assert world.state["phase"] == "RolledBack" and world.target_changes == 0


def test_promote_full_skips_every_remaining_step():
    world = World(canary_spec(STEPS))
    world.step()
    world.annotations.add(PROMOTE_FULL)
    world.step()
    assert world.state["phase"] == "Promoting" and "PromotedFull" in world.reasons()
    world.run_until_final()
    assert world.state["phase"] == "Succeeded" and dict(world.target.handover) == NEW


def test_retry_restarts_a_rolled_back_rollout():
    world = World(canary_spec([{"setWeight": 20}, {"analysis": {"template": "quality"}}]))
    world.step()
    world.step()
    world.step(seconds=1, measure={"accuracy": 0.1})
    world.step()
    assert world.state["phase"] == "RolledBack"
    world.annotations.add(RETRY)
    plan = world.step(seconds=60)
    assert plan.restarted and world.state["phase"] == "Progressing" and world.state["step"] == 0
    assert world.state["analysisRuns"][0]["phase"] == "Failed", "the failed run stays in the history"


def test_a_restart_mid_step_resumes_from_the_persisted_status():
    world = World(canary_spec(STEPS))
    world.step()
    world.step()
    world.step(seconds=61)
    world.step(seconds=1, measure={"accuracy": 0.9})
    persisted = json.loads(json.dumps(world.state))  # what the API server keeps
    fresh = World(canary_spec(STEPS), state=persisted, now=world.now, track=world.track)
    fresh.step(seconds=30, measure={"accuracy": 0.9})
    fresh.step(seconds=30, measure={"accuracy": 0.9})
    assert fresh.state["stage"] == "setWeight" and fresh.state["weight"] == 50
    assert fresh.state["analysisRuns"][-1]["rounds"] == 3, "the run resumed at its second round"


def test_a_missing_target_fails_the_rollout_without_creating_anything():
    world = World(canary_spec(STEPS))
    world.target = None
    world.step()
    world.step()
    assert world.state["phase"] == "Failed"
    assert world.plans[-1].outcome.reason == "TargetNotFound"
    assert "does not exist" in world.plans[-1].outcome.message
    assert not any(isinstance(a, EnsureTrack) for a in world.actions)


def test_every_step_is_an_event():
    world = World(canary_spec(STEPS))
    while world.state is None or world.state["phase"] not in machine.FINAL:
        world.step(seconds=30, measure={"accuracy": 0.9})
        if world.state["phase"] == "Paused":
            world.annotations.add(PROMOTE)
    reasons = world.reasons()
    assert reasons[0] == "RolloutStarted" and reasons[-1] == "RolledOut"
    for reason in ("WeightSet", "Promoted", "Paused", "PauseEnded", "AnalysisStarted", "AnalysisSuccessful",
                   "Promoting"):
        assert reason in reasons
    assert machine.FINAL >= {world.state["phase"]}


def test_effective_weight_follows_the_ready_pods_and_is_100_once_promoted():
    world = World(canary_spec([{"setWeight": 30}]), ready_limit=1)
    world.step()
    world.step()
    assert world.state["canary"] == {"desired": 2, "ready": 1}  # 30% beside 4: 1.71 -> 2 replicas
    assert world.state["effectiveWeight"] == 20.0  # 1 of 5 ready pods, not the 30% asked
    world.ready_limit = None
    world.step()
    world.step()
    assert world.state["effectiveWeight"] == 33.3
    world.run_until_final()
    assert world.state["phase"] == "Succeeded" and world.state["effectiveWeight"] == 100.0


def test_retry_does_not_restart_a_succeeded_rollout():
    world = World(canary_spec([{"setWeight": 20}]))
    world.run_until_final()
    world.annotations.add(RETRY)
    plan = world.step()
    assert world.state["phase"] == "Succeeded" and not plan.restarted and not plan.actions


def test_steps_removed_from_the_spec_mid_rollout_lead_to_promotion_not_a_crash():
    world = World(canary_spec(STEPS))
    world.step()
    world.step()
    world.step(seconds=61)
    assert world.state["step"] == 2
    world.spec = canary_spec([{"setWeight": 20}])
    world.step()
    assert world.state["phase"] == "Promoting"


def test_a_strategy_changed_mid_rollout_rolls_back():
    world = World(canary_spec(STEPS))
    world.step()
    world.spec = canary_spec([], strategy={"blueGreen": {"activeService": "credit"}})
    world.step()
    assert world.state["phase"] == "RollingBack" and world.state["abortReason"] == "SpecChanged"


def test_manual_annotations_during_rollback_are_consumed_as_ignored():
    world = World(canary_spec([{"setWeight": 20}, {"pause": {}}]))
    world.step()
    world.annotations.add(ABORT)
    world.step()
    assert world.state["phase"] == "RollingBack"
    world.annotations.add(PROMOTE)
    plan = world.step()
    assert plan.consume == [PROMOTE] and world.state["phase"] == "RolledBack"
    assert [e.reason for e in plan.events] == ["ManualActionIgnored", "RolledBack"]


def test_a_canary_name_taken_by_someone_else_fails_without_touching_it():
    from modelmon.rollout.observations import DeploymentState

    world = World(canary_spec([{"setWeight": 20}]))
    world.track = DeploymentState(name="credit-canary", replicas=3, ready=3, owned=False)
    world.apply = lambda action: None  # the glue never changes a Deployment it does not own
    world.step()
    world.step()
    assert world.state["phase"] == "RollingBack" and world.state["abortReason"] == "TargetUnusable"
    assert "not this rollout's canary" in world.state["message"]
    world.step()
    assert world.state["phase"] == "Failed" and world.plans[-1].outcome.phase == "Failed"
