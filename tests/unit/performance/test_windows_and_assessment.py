"""Windows over labelled predictions, every metric on every window, the overall verdict,
bad input as unknown verdicts, and the report in the status's shape."""

from __future__ import annotations

import numpy as np
import pytest

from modelmon.api.performance import PerformanceSpec, PerformanceWindow
from modelmon.api.status import PerformanceStatus
from modelmon.performance.assessment import assess_performance, unavailable
from modelmon.performance.labelled import LabelledPredictions
from modelmon.performance.windows import select_window


def blocks(*correct_per_50: int, seed: int = 7) -> LabelledPredictions:
    """Binary labels in blocks of 50 (oldest first) with exactly the given number correct in each."""
    rng = np.random.default_rng(seed)
    truth, predicted = [], []
    for correct in correct_per_50:
        target = rng.choice(["0", "1"], 50)
        hit = np.zeros(50, dtype=bool)
        hit[rng.choice(50, correct, replace=False)] = True
        truth.append(target)
        predicted.append(np.where(hit, target, np.where(target == "1", "0", "1")))
    return LabelledPredictions(predictions=np.concatenate(predicted).astype(object),
                               targets=np.concatenate(truth).astype(object), unlabelled=12)


def spec(**extra) -> PerformanceSpec:
    return PerformanceSpec.model_validate({"task": "classification", "predictionColumn": "p", "targetColumn": "t",
                                           "baseline": {"accuracy": 0.65}, **extra})


def test_rows_window_takes_the_newest():
    labelled = LabelledPredictions(predictions=np.arange(10.0), targets=np.arange(10.0))
    piece = select_window(labelled, PerformanceWindow(rows=3), now=0)
    assert piece.label == "last 3" and piece.targets.tolist() == [7.0, 8.0, 9.0]
    assert select_window(labelled, PerformanceWindow(rows=50), now=0).targets.size == 10


def test_duration_window_keeps_recent_rows_and_drops_unknown_times():
    times = np.array([0.0, 5000.0, 6400.0, np.nan, 9999.0])
    labelled = LabelledPredictions(predictions=np.arange(5.0), targets=np.arange(5.0), times=times)
    piece = select_window(labelled, PerformanceWindow(duration="1h"), now=10_000.0)
    assert piece.label == "last 1h" and piece.targets.tolist() == [2.0, 4.0]


def test_decay_in_the_newest_window_is_critical():
    report = assess_performance(blocks(33, 33, 33, 26), spec=spec(), now=0)
    by_window = {v.window: v for v in report.metrics}
    assert by_window["last 50"].severity == "critical" and by_window["last 50"].value == pytest.approx(0.52)
    assert by_window["last 50"].p_value < 0.05
    assert report.severity == "critical" and report.recommendation == by_window["last 50"].recommendation
    assert (report.labelled, report.unlabelled) == (200, 12)


def test_performance_near_the_baseline_is_ok():
    report = assess_performance(blocks(32, 31, 32, 31), spec=spec(), now=0)  # 0.63 on 200 and 100, 0.62 on 50
    assert {v.window: v.severity for v in report.metrics} == {"last 50": "ok", "last 100": "ok", "last 200": "ok"}
    assert report.severity == "ok" and report.recommendation == "no action"


def test_a_window_still_filling_does_not_hide_the_others():
    report = assess_performance(blocks(33, 26), spec=spec(), now=0)  # 100 labelled: "last 200" has 100
    assert report.severity == "critical"
    report = assess_performance(blocks(33, 33), spec=spec(windows=[{"rows": 50}, {"rows": 500}], minSamples=80),
                                now=0)
    assert [v.severity for v in report.metrics] == ["unknown", "ok"]
    assert report.severity == "ok"


def test_a_metric_no_window_can_judge_makes_the_report_unknown():
    report = assess_performance(blocks(26), spec=spec(minSamples=60), now=0)
    assert report.severity == "unknown" and "fewer than minSamples 60" in report.recommendation


def test_no_labels_yet_is_unknown_and_says_how_many_wait():
    nothing = LabelledPredictions(predictions=np.array([], dtype=object), targets=np.array([], dtype=object),
                                  unlabelled=40)
    report = assess_performance(nothing, spec=spec(), now=0)
    assert report.severity == "unknown"
    assert all(v.reason == "no labelled predictions yet; 40 predictions await ground truth" for v in report.metrics)


def test_labels_outside_the_known_classes_are_unknown_not_decay():
    labelled = blocks(20, 20)  # would be critical
    labelled = LabelledPredictions(predictions=np.where(np.arange(100) % 10 == 0, "2", labelled.predictions)
                                   .astype(object), targets=labelled.targets)
    report = assess_performance(labelled, spec=spec(classes=["0", "1"]), now=0)
    assert {v.severity for v in report.metrics} == {"unknown"}
    assert "prediction labels outside classes ['0', '1']: '2'" in report.metrics[0].reason


def test_a_constant_regression_target_is_unknown():
    regression = PerformanceSpec(task="regression", prediction_column="p", target_column="t", baseline={"mae": 1.0})
    labelled = LabelledPredictions(predictions=np.linspace(0, 5, 60), targets=np.full(60, 3.0))
    report = assess_performance(labelled, spec=regression, now=0)
    assert report.severity == "unknown" and "every labelled target in the last 50 window is 3" in report.recommendation


def test_every_metric_on_every_window():
    both = spec(baseline={"accuracy": 0.65, "recall": 0.6, "f1": 0.6}, positiveLabel="1")
    report = assess_performance(blocks(33, 33, 33, 33), spec=both, now=0)
    assert [(v.metric, v.window) for v in report.metrics] == [
        (m, w) for w in ("last 50", "last 100", "last 200") for m in ("accuracy", "recall", "f1")]


def test_unavailable_reports_every_metric_unknown_with_the_reason():
    report = unavailable(spec(), reason="no column 'p'")
    assert report.severity == "unknown" and len(report.metrics) == 3
    assert report.recommendation == "accuracy last 50: no column 'p'"


def test_the_status_form_is_the_contract_with_the_alert_policy():
    status = assess_performance(blocks(33, 33, 33, 26), spec=spec(), now=0).to_status()
    PerformanceStatus.model_validate(status)  # the CRD's model accepts it
    first = status["metrics"][0]
    assert set(first) == {"metric", "window", "samples", "value", "baseline", "change", "pValue", "significant",
                          "severity", "reason", "recommendation"}
    assert first["window"] == "last 50" and first["change"] == pytest.approx(-0.2)
    assert set(status) == {"task", "labelled", "unlabelled", "severity", "recommendation", "metrics"}


def test_alert_policy_turns_warning_and_critical_entries_into_performance_alerts():
    from modelmon.api.status import LastCheck
    from modelmon.policies.observations import check_observations

    def checked(performance):
        return LastCheck.model_validate({"time": "2026-11-23T10:00:00Z", "durationSeconds": 1.0,
                                         "performance": performance})

    status = assess_performance(blocks(33, 33, 33, 26), spec=spec(), now=0).to_status()
    found = [o for o in check_observations(checked(status)) if o.type == "performance"]
    assert [(o.subject, o.severity) for o in found] == [("accuracy/last 50", "critical"),
                                                       ("accuracy/last 100", "warning")]
    quiet = assess_performance(blocks(32, 31, 32, 31), spec=spec(), now=0).to_status()
    assert [o for o in check_observations(checked(quiet)) if o.type == "performance"] == []
