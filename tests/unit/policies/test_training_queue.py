"""The training queue: priority, then age, then name; never more than the limit running."""

from __future__ import annotations

import pytest

from modelmon.policies.training_queue import QueuedJob, admitted, order, position


def job(name: str, priority: str, created: str, namespace: str = "ml", monitor: str | None = None) -> QueuedJob:
    return QueuedJob(namespace=namespace, name=name, priority=priority, created=created, monitor=monitor or name)


QUEUE = [
    job("a", "low", "2026-01-01T09:00:00Z"),
    job("b", "critical", "2026-01-01T10:00:00Z"),
    job("c", "critical", "2026-01-01T09:30:00Z"),
    job("d", "medium", "2026-01-01T08:00:00Z"),
    job("e", "high", "2026-01-01T11:00:00Z"),
]


def test_order_is_priority_then_age():
    assert [j.name for j in order(QUEUE)] == ["c", "b", "e", "d", "a"]


def test_ties_are_broken_by_namespace_and_name():
    same = [job("y", "high", "t", "ns2"), job("x", "high", "t", "ns2"), job("z", "high", "t", "ns1")]
    assert [(j.namespace, j.name) for j in order(same)] == [("ns1", "z"), ("ns2", "x"), ("ns2", "y")]


@pytest.mark.parametrize(("running", "limit", "expected"), [
    pytest.param(1, 2, ["c"], id="docstring-example"),
    pytest.param(0, 2, ["c", "b"], id="two-free"),
    pytest.param(2, 2, [], id="full"),
    pytest.param(5, 2, [], id="over-the-limit-after-a-lowered-setting"),
    pytest.param(0, 10, ["c", "b", "e", "d", "a"], id="room-for-all"),
])
def test_admission_fills_free_slots_from_the_head(running, limit, expected):
    assert [j.name for j in admitted(pending=QUEUE, running=running, limit=limit)] == expected


def test_unknown_priority_goes_last():
    assert [j.name for j in order([job("odd", "urgent", "t0"), job("low", "low", "t9")])] == ["low", "odd"]


def test_position_is_one_based():
    assert position(("ml", "c"), pending=QUEUE) == 1
    assert position(("ml", "a"), pending=QUEUE) == 5
    assert position(("ml", "zzz"), pending=QUEUE) is None


def test_one_model_trains_once_at_a_time_without_holding_a_slot():
    queue = [job("c1", "critical", "t1", monitor="credit"), job("c2", "critical", "t2", monitor="credit"),
             job("m", "medium", "t3", monitor="churn")]
    # credit is busy: both of its queued ones wait, churn's takes the slot
    assert [j.name for j in admitted(pending=queue, running=0, limit=1, busy={("ml", "credit")})] == ["m"]
    # two free slots, credit idle: only the first of credit's two starts
    assert [j.name for j in admitted(pending=queue, running=0, limit=2)] == ["c1", "m"]
