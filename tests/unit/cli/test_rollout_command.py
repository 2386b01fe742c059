"""modelmon rollout status: what a person watching the rollout reads."""

from __future__ import annotations

from modelmon.cli import rollout_command

BODY = {
    "metadata": {"name": "credit-retrain", "namespace": "ml"},
    "spec": {"rollout": {"targetRef": {"name": "credit"}, "strategy": {"canary": {"steps": [
        {"setWeight": 20}, {"analysis": {"template": "quality"}}, {"pause": {}}]}}}},
    "status": {"phase": "RollingOut", "model": {"version": "2"}, "rollout": {
        "strategy": "canary", "phase": "Paused", "step": 1, "stage": "analysis", "weight": 20,
        "effectiveWeight": 20.0, "canary": {"desired": 1, "ready": 1}, "stable": {"desired": 4, "ready": 4},
        "pausedReason": "AnalysisInconclusive", "message": "step 2/3: analysis quality inconclusive",
        "analysisRuns": [{"template": "quality", "step": 1, "phase": "Inconclusive", "rounds": 1,
                          "message": "accuracy: 1 inconclusive", "measurements": [
                              {"metric": "accuracy", "result": "Inconclusive", "at": "2026-11-23T10:00:00Z",
                               "message": "no series"}]}]}}}


def test_status_shows_step_weights_pause_and_measurements():
    text = rollout_command.render(BODY)
    assert text.splitlines() == [
        "RetrainingJob ml/credit-retrain: RollingOut  model 2 -> Deployment credit",
        "  strategy canary  phase Paused  step 2/3 (analysis: analysis quality)",
        "  weight 20% asked, 20.0% effective  (canary 1/1 ready, stable 4/4 ready)",
        "  PAUSED (AnalysisInconclusive): modelmon rollout promote|retry|abort credit-retrain",
        "  step 2/3: analysis quality inconclusive",
        "  analysis quality (step 2): Inconclusive, 1 round(s) - accuracy: 1 inconclusive",
        "    2026-11-23T10:00:00Z  accuracy         Inconclusive          -  no series",
    ]


def test_status_before_the_rollout_starts():
    body = {"metadata": {"name": "r", "namespace": "ml"}, "spec": {}, "status": {"phase": "Training",
                                                                              "message": "training"}}
    assert rollout_command.render(body) == "RetrainingJob ml/r: Training  model ? -> Deployment ?\n  training"
