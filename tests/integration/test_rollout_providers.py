"""Analysis providers against real servers: Prometheus (Debian package) scraping an exporter
the test controls, and a local HTTP webhook."""

from __future__ import annotations

import math

import pytest

from modelmon.api.rollout import AnalysisMetric
from modelmon.rollout import analysis
from modelmon import metric_providers as providers

from rollout_servers import Webhook
from support.ports import free_port


@pytest.fixture
def webhook():
    server = Webhook()
    yield server
    server.close()


def context(**extra):
    values = {"namespace": "ml", "retraining_job": "credit-retrain", "template": "quality",
              "since": "2026-11-23T10:00:00Z", "model": {"version": "2"}, "fetch_monitor": lambda ns, name: None}
    values.update(extra)
    return providers.Context(**values)


def prom_metric(address, query, **bounds):
    return AnalysisMetric.model_validate({"name": "accuracy", "prometheus": {"address": address, "query": query},
                                          **(bounds or {"min": 0.8})})


def judge(metric, raw):
    """The measurement's status entry, as stored in status.rollout."""
    return analysis.assess_measurement(metric, raw, at="2026-11-23T10:00:00Z").wire()


def test_prometheus_value_within_and_outside_bounds(prometheus, exporter):
    exporter.accuracy.labels("canary").set(0.91)
    prometheus.wait_for_value('model_accuracy{track="canary"}', 0.91)
    metric = prom_metric(prometheus.address, 'model_accuracy{track="canary"}')
    raw = providers.measure(metric, context())
    assert raw.value == pytest.approx(0.91) and judge(metric, raw)["result"] == "Successful"
    exporter.accuracy.labels("canary").set(0.62)
    prometheus.wait_for_value('model_accuracy{track="canary"}', 0.62)
    entry = judge(metric, providers.measure(metric, context()))
    assert entry["result"] == "Failed" and entry["value"] == pytest.approx(0.62)


def test_prometheus_scalar_result(prometheus):
    metric = prom_metric(prometheus.address, "scalar(vector(0.875))")
    assert providers.measure(metric, context()).value == 0.875


def test_prometheus_no_series_is_inconclusive(prometheus):
    metric = prom_metric(prometheus.address, 'model_accuracy{track="nobody"}')
    entry = judge(metric, providers.measure(metric, context()))
    assert entry["result"] == "Inconclusive" and "no series" in entry["message"]


def test_prometheus_nan_is_inconclusive(prometheus, exporter):
    exporter.accuracy.labels("nan").set(math.nan)
    prometheus.wait_for_value('count(model_accuracy{track="nan"})', 1.0)
    metric = prom_metric(prometheus.address, 'model_accuracy{track="nan"}')
    raw = providers.measure(metric, context())
    assert raw.value is not None and math.isnan(raw.value)
    assert judge(metric, raw)["result"] == "Inconclusive"


def test_prometheus_several_series_is_an_error_asking_to_aggregate(prometheus, exporter):
    exporter.accuracy.labels("a").set(1)
    exporter.accuracy.labels("b").set(1)
    prometheus.wait_for_value('count(model_accuracy{track=~"a|b"})', 2.0)
    metric = prom_metric(prometheus.address, 'model_accuracy{track=~"a|b"}')
    entry = judge(metric, providers.measure(metric, context()))
    assert entry["result"] == "Error" and "aggregate" in entry["message"]


def test_prometheus_bad_query_is_an_error_with_prometheus_words(prometheus):
    metric = prom_metric(prometheus.address, "sum(")
    entry = judge(metric, providers.measure(metric, context()))
    assert entry["result"] == "Error" and "400" in entry["message"] and "bad_data" in entry["message"]


def test_prometheus_unreachable_is_an_error():
    metric = prom_metric(f"http://127.0.0.1:{free_port()}", "up")
    entry = judge(metric, providers.measure(metric, context()))
    assert entry["result"] == "Error" and "not reachable" in entry["message"]


def test_webhook_2xx_passes_and_5xx_fails_without_bounds(webhook):
    metric = AnalysisMetric.model_validate({"name": "smoke", "webhook": {"url": webhook.url}})
    assert judge(metric, providers.measure(metric, context()))["result"] == "Successful"
    assert webhook.received[-1] == {"retrainingJob": {"namespace": "ml", "name": "credit-retrain"},
                                    "analysis": "quality", "metric": "smoke", "model": {"version": "2"}}
    webhook.status = 503
    assert judge(metric, providers.measure(metric, context()))["result"] == "Failed"


@pytest.mark.parametrize(("body", "result"), [({"value": 0.93}, "Successful"), ({"value": 0.5}, "Failed"),
                                              ({"value": None}, "Inconclusive"), ({}, "Inconclusive"),
                                              ({"value": "high"}, "Error")])
def test_webhook_value_judged_with_bounds(webhook, body, result):
    webhook.body = body
    metric = AnalysisMetric.model_validate({"name": "score", "min": 0.9, "webhook": {"url": webhook.url}})
    assert judge(metric, providers.measure(metric, context()))["result"] == result


def test_webhook_timeout_is_an_error(webhook):
    webhook.delay = 1.5
    metric = AnalysisMetric.model_validate({"name": "smoke", "webhook": {"url": webhook.url, "timeoutSeconds": 0.5}})
    assert judge(metric, providers.measure(metric, context()))["result"] == "Error"


def monitor_body(time, health="Healthy", accuracy=0.9):
    return {"status": {"health": health, "lastCheck": {"time": time, "performance": {
        "metrics": [{"metric": "accuracy", "window": "last 50", "value": accuracy}]}}}}


@pytest.mark.parametrize(("body", "measure", "result"), [
    (monitor_body("2026-11-23T10:05:00Z"), "health", "Successful"),
    (monitor_body("2026-11-23T10:05:00Z", health="Critical"), "health", "Failed"),
    (monitor_body("2026-11-23T10:05:00Z", health="Unknown"), "health", "Inconclusive"),
    (monitor_body("2026-11-23T09:55:00Z"), "health", "Inconclusive"),
    (monitor_body("2026-11-23T10:05:00Z", accuracy=0.7), "performance.accuracy", "Failed"),
    (monitor_body("2026-11-23T10:05:00Z"), "performance.f1", "Inconclusive"),
    (None, "health", "Error"),
], ids=["healthy", "critical", "unknown", "check-before-run", "accuracy-low", "metric-absent", "no-monitor"])
def test_model_monitor(body, measure, result):
    bounds = {"max": 0} if measure == "health" else {"min": 0.8}
    metric = AnalysisMetric.model_validate({"name": "monitor", **bounds,
                                            "modelMonitor": {"name": "credit-canary", "measure": measure}})
    raw = providers.measure(metric, context(fetch_monitor=lambda ns, name: body))
    assert judge(metric, raw)["result"] == result


def test_credentials_in_an_address_never_reach_the_message():
    metric = prom_metric(f"http://admin:s3cret@127.0.0.1:{free_port()}/prom?token=abc", "up")
    entry = judge(metric, providers.measure(metric, context()))
    assert entry["result"] == "Error" and "s3cret" not in entry["message"] and "abc" not in entry["message"]
    assert "http://127.0.0.1:" in entry["message"]
