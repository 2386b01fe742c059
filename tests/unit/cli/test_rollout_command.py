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


def _body(phase, rollout_phase, message):
    status = {**BODY["status"], "phase": phase,
              "rollout": {**BODY["status"]["rollout"], "phase": rollout_phase, "message": message,
                          "pausedReason": None}}
    return {**BODY, "status": status}


def test_watch_prints_each_change_once_and_exits_4_on_rollback(monkeypatch, capsys):
    from modelmon.k8s import objects

    seen = [_body("RollingOut", "Progressing", "step 1"), _body("RollingOut", "Progressing", "step 1"),
            _body("RollingOut", "RollingBack", "rolling back"), _body("RolledBack", "RolledBack", "rolled back")]
    monkeypatch.setattr(objects, "get_retraining_job", lambda namespace, name: seen.pop(0))
    code = rollout_command.run(rollout_command_args("status", watch=True))
    out = capsys.readouterr().out
    assert code == rollout_command.EXIT_FAILED and not seen
    assert out.count("  step 1\n") == 1 and "rolling back" in out, "an unchanged view is not printed again"
    assert "RetrainingJob ml/credit-retrain: RolledBack" in out


def test_promote_full_sets_the_annotation(monkeypatch, capsys):
    from modelmon.k8s import objects
    from modelmon.k8s import rollout as k8s

    calls = []
    monkeypatch.setattr(objects, "get_retraining_job", lambda namespace, name: BODY)
    monkeypatch.setattr(k8s, "set_annotation", lambda *args: calls.append(args))
    assert rollout_command.run(rollout_command_args("promote", full=True)) == 0
    assert calls == [("ml", "credit-retrain", "modelmon.io/promote-full", "true")]


def test_unknown_retrainingjob(monkeypatch, capsys):
    from modelmon.k8s import objects

    monkeypatch.setattr(objects, "get_retraining_job", lambda namespace, name: None)
    assert rollout_command.run(rollout_command_args("abort")) == rollout_command.EXIT_NOT_FOUND
    assert "RetrainingJob ml/credit-retrain not found" in capsys.readouterr().err


def rollout_command_args(action, *, watch=False, full=False):
    import argparse

    return argparse.Namespace(action=action, name="credit-retrain", namespace="ml", watch=watch, full=full,
                              interval=0.0)


def test_without_a_cluster_it_says_so_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    from modelmon.cli import main
    from modelmon.k8s import client

    # An earlier test in the same process may have configured a client for a live cluster.
    monkeypatch.setattr(client, "_client", None)

    assert main(["rollout", "status", "credit-retrain-1"]) == 6  # exit_codes.NO_CLUSTER (docs/cli.md)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "set KUBECONFIG" in err and "Traceback" not in err
