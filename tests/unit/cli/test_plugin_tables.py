"""``kubectl modelmon get``'s tables and ages."""

from __future__ import annotations

import datetime

import pytest

from modelmon.cli import cluster, tables

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2026-12-01T11:59:15Z", "45s"),
        ("2026-12-01T11:58:00Z", "2m"),
        ("2026-12-01T10:30:00Z", "90m"),
        ("2026-12-01T09:00:00Z", "3h"),
        ("2026-11-28T12:00:00Z", "3d"),
        (None, "-"),
        ("garbage", "-"),
        ("2026-12-01T12:00:05Z", "0s"),
    ],
)
def test_age_as_kubectl_shows_it(stamp, shown):
    assert tables.age(stamp, now=NOW) == shown


MONITOR = {
    "metadata": {"name": "credit", "namespace": "ml", "creationTimestamp": "2026-11-28T12:00:00Z"},
    "spec": {"model": {"name": "credit-model", "version": "3"}, "schedule": "0 * * * *"},
    "status": {
        "health": "Critical",
        "driftedFeatures": 2,
        "lastCheck": {"time": "2026-12-01T11:58:00Z"},
        "alerts": [{"id": "a", "state": "firing"}, {"id": "b", "state": "resolved"}],
        "retraining": {"active": {"name": "credit-rt-1", "phase": "Training"}},
        "activeModel": {"version": "4"},
    },
}
JOB = {
    "metadata": {"name": "credit-rt-1", "namespace": "ml", "creationTimestamp": "2026-12-01T11:00:00Z"},
    "spec": {"reason": "drift", "monitorRef": {"name": "credit"}},
    "status": {
        "phase": "RollingOut",
        "model": {"version": "4"},
        "message": "step 1/3",
        "rollout": {"strategy": "canary", "phase": "Paused", "stage": "pause", "effectiveWeight": 33.3},
    },
}


def test_monitor_table_wide_and_across_namespaces():
    text = tables.render(cluster.MONITORS, [MONITOR], now=NOW, wide=True, namespaces=True)
    assert [line.split() for line in text.splitlines()] == [
        [
            "NAMESPACE",
            "NAME",
            "HEALTH",
            "DRIFTED",
            "LAST",
            "CHECK",
            "MODEL",
            "AGE",
            "VERSION",
            "ACTIVE",
            "SCHEDULE",
            "ALERTS",
            "RETRAINING",
        ],
        [
            "ml",
            "credit",
            "Critical",
            "2",
            "2m",
            "credit-model",
            "3d",
            "3",
            "4",
            "0",
            "*",
            "*",
            "*",
            "*",
            "1",
            "credit-rt-1",
        ],
    ]


def test_retraining_table_and_a_monitor_never_checked():
    text = tables.render(cluster.RETRAINING_JOBS, [JOB], now=NOW, wide=True, namespaces=False)
    assert text.splitlines()[1].split() == [
        "credit-rt-1",
        "RollingOut",
        "4",
        "drift",
        "credit",
        "60m",
        "canary",
        "Paused",
        "pause",
        "33.3%",
        "step",
        "1/3",
    ]
    fresh = {"metadata": {"name": "new"}, "spec": {}}
    assert tables.render(cluster.MONITORS, [fresh], now=NOW, wide=False, namespaces=False).splitlines()[1].split() == [
        "new",
        "Unknown",
        "-",
        "-",
        "-",
        "-",
    ]
