"""Series told from a status (#19): each value read back from a status written by hand."""

from __future__ import annotations

import typing

import pytest

from modelmon.api.health import Health
from modelmon.api.performance import PerformanceSeverity
from modelmon.api.retraining_phases import RetrainingPhase
from modelmon.api.rollout import RolloutPhase
from modelmon.metrics import status_series
from modelmon.metrics.status_index import StatusIndex

MON = {"namespace": "team-a", "monitor": "credit"}


def samples(status):
    return {
        (s.metric, tuple(sorted(s.labels.items()))): s.value
        for s in status_series.monitor_samples("team-a", "credit", status)
    }


def value(found, name, **labels):
    return found.get((name, tuple(sorted({**MON, **labels}.items()))))


def feature(name, kind, method, score, pvalue, adjusted=None, severity_score=0.0):
    return {
        "name": name,
        "kind": kind,
        "status": "judged",
        "method": method,
        "score": score,
        "pvalue": pvalue,
        "adjustedPvalue": adjusted,
        "severity": "stable",
        "severityScore": severity_score,
        "drifted": False,
    }


def test_distances_and_p_values_are_separate_metrics():
    found = samples(
        {
            "lastCheck": {
                "time": "2026-11-23T10:00:00Z",
                "features": [
                    feature("income", "numeric", "psi", 0.31, 0.002, adjusted=0.004, severity_score=70),
                    feature("age", "numeric", "ks", 0.2, 0.2, adjusted=0.4),
                    feature("region", "categorical", "chi2", 0.01, 0.01, adjusted=0.02),
                    feature("city", "categorical", "js", 0.12, 0.03),
                ],
            }
        }
    )
    assert value(found, "modelmon_feature_drift_distance", feature="income", method="psi") == 0.31
    assert value(found, "modelmon_feature_drift_distance", feature="city", method="js") == 0.12
    # a test's score is its p-value: never a distance
    assert not [k for k in found if k[0] == "modelmon_feature_drift_distance" and ("feature", "age") in k[1]]
    assert not [k for k in found if k[0] == "modelmon_feature_drift_distance" and ("feature", "region") in k[1]]
    assert value(found, "modelmon_feature_drift_p_value", feature="income", test="ks") == 0.002
    assert value(found, "modelmon_feature_drift_adjusted_p_value", feature="income", test="ks") == 0.004
    assert value(found, "modelmon_feature_drift_p_value", feature="region", test="chi2") == 0.01
    assert value(found, "modelmon_feature_drift_adjusted_p_value", feature="city", test="chi2") is None  # not computed
    assert value(found, "modelmon_feature_drift_severity", feature="income") == 70
    assert "modelmon_feature_drift_score" not in {k[0] for k in found}


def test_last_check_time_health_and_rows():
    found = samples(
        {
            "health": "Critical",
            "lastCheck": {
                "time": "2026-11-23T10:00:05.250Z",
                "durationSeconds": 3.5,
                "currentRows": 1200,
                "dataset": {"driftedFeatures": 4},
                "error": None,
            },
        }
    )
    assert value(found, "modelmon_last_check_timestamp_seconds") == 1795428005.25
    assert value(found, "modelmon_last_check_duration_seconds") == 3.5
    assert value(found, "modelmon_rows_checked") == 1200
    assert value(found, "modelmon_drifted_features") == 4
    assert value(found, "modelmon_last_check_failed") == 0
    assert {s: value(found, "modelmon_monitor_health", state=s) for s in status_series.HEALTH_STATES} == {
        "Healthy": 0,
        "Warning": 0,
        "Critical": 1,
        "Unknown": 0,
    }


def test_a_monitor_never_checked_is_unknown_with_no_check_series():
    found = samples({})
    assert value(found, "modelmon_monitor_health", state="Unknown") == 1
    assert value(found, "modelmon_last_check_timestamp_seconds") is None
    assert value(found, "modelmon_alerts_active", severity="critical") == 0


def test_a_failed_check_says_so():
    found = samples({"lastCheck": {"time": "2026-11-23T10:00:00Z", "error": "reference: no such key"}})
    assert value(found, "modelmon_last_check_failed") == 1


def test_data_quality_findings_are_counted_by_check_and_severity_with_their_values():
    issue = {"severity": "warning", "message": "m"}
    found = samples(
        {
            "lastCheck": {
                "time": "2026-11-23T10:00:00Z",
                "qualityIssues": [
                    {**issue, "column": "income", "check": "missingRate", "value": 0.12, "limit": 0.1},
                    {**issue, "column": "age", "check": "missingRate", "value": 0.3, "severity": "critical"},
                    {**issue, "column": "debt", "check": "missingRate", "value": 0.2},
                    {**issue, "column": "zip", "check": "newColumn"},
                ],
            }
        }
    )
    assert value(found, "modelmon_data_quality_issues", check="missingRate", severity="warning") == 2
    assert value(found, "modelmon_data_quality_issues", check="missingRate", severity="critical") == 1
    assert value(found, "modelmon_data_quality_issues", check="newColumn", severity="warning") == 1
    assert value(found, "modelmon_data_quality_value", column="age", check="missingRate") == 0.3
    assert value(found, "modelmon_data_quality_value", column="zip", check="newColumn") is None


def test_firing_alerts_by_severity_ignore_resolved_ones():
    alerts = [
        {"severity": "critical", "state": "firing"},
        {"severity": "critical", "state": "resolved"},
        {"severity": "warning", "state": "firing"},
    ]
    found = samples({"alerts": alerts})
    assert value(found, "modelmon_alerts_active", severity="critical") == 1
    assert value(found, "modelmon_alerts_active", severity="warning") == 1


def test_performance_values_not_computed_are_no_series():
    entry = {
        "metric": "accuracy",
        "window": "last 50",
        "samples": 12,
        "value": None,
        "baseline": 0.8,
        "change": None,
        "pValue": None,
        "severity": "unknown",
    }
    found = samples(
        {
            "lastCheck": {
                "time": "2026-11-23T10:00:00Z",
                "performance": {"labelled": 12, "unlabelled": 3, "metrics": [entry]},
            }
        }
    )
    window = {"metric": "accuracy", "window": "last 50"}  # label names, as the series have them
    assert value(found, "modelmon_performance_severity", **window) == -1
    assert value(found, "modelmon_performance_baseline", **window) == 0.8
    assert value(found, "modelmon_performance_metric_value", **window) is None
    assert value(found, "modelmon_performance_labelled_predictions", state="unlabelled") == 3


def test_retraining_jobs_are_counted_by_phase_and_rollouts_told_from_their_status():
    jobs = [
        (("ml", "a"), {"phase": "Succeeded"}),
        (("ml", "b"), {"phase": "Succeeded"}),
        (("ml", "c"), {}),
        (("ml", "d"), {"phase": "RollingOut", "rollout": {"phase": "Paused", "effectiveWeight": 33.3}}),
    ]
    found = {(s.metric, tuple(sorted(s.labels.items()))): s.value for s in status_series.retraining_samples(jobs)}
    assert found[("modelmon_retraining_jobs", (("namespace", "ml"), ("phase", "Succeeded")))] == 2
    assert found[("modelmon_retraining_jobs", (("namespace", "ml"), ("phase", "Pending")))] == 1
    rollout = (("namespace", "ml"), ("retrainingjob", "d"))
    assert found[("modelmon_rollout_weight", rollout)] == pytest.approx(33.3)
    assert found[("modelmon_rollout_phase", (*rollout[:1], ("phase", "Paused"), rollout[1]))] == 1
    assert not [k for k in found if ("retrainingjob", "a") in k[1]]  # no rollout: no rollout series


def test_the_index_keeps_the_last_status_and_forgets_a_deleted_object():
    index = StatusIndex()
    body = {"metadata": {"namespace": "ml", "name": "m"}, "status": {"health": "Warning"}}
    index.observe_monitor(body, deleted=False)
    index.observe_monitor({**body, "status": {"health": "Healthy"}}, deleted=False)
    assert index.monitors() == [(("ml", "m"), {"health": "Healthy"})]
    index.observe_monitor(body, deleted=True)
    assert index.monitors() == []


def test_label_vocabularies_are_the_status_vocabularies():
    """The health states, rollout phases and performance severities a series can carry are the
    API's own (#16): a word added to the status model gets its series without a second list here.
    The rollout phases keep the order scrapes have always listed them in: moving, then final."""
    assert status_series.HEALTH_STATES == tuple(Health)
    assert set(status_series.ROLLOUT_PHASES) == set(RolloutPhase)
    assert status_series.ROLLOUT_PHASES == (
        "Progressing",
        "Paused",
        "Promoting",
        "Finalizing",
        "RollingBack",
        "Succeeded",
        "RolledBack",
        "Failed",
    )
    assert set(status_series.PERFORMANCE_SEVERITY) == set(typing.get_args(PerformanceSeverity))
    assert all(type(label) is str for label in (*status_series.HEALTH_STATES, *status_series.ROLLOUT_PHASES))


def test_a_job_without_a_phase_counts_as_pending():
    found = list(status_series.retraining_samples([(("team-a", "retrain"), {})]))
    assert found == [
        status_series.Sample("modelmon_retraining_jobs", {"namespace": "team-a", "phase": RetrainingPhase.PENDING}, 1.0)
    ]
