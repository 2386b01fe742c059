"""Health, conditions and events from a check summary; conditions merged the Kubernetes way."""

import pytest

from modelmon.policies import conditions as cond
from modelmon.policies.health import assess_health


def check(*, drifted=False, features=(), issues=(), error=None, verdict=True):
    last = {"time": "2026-11-23T10:00:00Z", "durationSeconds": 1.0, "currentRows": 100, "features": list(features),
            "qualityIssues": list(issues)}
    if error:
        last["error"] = error
    else:
        last["dataset"] = {"drifted": drifted if verdict else None, "message": "m",
                           "driftedFeatures": sum(f["drifted"] for f in features), "judgedFeatures": len(features)}
    return last


def feature(name, *, drifted, severity):
    return {"name": name, "kind": "numeric", "status": "judged", "drifted": drifted, "severity": severity,
            "severityScore": 50}


DRIFTED = feature("income", drifted=True, severity="significant")
WARN = {"column": "x", "check": "missingRate", "severity": "warning", "message": "x missing"}
CRIT = {"column": "y", "check": "typeMismatch", "severity": "critical", "message": "y wrong type"}


@pytest.mark.parametrize("last,health", [
    (check(), "Healthy"),
    (check(features=[DRIFTED]), "Warning"),
    (check(issues=[WARN]), "Warning"),
    (check(drifted=True, features=[DRIFTED]), "Critical"),
    (check(issues=[CRIT]), "Critical"),
    (check(verdict=False), "Unknown"),
    (check(error="reference.uri: cannot download"), "Unknown"),
], ids=["clean", "feature-drift", "quality-warning", "dataset-drift", "quality-critical", "no-verdict", "unreadable"])
def test_health(last, health):
    assert assess_health(last, previous_health=None, generation=1).health.value == health


def test_conditions_reflect_the_check():
    got = {c["type"]: c for c in assess_health(check(drifted=True, features=[DRIFTED], issues=[WARN]),
                                               previous_health=None, generation=4).conditions}
    assert got["Drifted"]["status"] == "True" and got["Drifted"]["reason"] == "DriftDetected"
    assert got["DataQualityDegraded"]["status"] == "True" and "x missing" in got["DataQualityDegraded"]["message"]
    assert got["DataUnavailable"]["status"] == "False"
    assert all(c["observedGeneration"] == 4 for c in got.values())
    unreadable = {c["type"]: c for c in assess_health(check(error="boom"), previous_health=None, generation=1).conditions}
    assert unreadable["DataUnavailable"]["status"] == "True" and unreadable["DataUnavailable"]["message"] == "boom"
    assert unreadable["Drifted"]["status"] == "Unknown"


def test_events_only_on_health_change():
    assert assess_health(check(drifted=True, features=[DRIFTED]), previous_health="Critical", generation=1).events == []
    (warning,) = assess_health(check(drifted=True, features=[DRIFTED]), previous_health="Healthy", generation=1).events
    assert warning.type == "Warning" and warning.reason == "DriftDetected"
    (recovered,) = assess_health(check(), previous_health="Critical", generation=1).events
    assert recovered.type == "Normal" and recovered.reason == "Recovered"


def test_transition_time_moves_only_when_status_changes():
    first = cond.merge_conditions([], [cond.condition(type="Drifted", status=False, reason="NoDrift", message="a",
                                                      generation=1)], now="T1")
    same = cond.merge_conditions(first, [cond.condition(type="Drifted", status=False, reason="NoDrift", message="b",
                                                        generation=2)], now="T2")
    flipped = cond.merge_conditions(same, [cond.condition(type="Drifted", status=True, reason="DriftDetected",
                                                          message="c", generation=2)], now="T3")
    assert same[0]["lastTransitionTime"] == "T1" and same[0]["message"] == "b"
    assert flipped[0]["lastTransitionTime"] == "T3"


def test_other_condition_types_are_kept():
    ready = cond.condition(type="Ready", status=True, reason="Reconciled", message="", generation=1)
    merged = cond.merge_conditions([{**ready, "lastTransitionTime": "T0"}],
                                   [cond.condition(type="Drifted", status=True, reason="X", message="", generation=1)],
                                   now="T1")
    assert [c["type"] for c in merged] == ["Drifted", "Ready"]


def test_drifted_count_comes_from_the_dataset_verdict_not_the_capped_feature_list():
    features = [feature(f"f{i}", drifted=True, severity="moderate") for i in range(200)]  # status keeps 200
    check = {"time": "2026-11-23T10:00:00Z", "durationSeconds": 1.0,
             "dataset": {"drifted": True, "driftedFeatures": 250, "judgedFeatures": 300, "message": "m"},
             "features": features, "qualityIssues": []}
    assert assess_health(check, previous_health=None, generation=1).drifted_features == 250
