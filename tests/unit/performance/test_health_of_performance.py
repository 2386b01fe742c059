"""Performance in health and in the Degraded condition (the pure policy, from lastCheck)."""

from __future__ import annotations

import pytest

from modelmon.policies.health import assess_health


def last_check(*, severity=None, drifted=False, verdict=True, error=None):
    last = {"time": "2026-11-23T10:00:00Z", "durationSeconds": 1.0, "currentRows": 100, "features": [],
            "qualityIssues": []}
    if error:
        last["error"] = error
        return last
    last["dataset"] = {"drifted": drifted if verdict else None, "message": "0 of 3 features drifted",
                       "driftedFeatures": 0, "judgedFeatures": 3}
    if severity:
        last["performance"] = {"task": "classification", "labelled": 120, "unlabelled": 4, "severity": severity,
                               "recommendation": f"accuracy ... : {severity}", "metrics": []}
    return last


def degraded(last):
    conditions = assess_health(last, previous_health=None, generation=2).conditions
    return next(c for c in conditions if c["type"] == "Degraded")


@pytest.mark.parametrize("severity,drifted,verdict,health", [
    ("ok", False, True, "Healthy"),
    ("unknown", False, True, "Healthy"),
    ("warning", False, True, "Warning"),
    ("critical", False, True, "Critical"),
    ("critical", False, False, "Critical"),
    ("warning", False, False, "Unknown"),
    ("ok", True, True, "Critical"),
], ids=["ok", "not-judged-yet", "warning", "critical", "critical-without-drift-verdict",
        "warning-without-drift-verdict", "drift-still-counts"])
def test_health_includes_performance(severity, drifted, verdict, health):
    got = assess_health(last_check(severity=severity, drifted=drifted, verdict=verdict), previous_health=None,
                        generation=1)
    assert got.health.value == health


@pytest.mark.parametrize("last,status,reason", [
    (last_check(severity="critical"), "True", "PerformanceDegraded"),
    (last_check(severity="warning"), "False", "PerformanceDeclining"),
    (last_check(severity="ok"), "False", "PerformanceOK"),
    (last_check(severity="unknown"), "Unknown", "InsufficientData"),
    (last_check(), "Unknown", "PerformanceNotWatched"),
    (last_check(error="cannot download"), "Unknown", "InsufficientData"),
], ids=["critical", "warning", "ok", "unknown", "not-configured", "data-unavailable"])
def test_degraded_condition(last, status, reason):
    condition = degraded(last)
    assert (condition["status"], condition["reason"], condition["observedGeneration"]) == (status, reason, 2)


def test_the_event_of_a_decay_carries_the_recommendation():
    (event,) = assess_health(last_check(severity="warning"), previous_health="Healthy", generation=1).events
    assert event.type == "Warning" and "performance warning: accuracy ... : warning" in event.message
