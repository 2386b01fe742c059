"""The history limits of a monitor's RetrainingJobs: which finished ones are deleted."""

from __future__ import annotations

import pytest

from modelmon.api.retraining import RetrainingSpec
from modelmon.policies.retraining_history import PastJob, plan_history


def job(name: str, phase: str | None, minute: int | None = None, **changes: object) -> PastJob:
    """A RetrainingJob created at 10:<minute> and, when finished, completed a minute later."""
    created = f"2026-03-10T10:{minute:02d}:00Z" if minute is not None else None
    completed = (
        f"2026-03-10T10:{minute + 1:02d}:00Z"
        if minute is not None and phase not in (None, "Pending", "Training")
        else None
    )
    return PastJob(
        **{"name": name, "uid": f"uid-{name}", "phase": phase, "created": created, "completed": completed, **changes}
    )


def deleted(jobs, successful=3, failed=1) -> list[str]:
    return [j.name for j in plan_history(jobs=jobs, successful_limit=successful, failed_limit=failed).delete]


def test_the_module_docstrings_worked_example():
    jobs = [job(f"s{i}", "Succeeded", i) for i in range(1, 6)] + [
        job("f1", "Failed", 10),
        job("c1", "Cancelled", 11),
        job("t1", "Training", 12),
        job("h1", "Succeeded", 0, owned=False),
    ]
    plan = plan_history(jobs=jobs, successful_limit=3, failed_limit=1)
    assert [j.name for j in plan.delete] == ["s1", "s2", "f1"]
    assert (plan.kept_successful, plan.kept_failed) == (3, 1)
    assert plan.message == (
        "deleted 3 finished RetrainingJob(s) beyond the history limits: s1, s2, f1 (kept 3 succeeded, 1 failed)"
    )


def test_defaults_are_three_succeeded_and_one_failed_as_a_cronjob_keeps():
    spec = RetrainingSpec()
    assert (spec.successful_jobs_history_limit, spec.failed_jobs_history_limit) == (3, 1)


@pytest.mark.parametrize("phase", ["Failed", "RolledBack", "Cancelled"])
def test_every_unsuccessful_ending_counts_against_the_failed_limit(phase):
    jobs = [job("old", phase, 1), job("new", "Failed", 5), job("ok", "Succeeded", 3)]
    assert deleted(jobs) == ["old"]


@pytest.mark.parametrize("phase", [None, "Pending", "Training", "Validating", "RollingOut"])
def test_active_ones_are_never_deleted_nor_counted(phase):
    jobs = [job("a", phase, 0), job("s1", "Succeeded", 1), job("s2", "Succeeded", 2)]
    assert deleted(jobs, successful=1, failed=0) == ["s1"]


def test_what_the_monitor_does_not_own_or_what_is_going_already_stays_out():
    jobs = [
        job("by-hand", "Succeeded", 1, owned=False),
        job("going", "Succeeded", 2, deleting=True),
        job("s3", "Succeeded", 3),
        job("s4", "Succeeded", 4),
    ]
    assert deleted(jobs, successful=1) == ["s3"]


def test_newest_by_completion_time_not_creation():
    slow = PastJob(
        name="slow", uid="u1", phase="Succeeded", created="2026-03-10T10:00:00Z", completed="2026-03-10T12:00:00Z"
    )
    quick = PastJob(
        name="quick", uid="u2", phase="Succeeded", created="2026-03-10T11:00:00Z", completed="2026-03-10T11:05:00Z"
    )
    assert deleted([slow, quick], successful=1) == ["quick"]


def test_a_tie_in_completion_is_broken_by_creation_then_name():
    same = "2026-03-10T11:00:00Z"
    jobs = [
        PastJob(name="b", uid="1", phase="Succeeded", created="2026-03-10T10:00:00Z", completed=same),
        PastJob(name="a", uid="2", phase="Succeeded", created="2026-03-10T10:00:00Z", completed=same),
        PastJob(name="c", uid="3", phase="Succeeded", created="2026-03-10T09:00:00Z", completed=same),
        PastJob(name="d", uid="4", phase="Failed", created=None, completed=None),
    ]
    assert deleted(jobs, successful=1) == ["c", "a"]  # d: no times at all, the only failed one, kept


def test_limit_zero_deletes_every_finished_one_and_within_the_limits_nothing_goes():
    jobs = [job("s1", "Succeeded", 1), job("f1", "Failed", 2)]
    assert deleted(jobs, successful=0, failed=0) == ["s1", "f1"]
    assert plan_history(jobs=jobs, successful_limit=3, failed_limit=1).delete == ()


def test_the_event_names_at_most_ten():
    jobs = [job(f"s{i:02d}", "Succeeded", i) for i in range(12)]
    plan = plan_history(jobs=jobs, successful_limit=0, failed_limit=0)
    assert plan.message == (
        "deleted 12 finished RetrainingJob(s) beyond the history limits: s00, s01, s02, s03, s04, s05, s06, s07, "
        "s08, s09 and 2 more (kept 0 succeeded, 0 failed)"
    )
