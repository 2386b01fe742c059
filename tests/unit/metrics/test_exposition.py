"""What /metrics serves (#19): clean for ``promtool check metrics``, with process and runtime
metrics, modelmon_build_info, and nothing left of a deleted monitor."""

from __future__ import annotations

import platform
import shutil
import subprocess

import prometheus_client as prom
from prometheus_client.parser import text_string_to_metric_families as parse

import modelmon
from modelmon.metrics import OperatorMetrics

STATUS = {
    "health": "Critical",
    "alerts": [{"severity": "critical", "state": "firing"}],
    "lastCheck": {
        "time": "2026-11-23T10:00:00Z",
        "durationSeconds": 1.0,
        "currentRows": 10,
        "dataset": {"driftedFeatures": 1},
        "features": [
            {
                "name": "income",
                "kind": "numeric",
                "method": "wasserstein",
                "score": 0.6,
                "pvalue": 0.01,
                "adjustedPvalue": 0.01,
                "severityScore": 85,
            }
        ],
        "qualityIssues": [{"column": "income", "check": "missingRate", "severity": "warning", "value": 0.2}],
        "performance": {
            "labelled": 5,
            "unlabelled": 1,
            "metrics": [
                {
                    "metric": "accuracy",
                    "window": "last 50",
                    "samples": 5,
                    "value": 0.5,
                    "baseline": 0.6,
                    "change": -0.1,
                    "pValue": 0.2,
                    "severity": "warning",
                }
            ],
        },
    },
}


def filled() -> OperatorMetrics:
    metrics = OperatorMetrics()
    body = {"metadata": {"namespace": "team-a", "name": "credit"}, "status": STATUS}
    metrics.statuses.observe_monitor(body, deleted=False)
    metrics.statuses.observe_retraining_job(
        {
            "metadata": {"namespace": "team-a", "name": "credit-1"},
            "status": {"phase": "RollingOut", "rollout": {"phase": "Progressing", "effectiveWeight": 20}},
        },
        deleted=False,
    )
    metrics.record_check(namespace="team-a", monitor="credit", last_check=STATUS["lastCheck"])
    metrics.record_retraining(namespace="team-a", name="credit-0", phase="Succeeded", finished=True)
    metrics.record_rollout(
        namespace="team-a",
        retrainingjob="credit-1",
        phase="Progressing",
        effective_weight=20,
        measurements=[{"metric": "accuracy", "result": "Successful"}],
    )
    metrics.record_delivery(
        namespace="team-a", monitor="credit", sink="oncall", sink_type="slack", pending=1, sent=2, failed={"error": 1}
    )
    return metrics


def samples(text: bytes) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    """Every sample of an exposition but the process's own (they move between two reads)."""
    return sorted(
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for family in parse(text.decode())
        for s in family.samples
        if not s.name.startswith(("process_", "python_gc_"))
    )


def test_the_served_text_is_the_registrys_with_the_status_series_from_their_cached_rendering():
    metrics = filled()
    served = metrics.exposition()
    assert samples(served) == samples(prom.generate_latest(metrics.registry))
    assert b'modelmon_monitor_health{namespace="team-a",monitor="credit",state="Critical"} 1.0' in served
    # The second scrape joins the first's rendering of the status series. Each text is cut at its own
    # offset: the process series before them (CPU seconds, memory) change length between two scrapes.
    again = metrics.exposition()
    status_part = b"# HELP modelmon_monitor_health"
    assert again[again.index(status_part) :] == served[served.index(status_part) :]


def test_a_new_status_replaces_the_cached_series_and_a_deleted_monitor_leaves_the_text():
    metrics = filled()
    metrics.exposition()
    body = {"metadata": {"namespace": "team-a", "name": "credit"}, "status": {**STATUS, "health": "Healthy"}}
    metrics.statuses.observe_monitor(body, deleted=False)
    served = metrics.exposition()
    assert b'state="Healthy"} 1.0' in served and b'state="Critical"} 1.0' not in served
    metrics.statuses.observe_monitor(body, deleted=True)
    assert b'monitor="credit"' not in metrics.exposition().split(b"modelmon_notifications")[0]


def test_label_values_are_escaped():
    metrics = OperatorMetrics()
    status = {
        "lastCheck": {
            "time": "2026-11-23T10:00:00Z",
            "features": [
                {"name": 'a "quoted"\\path\nname', "kind": "numeric", "method": "psi", "score": 0.1, "severityScore": 1}
            ],
        }
    }
    metrics.statuses.observe_monitor({"metadata": {"namespace": "ns", "name": "m"}, "status": status}, deleted=False)
    (feature,) = {
        s.labels["feature"]
        for f in parse(metrics.exposition().decode())
        for s in f.samples
        if s.name == "modelmon_feature_drift_distance"
    }
    assert feature == 'a "quoted"\\path\nname'


def test_promtool_check_metrics_finds_nothing():
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with the Debian prometheus package (hack/setup.sh installs it)"
    exposition = filled().exposition()  # what /metrics serves
    result = subprocess.run(
        [promtool, "check", "metrics"], input=exposition, capture_output=True, check=False, timeout=60
    )
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
        result.stdout.decode() + result.stderr.decode()
    )


def test_process_runtime_and_build_info_are_served():
    sample = filled().registry.get_sample_value
    assert sample("process_resident_memory_bytes") > 0
    assert sample("process_cpu_seconds_total") is not None
    assert (
        sample(
            "python_info",
            {
                "implementation": platform.python_implementation(),
                "major": "3",
                "minor": platform.python_version_tuple()[1],
                "patchlevel": platform.python_version_tuple()[2],
                "version": platform.python_version(),
            },
        )
        == 1
    )
    build = [s for m in filled().registry.collect() if m.name == "modelmon_build" for s in m.samples]
    assert [s.name for s in build] == ["modelmon_build_info"] and build[0].value == 1
    assert build[0].labels["version"] == modelmon.__version__
    assert build[0].labels["python"] == platform.python_version()


def test_a_deleted_monitor_leaves_no_series():
    metrics = filled()
    metrics.statuses.observe_monitor({"metadata": {"namespace": "team-a", "name": "credit"}}, deleted=True)
    metrics.forget(namespace="team-a", monitor="credit")
    metrics.forget_sinks(namespace="team-a", monitor="credit")
    left = [
        (s.name, s.labels) for m in metrics.registry.collect() for s in m.samples if s.labels.get("monitor") == "credit"
    ]
    assert left == []
