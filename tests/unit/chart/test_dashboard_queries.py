"""Every dashboard query returns data from a real Prometheus scraping the operator's real
metrics registry, and every label a panel's legend names is on the series it returns.

The registry is filled with one series per metric (plausible label values by label name), so
the test needs no knowledge of each recorder's API and covers metrics as they are added.
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
from chart_rendering import CHART
from support.ports import free_port

DASHBOARD = CHART / "dashboards" / "modelmon.json"
#: Label values by label name; several values where panels filter or group by them.
LABEL_VALUES: dict[str, list[str]] = {
    "namespace": ["team-a"], "monitor": ["credit"], "feature": ["income", "region"], "method": ["psi"],
    "state": list(HEALTH_STATES), "severity": ["warning", "critical"], "outcome": ["ok", "drift"],
    "sink": ["oncall"], "sink_type": ["slack", "webhook"], "reason": ["error"],
    "phase": ["Training", "RollingOut", "Succeeded"], "retrainingjob": ["credit-retrain-1"],
    "metric": ["accuracy"], "window": ["last 50"], "result": ["successful", "inconclusive"],
}


def filled_registry() -> prom.CollectorRegistry:
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
    return metrics.registry


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "the Debian prometheus package provides /usr/bin/prometheus (hack/setup.sh installs it)"
    exporter_port, port = free_port(), free_port()
    server, thread = prom.start_http_server(exporter_port, addr="127.0.0.1", registry=filled_registry())
    work = tmp_path_factory.mktemp("prometheus")
    (work / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "modelmon", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}]}))
    process = subprocess.Popen([binary, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
        thread.join(5)


def targets() -> list[tuple[str, dict[str, Any]]]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.append((f"{panel['title']} [{target['refId']}]", target))
    return found


def as_prometheus_would_receive(expr: str) -> str:
    expr = expr.replace("$__rate_interval", "10s")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


@pytest.mark.parametrize(("panel", "target"), targets(), ids=[name for name, _ in targets()])
def test_query_returns_series_carrying_the_legends_labels(prometheus, panel, target):
    query = urllib.parse.quote(as_prometheus_would_receive(target["expr"]))
    answer = get_json(f"{prometheus}/api/v1/query?query={query}")
    assert answer["status"] == "success", answer
    series = answer["data"]["result"]
    assert series, f"{panel}: no data for {target['expr']}"
    legend_labels = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
    for one in series:
        assert legend_labels <= set(one["metric"]), (
            f"{panel}: the legend names {sorted(legend_labels - set(one['metric']))}, absent from {one['metric']}")
