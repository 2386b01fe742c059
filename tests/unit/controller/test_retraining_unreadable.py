"""The RetrainingJob's reconciler reads the statuses it plans on once, typed (#16); one it cannot read is
told in one log line naming the field, and nothing is planned on a guess."""

from __future__ import annotations

import logging
from typing import Any

import kopf
import pytest

from modelmon.api.retraining import RetrainingJobStatus
from modelmon.controller import retraining
from modelmon.controller.locks import ObjectLocks
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings


def monitor(memory: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "credit", "namespace": "risk", "resourceVersion": "7"},
        "status": {"retraining": memory},
    }


def rtj(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "credit-retrain",
            "namespace": "risk",
            "resourceVersion": "3",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {"monitorRef": {"name": "credit"}, "reason": "drift"},
        "status": status,
    }


@pytest.fixture
def controller() -> retraining.RetrainingController:
    return retraining.RetrainingController(settings=OperatorSettings(), metrics=OperatorMetrics(), locks=ObjectLocks())


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each status the reconciler would write to the monitor (planned on the body it hands over)."""
    planned: list[Any] = []

    def update_status(plural: str, namespace: str, name: str, plan: Any, *, body: dict[str, Any]) -> None:
        planned.append(plan(body))

    monkeypatch.setattr(retraining.status_writes, "update_status", update_status)
    return planned


def test_the_monitors_memory_is_read_once_into_its_model():
    memory, unreadable = retraining.read_memory(
        monitor({"samplesSinceLast": 40, "active": {"name": "a", "phase": "Training"}})
    )
    assert unreadable is None and memory is not None
    assert (memory.samples_since_last, memory.active.name if memory.active else None) == (40, "a")
    assert retraining.read_memory({"status": {}}) == (None, None)


def test_a_finished_job_is_mirrored_into_the_monitor(controller, writes):
    status = RetrainingJobStatus.model_validate({"phase": "Failed", "message": "m", "completionTime": "t1"})
    controller._mirror(rtj({}), status, monitor=monitor({"active": {"name": "credit-retrain", "phase": "Training"}}))
    assert writes == [
        {
            "retraining": {
                "active": None,
                "last": {
                    "name": "credit-retrain",
                    "phase": "Failed",
                    "reason": "drift",
                    "finishedAt": "t1",
                    "message": "m",
                    "model": None,
                },
            }
        }
    ]


def test_a_memory_that_cannot_be_read_is_not_written_over(controller, writes, caplog):
    status = RetrainingJobStatus.model_validate({"phase": "Training"})
    with caplog.at_level(logging.ERROR, logger="modelmon.controller.retraining"):
        controller._mirror(rtj({}), status, monitor=monitor({"samplesSinceLast": "many"}))
    assert writes == [None]  # nothing to write: the plan refused
    (line,) = [r.getMessage() for r in caplog.records]
    assert "risk/credit" in line and "status.retraining.samplesSinceLast" in line and "fix or remove it" in line


def test_a_deleted_job_with_an_unreadable_status_is_left_to_the_garbage_collector(controller, monkeypatch, caplog):
    touched: list[str] = []
    monkeypatch.setattr(retraining.k8s, "delete_job", lambda namespace, name: touched.append(name))
    monkeypatch.setattr(retraining.objects, "get_monitor", lambda namespace, name: touched.append(name))
    with caplog.at_level(logging.ERROR, logger="modelmon.controller.retraining"):
        controller.forget_retraining_job(rtj({"phase": "Trainig", "jobName": "credit-retrain-train"}))
    assert touched == []  # neither its Job deleted nor its monitor told on a guess
    (line,) = [r.getMessage() for r in caplog.records]
    assert "risk/credit-retrain" in line and "status.phase" in line


def test_a_deleted_active_job_stops_its_job_and_tells_the_monitor(controller, monkeypatch, writes):
    deleted: list[str] = []
    monkeypatch.setattr(retraining.k8s, "delete_job", lambda namespace, name: deleted.append(name))
    monkeypatch.setattr(retraining.objects, "get_monitor", lambda namespace, name: monitor({}))
    monkeypatch.setattr(controller, "serve_queue", lambda: deleted.append("(queue served)"))
    controller.forget_retraining_job(rtj({"phase": "Validating", "jobName": "credit-retrain-train"}))
    assert deleted == ["credit-retrain-train", "(queue served)"]
    (told,) = writes
    last = told["retraining"]["last"]
    assert (last["phase"], last["message"]) == ("Cancelled", "deleted while Validating; its training Job was stopped")


def test_triggers_with_an_unreadable_memory_start_nothing_and_keep_the_annotation(controller, monkeypatch, caplog):
    listed: list[str] = []
    monkeypatch.setattr(retraining.k8s, "list_for_monitor", lambda namespace, name: listed.append(name) or [])
    body = monitor({"lastStartedAt": 5})
    body["metadata"].update(uid="u", annotations={"modelmon.io/retrain-now": "ticket-1"})
    body["spec"] = {"retraining": {"enabled": False}}
    patch = kopf.Patch()
    with caplog.at_level(logging.ERROR, logger="modelmon.controller.retraining"):
        controller.evaluate_triggers(body, patch)
    assert listed == [] and not patch  # nothing listed, started, consumed or written
    (line,) = [r.getMessage() for r in caplog.records]
    assert "risk/credit" in line and "status.retraining.lastStartedAt" in line and "fix or remove it" in line


def test_a_promotion_onto_unreadable_models_is_not_planned(controller, writes, caplog):
    status = RetrainingJobStatus.model_validate(
        {
            "phase": "Succeeded",
            "model": {"uri": "s3://m/2", "version": "2", "sha256": "2" * 64},
            "rollout": {
                "strategy": "canary",
                "phase": "Succeeded",
                "startedAt": "t",
                "stepStartedAt": "t",
                "progressAt": "t",
            },
        }
    )
    damaged = monitor({})
    damaged["spec"] = {"model": {"name": "credit", "version": "1"}}
    damaged["status"]["previousModels"] = [{"version": 2}]
    with caplog.at_level(logging.ERROR, logger="modelmon.controller.retraining"):
        controller._promote(rtj({}), status, monitor=damaged)
    assert writes == [None]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "not promoted" in line and "status.previousModels.0.version" in line and "fix or remove it" in line


def test_a_promotion_reads_the_monitors_models_only():
    """Its last check (the largest part of the status) is not parsed for a promotion, so no damage there
    holds a promotion back."""
    body = monitor({})
    body["status"].update(lastCheck={"time": "t"}, activeModel={"version": "1.4", "promotedAt": "t0"})
    models, unreadable = retraining.read_models(body)
    assert unreadable is None and models is not None
    assert models.active_model is not None and models.active_model.version == "1.4" and models.last_check is None


def test_triggers_wait_while_the_active_model_cannot_be_read(controller, monkeypatch, caplog):
    """The cooldown runs from the active model's promotion: a damaged one is not read as none."""
    listed: list[str] = []
    monkeypatch.setattr(retraining.k8s, "list_for_monitor", lambda namespace, name: listed.append(name) or [])
    body = monitor({})
    body["status"]["activeModel"] = {"promotedAt": ["not", "a", "time"]}
    body["metadata"].update(uid="u", annotations={"modelmon.io/retrain-now": "ticket-1"})
    body["spec"] = {"retraining": {"enabled": False}}
    patch = kopf.Patch()
    with caplog.at_level(logging.ERROR, logger="modelmon.controller.retraining"):
        controller.evaluate_triggers(body, patch)
    assert listed == [] and not patch
    (line,) = [r.getMessage() for r in caplog.records]
    assert "risk/credit" in line and "status.activeModel.promotedAt" in line
