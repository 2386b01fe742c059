"""Listed RetrainingJobs read once into typed summaries, and training Jobs read as the client's objects (#16):
what the queue, the triggers and the history see of them, and a status that cannot be read."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from kubernetes import client as k8s_client

from modelmon.k8s import retraining

MONITOR_UID = "uid-of-the-monitor"


def rtj(
    name: str, *, phase: str | None = None, created: str = "2026-01-01T00:00:00Z", monitor: str = "credit", **extra: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "risk",
        "uid": f"uid-{name}",
        "creationTimestamp": created,
        "ownerReferences": [{"uid": MONITOR_UID}],
    }
    meta.update(extra.pop("meta", {}))
    status = {"phase": phase} if phase else {}
    status.update(extra.pop("status", {}))
    return {"metadata": meta, "spec": {"monitorRef": {"name": monitor}, **extra}, "status": status}


def listed(*items: dict[str, Any]) -> list[retraining.ListedJob]:
    return [job for job in map(retraining.read_listed, items) if job is not None]


def test_the_queue_holds_pending_jobs_without_a_training_job_and_not_suspended_or_deleted():
    items = listed(
        rtj("new"),
        rtj("waiting", phase="Pending", priority="critical"),
        rtj("training", phase="Training"),
        rtj("suspended", phase="Pending", suspend=True),
        rtj("started", phase="Pending", status={"jobName": "j"}),
        rtj("going", phase="Pending", meta={"deletionTimestamp": "2026-01-02T00:00:00Z"}),
    )
    queued = retraining.queued(items)
    assert [(j.name, j.priority, j.monitor, j.created) for j in queued] == [
        ("new", "medium", "credit", "2026-01-01T00:00:00Z"),
        ("waiting", "critical", "credit", "2026-01-01T00:00:00Z"),
    ]


def test_a_monitor_is_busy_while_one_of_its_jobs_trains_validates_or_rolls_out():
    items = listed(
        rtj("a", phase="Training"),
        rtj("b", phase="RollingOut", monitor="churn"),
        rtj("c", phase="Pending", monitor="fraud"),
        rtj("d", phase="Succeeded", monitor="ads"),
        rtj("e", phase="Validating", monitor="gone", meta={"deletionTimestamp": "t"}),
    )
    assert retraining.busy_monitors(items) == {("risk", "credit"): "a", ("risk", "churn"): "b"}


def test_active_names_are_oldest_first_and_a_job_without_a_phase_is_pending():
    items = listed(
        rtj("late", phase="Training", created="2026-01-03T00:00:00Z"),
        rtj("fresh"),
        rtj("done", phase="Failed"),
        rtj("early", phase="RollingOut", created="2025-12-31T00:00:00Z"),
        rtj("deleted", phase="Pending", meta={"deletionTimestamp": "t"}),
    )
    assert retraining.active_names(items) == ["early", "fresh", "late"]


def test_past_jobs_carry_phase_times_and_ownership():
    items = listed(
        rtj("mine", phase="Succeeded", status={"completionTime": "2026-01-02T00:00:00Z"}),
        rtj("by-hand", meta={"ownerReferences": []}),
    )
    past = retraining.past_jobs(items, monitor_uid=MONITOR_UID)
    assert [(p.name, p.uid, p.phase, p.completed, p.created, p.owned, p.deleting) for p in past] == [
        ("mine", "uid-mine", "Succeeded", "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", True, False),
        ("by-hand", "uid-by-hand", None, None, "2026-01-01T00:00:00Z", False, False),
    ]


def test_a_status_that_cannot_be_read_is_passed_by_with_one_line_naming_the_field(caplog):
    damaged = rtj("damaged", phase="Trainig")
    with caplog.at_level(logging.ERROR, logger="modelmon.k8s.retraining"):
        items = listed(damaged, rtj("fine", phase="Pending"))
    assert [job.name for job in items] == ["fine"]  # never queued, busy, active or pruned on a guess
    (line,) = [r.getMessage() for r in caplog.records]
    assert "risk/damaged" in line and "status.phase" in line and "fix or remove it" in line
    assert "\n" not in line


def test_damage_outside_the_fields_a_listing_needs_does_not_hide_the_job():
    (job,) = listed(rtj("odd", phase="Training", status={"validation": "not a list"}))
    assert job.phase == "Training"


class FakeBatch:
    def __init__(self, job: k8s_client.V1Job) -> None:
        self.job = job

    def read_namespaced_job(self, name: str, namespace: str) -> k8s_client.V1Job:
        return self.job


class FakeCore:
    def __init__(self, pods: list[k8s_client.V1Pod]) -> None:
        self.pods = pods

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> k8s_client.V1PodList:
        assert label_selector == "job-name=train"
        return k8s_client.V1PodList(items=self.pods)


def pod(phase: str, minute: int, *, exit_code: int, message: str, last: bool = False) -> k8s_client.V1Pod:
    ended = k8s_client.V1ContainerState(
        terminated=k8s_client.V1ContainerStateTerminated(
            exit_code=exit_code, reason="Error" if exit_code else "Completed", message=message
        )
    )
    waiting = k8s_client.V1ContainerState(waiting=k8s_client.V1ContainerStateWaiting(reason="CrashLoopBackOff"))
    status = k8s_client.V1ContainerStatus(
        name="trainer",
        image="i",
        image_id="",
        ready=False,
        restart_count=1,
        state=waiting if last else ended,
        last_state=ended if last else None,
    )
    sidecar = k8s_client.V1ContainerStatus(
        name="logger", image="i", image_id="", ready=False, restart_count=0, state=ended
    )
    created = datetime.datetime(2026, 1, 1, 0, minute, tzinfo=datetime.UTC)
    return k8s_client.V1Pod(
        metadata=k8s_client.V1ObjectMeta(name=f"train-{minute}", creation_timestamp=created),
        spec=k8s_client.V1PodSpec(
            containers=[k8s_client.V1Container(name="trainer"), k8s_client.V1Container(name="logger")]
        ),
        status=k8s_client.V1PodStatus(phase=phase, container_statuses=[sidecar, status]),
    )


def job(condition: str | None, *, reason: str | None = None, deleting: bool = False) -> k8s_client.V1Job:
    conditions = [k8s_client.V1JobCondition(type="Suspended", status="False")]
    if condition:
        conditions.append(k8s_client.V1JobCondition(type=condition, status="True", reason=reason, message="m"))
    meta = k8s_client.V1ObjectMeta(name="train", deletion_timestamp=datetime.datetime.now() if deleting else None)
    return k8s_client.V1Job(metadata=meta, status=k8s_client.V1JobStatus(conditions=conditions))


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch):
    def serve(found: k8s_client.V1Job, pods: list[k8s_client.V1Pod]) -> None:
        monkeypatch.setattr(retraining.client, "batch", lambda: FakeBatch(found))
        monkeypatch.setattr(retraining.client, "core", lambda: FakeCore(pods))

    return serve


def test_a_running_job_has_no_outcome(cluster):
    cluster(job(None, deleting=True), [])
    state = retraining.observe_job("risk", "train")
    assert state == retraining.JobState(name="train", outcome=None, deleting=True)


def test_a_failed_job_tells_the_first_container_of_its_last_failed_pod(cluster):
    cluster(
        job("Failed", reason="BackoffLimitExceeded"),
        [
            pod("Failed", 9, exit_code=3, message="late", last=True),
            pod("Failed", 1, exit_code=2, message="early"),
            pod("Running", 12, exit_code=0, message="not this one"),
        ],
    )
    state = retraining.observe_job("risk", "train")
    assert state is not None
    assert (state.outcome, state.failure_reason, state.failure_message) == ("Failed", "BackoffLimitExceeded", "m")
    assert state.termination == retraining.Termination(exit_code=3, reason="Error", message="late")


def test_a_complete_job_tells_its_succeeded_pod(cluster):
    cluster(
        job("Complete"),
        [pod("Failed", 1, exit_code=1, message="retry"), pod("Succeeded", 2, exit_code=0, message='{"modelUri": "u"}')],
    )
    state = retraining.observe_job("risk", "train")
    assert state is not None and state.failure_reason is None and state.failure_message is None
    assert state.termination == retraining.Termination(exit_code=0, reason="Completed", message='{"modelUri": "u"}')
