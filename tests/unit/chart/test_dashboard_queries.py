"""Every dashboard query returns data from a real Prometheus scraping the operator's real
metrics registry *the way the chart's ServiceMonitor makes Prometheus Operator scrape it*, and
every label a panel's legend names is on the series it returns.

The scrape job is built from the rendered ServiceMonitor: its ``honorLabels``, its relabelings,
and the target labels Prometheus Operator adds to every ServiceMonitor target (``namespace`` =
the operator's namespace, ``service``, ``pod``, ``endpoint``, ``job``). Without honorLabels the
operator's ``namespace`` label (the monitored object's) would be renamed ``exported_namespace``
and the dashboard's namespace variable would list the operator's namespace: the test sends the
variables as a person picks them (namespace team-a, monitor credit), so it sees that.

The registry is filled with one series per counted metric (plausible label values by label name)
and with a complete ModelMonitor and RetrainingJob status in the watch's index, so the test needs
no knowledge of each recorder's API and covers metrics as they are added.
Prometheus is the Debian package's server, on loopback, with a temporary data directory.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import prometheus_client as prom
import pytest
import yaml

from modelmon.metrics import HEALTH_STATES, OperatorMetrics
from chart_rendering import CHART, NAMESPACE, one, render
from support.ports import free_port

DASHBOARD = CHART / "dashboards" / "modelmon.json"
#: What a person picks in the dashboard's variables: the monitored objects' namespace.
PICKED = {"namespace": "team-a", "monitor": "credit"}
#: Label values by label name; several values where panels filter or group by them.
LABEL_VALUES: dict[str, list[str]] = {
    "namespace": ["team-a"],
    "monitor": ["credit"],
    "state": list(HEALTH_STATES),
    "outcome": ["ok", "drift"],
    "sink": ["oncall"],
    "sink_type": ["slack", "webhook"],
    "reason": ["error"],
    "phase": ["Succeeded"],
    "retrainingjob": ["credit-retrain-1"],
    "metric": ["accuracy"],
    "result": ["successful", "inconclusive"],
}
#: A status as the check job and the operator write it: every status-served family has a series.
MONITOR_STATUS: dict[str, Any] = {
    "health": "Warning",
    "alerts": [{"id": "a1", "type": "drift", "subject": "income", "severity": "warning", "state": "firing"}],
    "lastCheck": {
        "time": "2026-11-23T10:00:00Z",
        "durationSeconds": 2.5,
        "currentRows": 5000,
        "referenceRows": 5000,
        "dataset": {"drifted": False, "driftedFeatures": 1, "judgedFeatures": 2},
        "features": [
            {
                "name": "income",
                "kind": "numeric",
                "status": "judged",
                "method": "psi",
                "score": 0.3,
                "pvalue": 0.001,
                "adjustedPvalue": 0.002,
                "severity": "significant",
                "severityScore": 70,
                "drifted": True,
            },
            {
                "name": "region",
                "kind": "categorical",
                "status": "judged",
                "method": "chi2",
                "score": 0.4,
                "pvalue": 0.4,
                "adjustedPvalue": 0.8,
                "severity": "stable",
                "severityScore": 0,
                "drifted": False,
            },
        ],
        "qualityIssues": [
            {
                "column": "income",
                "check": "missingRate",
                "severity": "warning",
                "value": 0.12,
                "limit": 0.1,
                "message": "12% missing",
            }
        ],
        "performance": {
            "task": "classification",
            "labelled": 900,
            "unlabelled": 100,
            "severity": "ok",
            "metrics": [
                {
                    "metric": "accuracy",
                    "window": "last 50",
                    "samples": 50,
                    "value": 0.8,
                    "baseline": 0.82,
                    "change": -0.02,
                    "pValue": 0.4,
                    "severity": "ok",
                }
            ],
        },
    },
}
RETRAINING_STATUS = {"phase": "RollingOut", "rollout": {"phase": "Progressing", "effectiveWeight": 25.0}}


def filled_metrics() -> OperatorMetrics:
    metrics = OperatorMetrics()
    for metric in vars(metrics).values():
        if not isinstance(metric, prom.metrics.MetricWrapperBase):
            continue
        names = metric._labelnames  # noqa: SLF001 - prometheus_client has no public accessor
        combos: list[dict[str, str]] = [{}]
        for name in names:
            combos = [{**c, name: value} for c in combos for value in LABEL_VALUES.get(name, ["x"])]
        for labels in combos:
            child = metric.labels(**labels) if names else metric
            if isinstance(metric, prom.Counter):
                child.inc()
            elif isinstance(metric, prom.Gauge):
                child.set(1)
            else:
                child.observe(1.0)
    metrics.statuses.observe_monitor(
        {"metadata": {"namespace": "team-a", "name": "credit"}, "status": MONITOR_STATUS}, deleted=False
    )
    metrics.statuses.observe_retraining_job(
        {"metadata": {"namespace": "team-a", "name": "credit-retrain-1"}, "status": RETRAINING_STATUS}, deleted=False
    )
    return metrics


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _snake(relabel: dict[str, Any]) -> dict[str, Any]:
    """A Prometheus Operator RelabelConfig as Prometheus' relabel_config spells it."""
    return {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key): value for key, value in relabel.items()}


def service_monitor_scrape_config(target: str) -> dict[str, Any]:
    """The scrape job Prometheus Operator generates from the chart's ServiceMonitor, for one
    endpoint of one pod: the discovery labels a real endpoints discovery would give, relabelled
    into the target labels the Operator always adds, then the chart's own relabelings."""
    monitor = one(render({"metrics": {"serviceMonitor": {"enabled": True}}}), "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    service = "mm-modelmon-metrics"
    discovered = {
        "__meta_kubernetes_namespace": NAMESPACE,
        "__meta_kubernetes_service_name": service,
        "__meta_kubernetes_pod_name": "mm-modelmon-5d9c7b-x2k4q",
        "__meta_kubernetes_pod_container_name": "operator",
        "__meta_kubernetes_endpoint_port_name": endpoint["port"],
    }
    operator_relabels = [
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "job"},
        {"target_label": "endpoint", "replacement": endpoint["port"]},
    ]
    return {
        "job_name": f"serviceMonitor/{NAMESPACE}/{monitor['metadata']['name']}/0",
        "honor_labels": endpoint.get("honorLabels", False),
        "metrics_path": endpoint.get("path", "/metrics"),
        "static_configs": [{"targets": [target], "labels": discovered}],
        "relabel_configs": operator_relabels + [_snake(r) for r in endpoint.get("relabelings", [])],
        "metric_relabel_configs": [_snake(r) for r in endpoint.get("metricRelabelings", [])],
    }


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "the Debian prometheus package provides /usr/bin/prometheus (hack/setup.sh installs it)"
    exporter_port, port = free_port(), free_port()
    server = filled_metrics().serve(exporter_port, addr="127.0.0.1")  # what `modelmon run` serves
    work = tmp_path_factory.mktemp("prometheus")
    (work / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [service_monitor_scrape_config(f"127.0.0.1:{exporter_port}")],
            }
        )
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()[-2000:] if process.stderr else "exited"
            try:
                samples = get_json(f"{base}/api/v1/query?query=count_over_time(up%5B1m%5D)")["data"]["result"]
                if samples and float(samples[0]["value"][1]) >= 3:  # three scrapes: enough for rate()
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Prometheus did not scrape the exporter within 60 s"
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(30)
        server.shutdown()
        server.server_close()


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    answer = get_json(f"{prometheus}/api/v1/query?query={urllib.parse.quote(expr)}")
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def targets() -> list[tuple[str, dict[str, Any]]]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.append((f"{panel['title']} [{target['refId']}]", target))
    return found


def variable_query(name: str) -> str:
    dashboard = json.loads(DASHBOARD.read_text())
    return next(v["query"]["query"] for v in dashboard["templating"]["list"] if v["name"] == name)


def as_prometheus_would_receive(expr: str) -> str:
    """Grafana's substitution of what a person picked (a single value is sent as itself)."""
    expr = expr.replace("$__rate_interval", "10s")
    return re.sub(r"\$\{?(\w+)\}?", lambda m: PICKED.get(m.group(1), ".*"), expr)


@pytest.mark.parametrize(("panel", "target"), targets(), ids=[name for name, _ in targets()])
def test_query_returns_series_carrying_the_legends_labels(prometheus, panel, target):
    series = query(prometheus, as_prometheus_would_receive(target["expr"]))
    assert series, f"{panel}: no data for {target['expr']} with {PICKED}"
    legend_labels = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
    for one_series in series:
        assert legend_labels <= set(one_series["metric"]), (
            f"{panel}: the legend names {sorted(legend_labels - set(one_series['metric']))}, "
            f"absent from {one_series['metric']}"
        )


def test_the_namespace_variable_lists_the_monitors_namespace_not_the_operators(prometheus):
    """label_values(metric, namespace), as Grafana asks for the variable's choices."""
    metric, label = re.fullmatch(r"label_values\((\w+)[^,]*,\s*(\w+)\)", variable_query("namespace")).groups()
    values = {s["metric"].get(label) for s in query(prometheus, metric)}
    assert values == {"team-a"}, f"the namespace variable would offer {values}"
    renamed = query(prometheus, '{exported_namespace!=""}')
    assert not renamed, f"series renamed by the scrape: {[s['metric']['__name__'] for s in renamed][:5]}"


def test_the_operators_own_series_carry_the_target_labels(prometheus):
    """Process and build metrics have no namespace of their own: they get the operator's pod's."""
    (build,) = query(prometheus, "modelmon_build_info")
    assert build["metric"]["namespace"] == NAMESPACE and build["metric"]["pod"].startswith("mm-modelmon")
    assert build["metric"]["version"]
    assert query(prometheus, f'process_resident_memory_bytes{{namespace="{NAMESPACE}"}}')
