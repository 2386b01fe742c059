"""Measurements and runs judged: no data is never a pass."""

from __future__ import annotations

import math

import pytest

from modelmon.api.rollout import AnalysisMetric, AnalysisTemplate, Measurement, RunPhase
from modelmon.rollout import analysis
from modelmon.rollout.analysis import RawMeasurement

PROM = {"address": "http://p:9090", "query": "q"}


def metric(**bounds):
    return AnalysisMetric.model_validate({"name": "m", "prometheus": PROM, **bounds})


@pytest.mark.parametrize(("bounds", "raw", "result"), [
    ({"min": 0.8}, RawMeasurement(metric="m", value=0.8), "Successful"),
    ({"min": 0.8}, RawMeasurement(metric="m", value=0.79), "Failed"),
    ({"max": 0.05}, RawMeasurement(metric="m", value=0.06), "Failed"),
    ({"min": 0, "max": 1}, RawMeasurement(metric="m", value=math.nan), "Inconclusive"),
    ({"min": 0}, RawMeasurement(metric="m", value=None, note="no series"), "Inconclusive"),
    ({"min": 0}, RawMeasurement(metric="m", error="HTTP 400: parse error"), "Error"),
    ({"min": 0}, RawMeasurement(metric="m", value=math.inf), "Successful"),
    ({"max": 0}, RawMeasurement(metric="m", value=-math.inf), "Successful"),
], ids=["at-min", "below-min", "above-max", "nan", "no-data", "error", "inf-above-min", "minus-inf-below-max"])
def test_measurement(bounds, raw, result):
    entry = analysis.assess_measurement(metric(**bounds), raw, at="2026-11-23T10:00:00Z").wire()
    assert entry["result"] == result


def test_webhook_pass_fail_without_bounds():
    hook = AnalysisMetric.model_validate({"name": "m", "webhook": {"url": "http://x/"}})
    passed = analysis.assess_measurement(hook, RawMeasurement(metric="m", passed=True), at="t").wire()
    failed = analysis.assess_measurement(hook, RawMeasurement(metric="m", passed=False), at="t").wire()
    assert passed["result"] == "Successful"
    assert failed["result"] == "Failed"


def template(**limits):
    return AnalysisTemplate.model_validate({"name": "t", "count": 4, **limits, "metrics": [
        {"name": "a", "min": 0, "prometheus": PROM}, {"name": "b", "min": 0, "prometheus": PROM}]})


def entries(*pairs):
    return [Measurement(metric=m, result=r, at="t") for m, r in pairs]


@pytest.mark.parametrize(("limits", "seen", "rounds", "phase"), [
    ({}, [("a", "Successful"), ("b", "Successful")], 1, "Running"),
    ({}, [("a", "Successful"), ("b", "Failed")], 1, "Failed"),
    ({"failureLimit": 1}, [("a", "Failed"), ("b", "Successful")], 1, "Running"),
    ({}, [("a", "Inconclusive"), ("b", "Successful")], 1, "Inconclusive"),
    ({"inconclusiveLimit": 3}, [("a", "Inconclusive")] * 4 + [("b", "Successful")] * 4, 4, "Inconclusive"),
    ({"inconclusiveLimit": 3}, [("a", "Inconclusive")] * 3 + [("a", "Successful")] + [("b", "Successful")] * 4, 4,
     "Successful"),
    ({}, [("a", "Error")] * 3, 3, "Error"),
    ({}, [("a", "Error")] * 2 + [("a", "Successful")] * 2 + [("b", "Successful")] * 4, 4, "Successful"),
    ({}, [("a", "Failed"), ("a", "Error")] * 3, 3, "Failed"),
], ids=["running", "failed", "failure-tolerated", "inconclusive", "never-a-success", "one-success",
        "errors", "errors-tolerated", "failure-wins"])
def test_run(limits, seen, rounds, phase):
    assert analysis.assess_run(template(**limits), analysis.count_results(entries(*seen)), rounds=rounds)[0] == phase


def test_counts_survive_the_trimming_of_measurements():
    long = AnalysisTemplate.model_validate({"name": "t", "count": 100, "interval": "1s", "failureLimit": 0,
                                            "metrics": [{"name": "a", "min": 0, "prometheus": PROM}]})
    run = analysis.start_run(template="t", stage="step", step=0, now="t0")
    run = analysis.record_round(run, long, entries(("a", "Failed")), now="t1")
    assert run.wire()["phase"] == "Failed"
    run = run.model_copy(update={"phase": RunPhase.RUNNING})
    for i in range(150):
        run = analysis.record_round(run, long.model_copy(update={"failure_limit": 5}),
                                    [Measurement(metric="a", result="Successful", at=f"t{i}")], now="t")
    run = run.wire()
    assert len(run["measurements"]) == analysis.MAX_MEASUREMENTS
    assert run["counts"] == {"a": {"successful": 150, "failed": 1, "inconclusive": 0, "error": 0}}
