"""The Grafana dashboard: valid dashboard JSON, PromQL that Prometheus' own parser accepts, and
only metric names the operator really exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from modelmon.metrics import OperatorMetrics
from chart_rendering import CHART

DASHBOARD = CHART / "dashboards" / "modelmon.json"
PANEL_TYPES = {"row", "stat", "timeseries", "state-timeline", "table", "bargauge", "gauge", "heatmap", "text"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan"}
#: What the dashboard must show (issue #9): health, drift, performance, alerts and their delivery,
#: retraining, rollouts and their analysis.
REQUIRED_METRICS = {
    "modelmon_monitor_health", "modelmon_feature_drift_distance", "modelmon_feature_drift_adjusted_p_value",
    "modelmon_feature_drift_severity", "modelmon_last_check_timestamp_seconds", "modelmon_data_quality_issues",
    "modelmon_alerts_active", "modelmon_notifications_sent_total", "modelmon_notifications_failed_total",
    "modelmon_retraining_jobs", "modelmon_rollout_weight", "modelmon_rollout_phase",
    "modelmon_rollout_analysis_measurements_total", "modelmon_performance_metric_value",
}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel.get("targets", [])]


def variable_queries(dashboard: dict[str, Any]) -> list[str]:
    return [v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]


def grafana_to_promql(expr: str) -> str:
    """Grafana's variables replaced the way Grafana would before sending the query."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names (inside {...} or by/without/on/ignoring (...)), strings or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', grafana_to_promql(expr))
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end():].lstrip()[:1]
        word = match.group()
        if following == "(" or word.lower() in PROMQL_WORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", text[max(0, match.start() - 1):match.end()]):
            continue
        names.add(word)
    return names


def label_values_metrics(query: str) -> set[str]:
    match = re.fullmatch(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{.*\})?\s*,\s*\w+\s*\)", query)
    assert match, f"unexpected variable query {query!r}"
    return {match.group(1)}


def exported_names() -> set[str]:
    """Every sample name the operator's registry can expose, derived from its families."""
    names = set()
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
                "summary": ("", "_sum", "_count", "_created"), "gauge": ("",), "info": ("_info",),
                "stateset": ("",), "gaugehistogram": ("_bucket", "_gsum", "_gcount"), "unknown": ("",)}
    for family in OperatorMetrics().registry.collect():
        names.update(family.name + suffix for suffix in suffixes[family.type])
    return names


def test_metric_name_extraction_on_known_expressions():
    assert metric_names('sum by (le, monitor) (rate(modelmon_check_duration_seconds_bucket{a="b"}[1h]))') == {
        "modelmon_check_duration_seconds_bucket"}
    assert metric_names('a{x=~"$ns"} * 2 or on (x) b_total offset 5m') == {"a", "b_total"}
    assert metric_names("histogram_quantile(0.95, x[$__rate_interval])") == {"x"}


def test_dashboard_has_what_grafana_requires(dashboard):
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dashboard["uid"])
    assert dashboard["title"]
    assert dashboard["time"] == {"from": "now-24h", "to": "now"}
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        assert panel["type"] in PANEL_TYPES
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("h", "w", "x", "y"))
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["title"] and panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        assert all(t["expr"].strip() for t in panel["targets"])


def test_panels_do_not_overlap(dashboard):
    cells: dict[tuple[int, int], str] = {}
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = panel["title"]


def test_template_variables_are_defined_for_every_variable_used(dashboard):
    defined = {v["name"] for v in dashboard["templating"]["list"]}
    assert defined == {"datasource", "namespace", "monitor"}
    used = {name for expr in queries(dashboard) + variable_queries(dashboard)
            for name in re.findall(r"\$\{?(\w+)\}?", expr) if not name.startswith("__")}
    used |= {"datasource"}
    assert used == defined


def test_every_query_is_valid_promql_for_prometheus(tmp_path):
    """promtool (the Prometheus server's own parser) checks every expression as a recording rule."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with the Debian prometheus package (hack/setup.sh installs it)"
    dashboard = json.loads(DASHBOARD.read_text())
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)}
        for i, expr in enumerate(queries(dashboard))]}]}
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_queried_is_exported_by_the_operator(dashboard):
    used = set().union(*(metric_names(expr) for expr in queries(dashboard)))
    used |= set().union(*(label_values_metrics(q) for q in variable_queries(dashboard)))
    assert REQUIRED_METRICS <= used, f"the dashboard does not show {sorted(REQUIRED_METRICS - used)}"
    missing = sorted(used - exported_names())
    assert not missing, f"the dashboard queries metrics modelmon.metrics.OperatorMetrics does not define: {missing}"
