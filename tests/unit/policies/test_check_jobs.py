"""A finished drift-check Job's verdict onto the monitor's CheckFailed condition: the exact
condition for a failure, nothing for a stale one or one already said, cleared by a completion."""

from __future__ import annotations

from modelmon.policies import check_jobs
from modelmon.policies.monitor_state import read_monitor


def plan_check_job(job: dict, status: dict | None, *, generation: int) -> check_jobs.CheckJobVerdict | None:
    """The planner on the monitor as the controller reads it (at generation ``generation``)."""
    monitor = read_monitor({"metadata": {"generation": generation}, "status": status})
    return check_jobs.plan_check_job(job, monitor, now="2026-12-01T12:00:00Z")


def job(
    name: str,
    outcome: str,
    when: str,
    reason: str = "BackoffLimitExceeded",
    message: str = "Job has reached the specified backoff limit",
) -> dict:
    return {
        "metadata": {"name": name, "namespace": "risk"},
        "status": {
            "conditions": [
                {"type": outcome, "status": "True", "reason": reason, "message": message, "lastTransitionTime": when}
            ]
        },
    }


def failed_at_10_05() -> dict:
    """A monitor whose CheckFailed condition says Job j failed, as of 10:05:01."""
    return {
        "conditions": [
            {
                "type": "CheckFailed",
                "status": "True",
                "reason": "BackoffLimitExceeded",
                "message": "check Job j failed (...)",
                "lastTransitionTime": "2026-12-01T10:05:01Z",
            }
        ]
    }


def test_a_failed_job_sets_check_failed_naming_the_job_reason_and_where_to_look():
    verdict = plan_check_job(
        job("credit-drift-check-2931", "Failed", "2026-12-01T10:05:00Z"),
        {"lastCheck": {"time": "2026-12-01T09:00:00Z", "durationSeconds": 1.0}},
        generation=3,
    )
    assert verdict is not None
    assert verdict.condition == {
        "type": "CheckFailed",
        "status": "True",
        "reason": "BackoffLimitExceeded",
        "observedGeneration": 3,
        "message": "check Job credit-drift-check-2931 failed (BackoffLimitExceeded: Job has reached the specified "
        "backoff limit): its pod never wrote a report. Look at `kubectl describe job "
        "credit-drift-check-2931` and its pod's events: an image that cannot be pulled or run "
        "(spec.checkJob.image), a Secret of spec.checkJob.env that does not exist, or a pod killed at "
        "spec.checkJob.activeDeadlineSeconds",
    }
    assert verdict.event == ("Warning", "CheckFailed", verdict.condition["message"])


def test_a_monitor_that_never_checked_hears_of_the_failure():
    verdict = plan_check_job(job("j", "Failed", "2026-12-01T10:05:00Z", reason="DeadlineExceeded"), None, generation=1)
    assert verdict is not None and verdict.condition["reason"] == "DeadlineExceeded"


def test_a_failure_older_than_the_last_written_check_is_history():
    assert (
        plan_check_job(
            job("j", "Failed", "2026-12-01T09:30:00Z"),
            {"lastCheck": {"time": "2026-12-01T10:00:00Z", "durationSeconds": 1.0}},
            generation=1,
        )
        is None
    )


def test_the_same_failure_is_said_once():
    status = failed_at_10_05()
    assert plan_check_job(job("j", "Failed", "2026-12-01T10:05:00Z"), status, generation=1) is None


def test_a_completed_job_clears_the_condition_and_an_older_one_does_not():
    status = failed_at_10_05()
    cleared = plan_check_job(job("k", "Complete", "2026-12-01T11:05:00Z", reason="", message=""), status, generation=2)
    assert cleared is not None and cleared.event is None
    assert cleared.condition == {
        "type": "CheckFailed",
        "status": "False",
        "reason": "CheckSucceeded",
        "message": "Job k completed",
        "observedGeneration": 2,
    }
    assert plan_check_job(job("i", "Complete", "2026-12-01T09:00:00Z"), status, generation=2) is None


def test_a_running_job_or_a_healthy_monitor_changes_nothing():
    assert plan_check_job({"metadata": {"name": "j"}, "status": {"active": 1}}, {}, generation=1) is None
    assert plan_check_job(job("k", "Complete", "2026-12-01T11:05:00Z"), {}, generation=1) is None


def pod(*terminated: dict, waiting: bool = False) -> dict:
    """A check pod whose container ended as ``terminated`` (the last first: state, then lastState)."""
    states = [{"terminated": t} for t in terminated]
    container = {"name": "check", "state": {"waiting": {"reason": "CrashLoopBackOff"}} if waiting else states[0]}
    if len(states) > (0 if waiting else 1):
        container["lastState"] = states[-1]
    return {"status": {"containerStatuses": [container]}}


def test_a_crashed_check_pod_is_quoted_by_its_last_line():
    log_tail = (
        'Traceback (most recent call last):\n  File "/opt/modelmon/check_job.py", line 9\n'
        "OSError: [Errno 30] Read-only file system: '/opt/modelmon/last-check'\n"
    )
    ended = {"exitCode": 1, "reason": "Error", "message": log_tail, "finishedAt": "2026-12-01T10:04:00Z"}
    said = check_jobs.last_words([pod(ended)])
    assert said == "OSError: [Errno 30] Read-only file system: '/opt/modelmon/last-check'"

    verdict = plan_check_job(job("j", "Failed", "2026-12-01T10:05:00Z"), None, generation=1)
    quoted = check_jobs.plan_check_job(
        job("j", "Failed", "2026-12-01T10:05:00Z"),
        read_monitor({"metadata": {"generation": 1}, "status": None}),
        now="2026-12-01T12:00:00Z",
        pod_said=said,
    )
    assert verdict is not None and quoted is not None
    assert f"its pod never wrote a report and ended with: {said}. Look at" in quoted.condition["message"]
    assert quoted.condition["message"].replace(f" and ended with: {said}", "") == verdict.condition["message"]


def test_the_last_pod_to_end_speaks_and_a_silent_kill_is_named_by_the_kubelet():
    first = {"exitCode": 1, "message": "first try\n", "finishedAt": "2026-12-01T10:01:00Z"}
    oom = {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-12-01T10:03:00Z"}
    assert check_jobs.last_words([pod(first), pod(oom, waiting=True)]) == "OOMKilled, exit 137"
    assert check_jobs.last_words([pod({"exitCode": 0, "message": "done"})]) is None
    assert check_jobs.last_words([]) is None


def test_what_a_pod_said_is_redacted_and_cut():
    secret = "https://user:s3cr3t@minio.example:9000/bucket?X-Amz-Signature=abcdef0123456789"
    said = check_jobs.last_words([pod({"exitCode": 2, "message": f"cannot read {secret} " + "x" * 500})])
    assert said is not None
    assert "s3cr3t" not in said and "abcdef0123456789" not in said
    assert len(said) <= 240
