"""The RetrainingJob step planner: one phase change per step, with the exact status patch."""

from __future__ import annotations

import json

import pytest

from modelmon.api.retraining import MonitorRetrainingStatus, RetrainingJobSpec, RetrainingJobStatus
from modelmon.policies.retraining_job import JobState, Observed, Termination, monitor_view, plan_step

NOW = "2026-03-10T12:00:00Z"
SHA = "a" * 64
CONTAINERS = {"spec": {"template": {"spec": {"containers": [{"name": "train", "image": "trainer:1"}]}}}}
MONITOR = {"metadata": {"name": "credit"},
           "spec": {"model": {"name": "credit", "version": "1.4"}, "performance": {"baseline": {"accuracy": 0.8}}}}


def spec(**changes) -> RetrainingJobSpec:
    return RetrainingJobSpec.model_validate({"monitorRef": {"name": "credit"}, "reason": "drift",
                                             "jobTemplate": CONTAINERS, **changes})


def step(status, *, s=None, monitor=MONITOR, job=None, admitted=False, note="", error=None):
    # as the controller does: the stored status parsed once
    return plan_step(spec=s if s is not None or error else spec(), spec_error=error,
                     status=RetrainingJobStatus.model_validate(status), generation=1,
                     job_name="r-train", observed=Observed(monitor=monitor, job=job, admitted=admitted, queue_note=note),
                     now=NOW)


def result(**metrics) -> str:
    return json.dumps({"modelUri": "s3://m/2", "version": "2", "sha256": SHA, "metrics": metrics or {"accuracy": 0.9}})


def done(message: str | None = None, *, outcome="Complete", reason=None, code=0) -> JobState:
    return JobState(name="r-train", outcome=outcome, failure_reason=reason,
                    termination=Termination(exit_code=code, reason="Completed" if code == 0 else "Error", message=message))


def test_new_becomes_pending_with_previous_model_and_lineage():
    planned = step({})
    assert planned.status == {"phase": "Pending", "reason": "Queued", "message": "queued for training (medium priority)",
                              "observedGeneration": 1, "queuedAt": NOW,
                              "previousModel": {"name": "credit", "version": "1.4"},
                              "lineage": {"parentVersion": "1.4"}}
    assert planned.event == ("Normal", "Queued", "queued for training (medium priority)")
    assert not planned.create_job


def test_missing_monitor_fails_with_the_fix():
    planned = step({}, monitor=None)
    assert planned.status["phase"] == "Failed" and planned.status["reason"] == "MonitorNotFound"
    assert planned.status["message"].startswith("ModelMonitor credit does not exist in this namespace: create it or fix "
                                                "spec.monitorRef.name")
    assert [(c["type"], c["status"]) for c in planned.status["conditions"]] == [("Complete", "False"), ("Failed", "True")]
    assert planned.event[0] == "Warning"


def test_pending_waits_for_a_slot_and_updates_only_the_message():
    planned = step({"phase": "Pending", "observedGeneration": 1}, note="2 of 2 running; place 3 of 4 in the queue")
    assert planned.status == {"message": "waiting for a training slot: 2 of 2 running; place 3 of 4 in the queue"}
    assert planned.event is None and not planned.create_job
    again = step({"phase": "Pending", "observedGeneration": 1, "message": planned.status["message"]},
                 note="2 of 2 running; place 3 of 4 in the queue")
    assert again.status == {}


def test_admitted_creates_the_job_and_starts_training():
    planned = step({"phase": "Pending"}, admitted=True)
    assert planned.create_job
    assert planned.status == {"phase": "Training", "reason": "JobCreated", "message": "training: Job r-train created",
                              "observedGeneration": 1, "jobName": "r-train", "startTime": NOW}


def test_a_job_created_before_a_restart_is_adopted_not_created_again():
    planned = step({"phase": "Pending"}, job=JobState(name="r-train", outcome=None))
    assert not planned.create_job and planned.status["phase"] == "Training"
    assert "found (created before a restart)" in planned.status["message"]


def test_training_running_changes_nothing_twice():
    status = {"phase": "Training", "jobName": "r-train", "observedGeneration": 1}
    first = step(status, job=JobState(name="r-train", outcome=None))
    assert first.status == {"message": "training: Job r-train running"} and first.event is None
    assert step({**status, **first.status}, job=JobState(name="r-train", outcome=None)).status == {}


def test_completed_job_moves_to_validating_with_the_model():
    planned = step({"phase": "Training", "jobName": "r-train"}, job=done(result(accuracy=0.91)))
    assert planned.status["phase"] == "Validating"
    assert planned.status["model"] == {"uri": "s3://m/2", "version": "2", "sha256": SHA, "metrics": {"accuracy": 0.91}}
    assert planned.event == ("Normal", "TrainingFinished", "training finished: model 2 at s3://m/2; validating")


def test_completed_job_with_a_bad_message_fails():
    planned = step({"phase": "Training", "jobName": "r-train"}, job=done("oops"))
    assert (planned.status["phase"], planned.status["reason"]) == ("Failed", "InvalidResult")
    assert planned.status["message"].startswith("Job r-train completed but the termination message is not JSON")


def test_failed_job_reports_exit_code_and_message():
    planned = step({"phase": "Training", "jobName": "r-train"},
                   job=done("CUDA out of memory\n  at step 7", outcome="Failed", reason="BackoffLimitExceeded", code=137))
    assert planned.status["reason"] == "TrainingFailed"
    assert planned.status["message"] == ("the training Job r-train failed (BackoffLimitExceeded): the training container "
                                         "exited with code 137 (Error); its message: CUDA out of memory at step 7")


def test_deadline_exceeded_says_how_to_fix_it():
    planned = step({"phase": "Training", "jobName": "r-train"},
                   job=JobState(name="r-train", outcome="Failed", failure_reason="DeadlineExceeded",
                                failure_message="Job was active longer than specified deadline"))
    assert planned.status["reason"] == "DeadlineExceeded"
    assert "raise jobTemplate.spec.activeDeadlineSeconds" in planned.status["message"]


def test_lost_job_fails():
    planned = step({"phase": "Training", "jobName": "r-train"}, job=None)
    assert planned.status["reason"] == "JobLost" and "was deleted before it finished" in planned.status["message"]


def test_a_long_failure_message_is_cut():
    planned = step({"phase": "Training"}, job=done("x" * 5000, outcome="Failed", code=1))
    assert planned.status["message"].endswith("x" * 512 + "...")


VALIDATING = {"phase": "Validating", "jobName": "r-train",
              "model": {"uri": "s3://m/2", "version": "2", "sha256": SHA, "metrics": {"accuracy": 0.83}}}


def test_validation_passed_succeeds():
    planned = step(VALIDATING, s=spec(validation={"metrics": [{"name": "accuracy", "minDeltaFromBaseline": 0.0}]}))
    assert planned.status["phase"] == "Succeeded" and planned.status["reason"] == "ValidationPassed"
    assert planned.status["validation"] == ["accuracy 0.83 - baseline 0.8 = +0.03 >= +0 (untested: the training "
                                            "result reports no validationSamples, so the margin could not be "
                                            "tested): pass"]
    assert planned.status["completionTime"] == NOW
    assert {c["type"]: c["status"] for c in planned.status["conditions"]} == {"Complete": "True", "Validated": "True"}
    assert planned.status["message"] == "model 2 validated (1 bound(s) met); ready at s3://m/2"


def test_validation_failed_fails_and_says_production_is_unchanged():
    planned = step(VALIDATING, s=spec(validation={"metrics": [{"name": "accuracy", "min": 0.9}]}))
    assert planned.status["reason"] == "ValidationFailed"
    assert planned.status["message"] == ("model 2 failed validation: accuracy 0.83 >= min 0.9: FAIL; "
                                         "the model in production is unchanged")
    assert {c["type"]: c["status"] for c in planned.status["conditions"]} == {
        "Complete": "False", "Failed": "True", "Validated": "False"}


def test_with_a_rollout_it_stops_at_rolling_out():
    rollout = {"targetRef": {"name": "credit"}, "handover": {"env": {}},
               "strategy": {"canary": {"steps": [{"setWeight": 20}]}}}
    planned = step(VALIDATING, s=spec(rollout=rollout))
    assert planned.status["phase"] == "RollingOut" and "completionTime" not in planned.status
    assert planned.event[1] == "RolloutRequested"
    assert step({**VALIDATING, "phase": "RollingOut", "observedGeneration": 1}).status == {}


def test_baseline_read_defensively_from_a_monitor_without_performance():
    monitor = {"metadata": {"name": "credit"}, "spec": {"model": {"name": "credit"}, "performance": "bogus"}}
    planned = step(VALIDATING, s=spec(validation={"metrics": [{"name": "accuracy", "minDeltaFromBaseline": 0}]}),
                   monitor=monitor)
    assert planned.status["phase"] == "Failed" and "no spec.performance.baseline.accuracy" in planned.status["message"]


@pytest.mark.parametrize("phase", ["Pending", "Training", "Validating"])
def test_suspend_cancels_and_deletes_the_job(phase):
    planned = step({"phase": phase}, s=spec(suspend=True), job=JobState(name="r-train", outcome=None))
    assert planned.status["phase"] == "Cancelled" and planned.delete_job
    assert {c["type"]: c["status"] for c in planned.status["conditions"]} == {"Suspended": "True"}


@pytest.mark.parametrize("phase", ["Succeeded", "Failed", "Cancelled", "RolledBack"])
def test_finished_is_final(phase):
    assert step({"phase": phase, "observedGeneration": 1}, s=spec(suspend=True), job=None).status == {}


def test_invalid_spec_fails_naming_the_field():
    planned = step({}, error="spec.jobTemplate: containers must list the training container")
    assert planned.status["reason"] == "InvalidSpec"
    assert planned.status["message"] == "invalid spec: spec.jobTemplate: containers must list the training container"


def view(status: dict, memory: dict | None, *, reason: str = "drift") -> dict:
    """monitor_view as the controller calls it: both statuses parsed into their models."""
    return monitor_view(name="r", spec_reason=reason, status=RetrainingJobStatus.model_validate(status), created="t0",
                        monitor_retraining=MonitorRetrainingStatus.model_validate(memory) if memory is not None else None)


def test_monitor_view_active_then_last():
    active = view({"phase": "Training"}, {})
    assert active == {"active": {"name": "r", "phase": "Training", "reason": "drift", "startedAt": "t0"}}
    assert view({"phase": "Training"}, active) == {}
    finished = view({"phase": "Failed", "message": "m", "completionTime": "t1"}, active)
    assert finished == {"active": None, "last": {"name": "r", "phase": "Failed", "reason": "drift", "finishedAt": "t1",
                                                 "message": "m", "model": None}}


def test_monitor_view_leaves_another_active_one_alone():
    other = {"active": {"name": "newer", "phase": "Pending"}}
    patch = view({"phase": "Succeeded"}, other, reason="manual")
    assert "active" not in patch and patch["last"]["name"] == "r"


def test_validation_samples_travel_from_the_result_to_the_significance_test():
    """The training result's validationSamples are kept in status.model, so the Validating step
    (after any restart) tests the margin: +3 points over 0.8 on 100 rows is not significant."""
    message = json.dumps({"modelUri": "s3://m/2", "version": "2", "sha256": SHA, "metrics": {"accuracy": 0.83},
                          "validationSamples": 100})
    trained = step({"phase": "Training", "jobName": "r-train"}, job=done(message))
    assert trained.status["model"]["validationSamples"] == 100
    validating = {"phase": "Validating", "jobName": "r-train", "model": trained.status["model"]}
    planned = step(validating, s=spec(validation={"metrics": [{"name": "accuracy", "minDeltaFromBaseline": 0.0}]}))
    assert planned.status["reason"] == "ValidationFailed"
    assert "one-sided z-test (z=0.75) of accuracy > 0.8 on n=100: p=0.23 > 0.05: FAIL" in planned.status["message"]
