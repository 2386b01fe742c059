"""The issue's acceptance test, through the real check path on files: predictions and late
ground truth on disk -> run_check + run_performance -> status summary -> health, conditions,
events and alerts; and the same through ``modelmon check --config``.

Accuracy falls from the 0.65 baseline to 0.52 over the last 50 labelled predictions: the
verdict is critical with p < 0.05, health Critical, Degraded True, exit status 3. At 0.63
nothing fires: severity ok, health Healthy, exit status 0.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
import yaml

from modelmon import checking, cli
from modelmon.api.drift import CheckConfig
from modelmon.api.status import LastCheck
from modelmon.data import tables
from modelmon.drift import summary
from modelmon.metrics import OperatorMetrics
from modelmon.policies.health import assess_health
from modelmon.policies.observations import check_observations

LABELLED, UNLABELLED = 200, 30


def write_scenario(directory: Path, *, correct_per_50: tuple[int, ...], seed: int = 11) -> Path:
    """reference.csv, predictions.csv (features, id, time, prediction) and ground-truth.csv
    (the first 200 predictions' labels, shuffled, as a label feed delivers them); returns the config."""
    rng = np.random.default_rng(seed)
    rows = LABELLED + UNLABELLED

    def features(n: int) -> dict[str, np.ndarray]:
        return {"x1": rng.normal(0, 1, n).round(4), "segment": rng.choice(["a", "b", "c"], n)}

    pa_csv.write_csv(pa.table(features(1000)), directory / "reference.csv")
    truth = rng.choice(["yes", "no"], rows)
    hit = np.ones(rows, dtype=bool)
    for block, correct in enumerate(correct_per_50):
        hit[block * 50 + rng.choice(50, 50 - correct, replace=False)] = False
    predicted = np.where(hit, truth, np.where(truth == "yes", "no", "yes"))
    ids = np.array([f"req-{i:05d}" for i in range(rows)])
    start = 1_795_000_000
    pa_csv.write_csv(pa.table({**features(rows), "request_id": ids, "ts": (start + 60 * np.arange(rows)).astype(float),
                               "prediction": predicted}), directory / "predictions.csv")
    order = rng.permutation(LABELLED)
    pa_csv.write_csv(pa.table({"request_id": ids[:LABELLED][order], "label": truth[:LABELLED][order]}),
                     directory / "ground-truth.csv")
    config = {
        "features": [{"name": "x1", "type": "numeric"}, {"name": "segment", "type": "categorical"}],
        "performance": {"task": "classification", "predictionColumn": "prediction", "targetColumn": "label",
                        "timestampColumn": "ts", "classes": ["yes", "no"], "baseline": {"accuracy": 0.65},
                        "groundTruth": {"uri": f"file://{directory / 'ground-truth.csv'}", "idColumn": "request_id"}},
    }
    path = directory / "check.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


DECAYED = (33, 33, 32, 26)  # accuracy 0.52 on the last 50
STEADY = (32, 31, 32, 31)  # 0.63 on the last 100 and 200, 0.62 on the last 50


def check_files(directory: Path) -> dict:
    config = CheckConfig.model_validate(yaml.safe_load((directory / "check.yaml").read_text()))
    current = tables.open_table(str(directory / "predictions.csv"))
    report = checking.run_check(reference=tables.open_table(str(directory / "reference.csv")), current=current,
                                config=config)
    truth = tables.open_table(config.performance.ground_truth.uri)
    performance = checking.run_performance(current, spec=config.performance, ground_truth=truth, now=time.time())
    return summary.summarise(report, finished_at="2026-11-23T10:00:00Z", performance=performance)


def test_a_fall_to_052_over_50_predictions_is_critical_and_significant(tmp_path):
    write_scenario(tmp_path, correct_per_50=DECAYED)
    last_check = check_files(tmp_path)
    LastCheck.model_validate(last_check)  # what the CRD's status schema holds
    performance = last_check["performance"]
    assert (performance["labelled"], performance["unlabelled"]) == (LABELLED, UNLABELLED)
    newest = next(m for m in performance["metrics"] if m["window"] == "last 50")
    assert newest["value"] == pytest.approx(0.52) and newest["baseline"] == 0.65
    assert newest["change"] == pytest.approx(-0.2) and newest["pValue"] < 0.05 and newest["significant"] is True
    assert newest["severity"] == "critical" and performance["severity"] == "critical"
    assert performance["recommendation"] == (
        f"accuracy 52.0% vs 65.0% baseline over the last 50 predictions, p={newest['pValue']:.2g}: retrain")

    assessment = assess_health(last_check, previous_health="Healthy", generation=3)
    assert last_check["dataset"]["drifted"] is False  # the inputs did not move: the model got worse
    assert assessment.health.value == "Critical"
    degraded = next(c for c in assessment.conditions if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"], degraded["observedGeneration"]) == ("True", "PerformanceDegraded", 3)
    assert degraded["message"] == performance["recommendation"]
    (event,) = assessment.events
    assert event.type == "Warning" and event.reason == "PerformanceDegraded" and "retrain" in event.message

    alerts = [o for o in check_observations(LastCheck.model_validate(last_check)) if o.type == "performance"]
    assert ("accuracy/last 50", "critical") in [(o.subject, o.severity) for o in alerts]


def test_a_fall_to_063_raises_nothing(tmp_path):
    write_scenario(tmp_path, correct_per_50=STEADY)
    last_check = check_files(tmp_path)
    performance = last_check["performance"]
    values = {m["window"]: m["value"] for m in performance["metrics"]}
    assert values == {"last 50": pytest.approx(0.62), "last 100": pytest.approx(0.63), "last 200": pytest.approx(0.63)}
    assert {m["severity"] for m in performance["metrics"]} == {"ok"}
    assert performance["severity"] == "ok" and performance["recommendation"] == "no action"
    assessment = assess_health(last_check, previous_health=None, generation=1)
    assert assessment.health.value == "Healthy"
    degraded = next(c for c in assessment.conditions if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("False", "PerformanceOK")
    assert [o for o in check_observations(LastCheck.model_validate(last_check)) if o.type == "performance"] == []


def test_metrics_are_exported_per_metric_and_window(tmp_path):
    write_scenario(tmp_path, correct_per_50=DECAYED)
    last_check = check_files(tmp_path)
    metrics = OperatorMetrics()
    body = {"metadata": {"namespace": "ml", "name": "churn"}, "status": {"health": "Critical", "lastCheck": last_check}}
    metrics.statuses.observe_monitor(body, deleted=False)
    sample = metrics.registry.get_sample_value
    labels = {"namespace": "ml", "monitor": "churn", "metric": "accuracy", "window": "last 50"}
    assert sample("modelmon_performance_metric_value", labels) == pytest.approx(0.52)
    assert sample("modelmon_performance_baseline", labels) == 0.65
    assert sample("modelmon_performance_severity", labels) == 2
    assert sample("modelmon_performance_p_value", labels) < 0.05
    assert sample("modelmon_performance_labelled_predictions",
                  {"namespace": "ml", "monitor": "churn", "state": "unlabelled"}) == UNLABELLED
    without = {k: v for k, v in last_check.items() if k != "performance"}
    metrics.statuses.observe_monitor({**body, "status": {"health": "Healthy", "lastCheck": without}}, deleted=False)
    assert sample("modelmon_performance_metric_value", labels) is None  # no stale series once it is not reported


# --------------------------------------------------------------------------- the terminal command


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_modelmon_check_exits_3_on_a_critical_decay(tmp_path, capsys):
    config = write_scenario(tmp_path, correct_per_50=DECAYED)
    code, out, _ = run(capsys, "check", "--reference", tmp_path / "reference.csv", "--current",
                       tmp_path / "predictions.csv", "--config", config)
    assert code == 3
    assert "verdict: no drift" in out
    assert "performance (classification): 200 labelled predictions, 30 awaiting ground truth" in out
    assert "performance: CRITICAL: accuracy 52.0% vs 65.0% baseline over the last 50 predictions, p=0.027: retrain" \
        in out


def test_modelmon_check_exits_0_when_performance_holds(tmp_path, capsys):
    config = write_scenario(tmp_path, correct_per_50=STEADY)
    code, out, _ = run(capsys, "check", "--reference", tmp_path / "reference.csv", "--current",
                       tmp_path / "predictions.csv", "--config", config, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["performance"]["severity"] == "ok"


def test_ground_truth_given_on_the_command_line(tmp_path, capsys):
    config = write_scenario(tmp_path, correct_per_50=DECAYED)
    moved = tmp_path / "labels-today.csv"
    (tmp_path / "ground-truth.csv").rename(moved)
    code, out, _ = run(capsys, "check", "--reference", tmp_path / "reference.csv", "--current",
                       tmp_path / "predictions.csv", "--config", config, "--ground-truth", moved)
    assert code == 3 and "performance: CRITICAL" in out


def test_a_missing_prediction_column_is_unknown_not_a_crash(tmp_path, capsys):
    config = write_scenario(tmp_path, correct_per_50=DECAYED)
    raw = yaml.safe_load(config.read_text())
    raw["performance"]["predictionColumn"] = "predicted_label"
    config.write_text(yaml.safe_dump(raw))
    code, out, _ = run(capsys, "check", "--reference", tmp_path / "reference.csv", "--current",
                       tmp_path / "predictions.csv", "--config", config)
    assert code == 0  # no drift, and performance is unknown rather than decayed
    assert "performance: UNKNOWN: accuracy last 50:" in out
    assert "no column 'predicted_label' (performance.predictionColumn)" in out


def test_an_invalid_performance_config_names_the_field(tmp_path, capsys):
    config = write_scenario(tmp_path, correct_per_50=DECAYED)
    raw = yaml.safe_load(config.read_text())
    raw["performance"]["baseline"] = {"accuracy": 65}
    config.write_text(yaml.safe_dump(raw))
    code, _, err = run(capsys, "check", "--reference", tmp_path / "reference.csv", "--current",
                       tmp_path / "predictions.csv", "--config", config)
    assert code == 2 and "performance" in err and "a fraction in [0, 1] (0.65, not 65)" in err


def test_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    out = capsys.readouterr().out
    assert "critical decay against the baseline" in out and "--ground-truth" in out


def test_a_regression_model_whose_errors_grew(tmp_path, capsys):
    """MAE and RMSE judged by relative thresholds (no test), hit rate by the z-test."""
    rng = np.random.default_rng(3)
    rows = 300
    target = rng.normal(0, 3, rows)
    errors = np.where(np.arange(rows) < 200, 1.3, 1.6) * rng.choice([-1, 1], rows)  # |error| 1.3, then 1.6
    pa_csv.write_csv(pa.table({"x": rng.normal(0, 1, 500)}), tmp_path / "reference.csv")
    pa_csv.write_csv(pa.table({"x": rng.normal(0, 1, rows), "y": target, "y_hat": target + errors}),
                     tmp_path / "current.csv")
    hits = np.mean(np.sign(target[-100:]) == np.sign(target[-100:] + errors[-100:]))
    config = {"features": [{"name": "x", "type": "numeric"}],
              "performance": {"task": "regression", "predictionColumn": "y_hat", "targetColumn": "y",
                              "baseline": {"mae": 1.3, "rmse": 1.3, "hitRate": float(hits)},
                              "windows": [{"rows": 100}, {"rows": 300}]}}
    (tmp_path / "check.yaml").write_text(yaml.safe_dump(config))
    code, out, _ = run(capsys, "check", "--reference", tmp_path / "reference.csv", "--current",
                       tmp_path / "current.csv", "--config", tmp_path / "check.yaml", "--format", "json")
    verdicts = {(m["metric"], m["window"]): m for m in json.loads(out)["performance"]["metrics"]}
    mae = verdicts[("mae", "last 100")]
    # status values carry 6 significant digits
    assert mae["value"] == pytest.approx(1.6, rel=1e-5) and mae["change"] == pytest.approx(1.6 / 1.3 - 1, rel=1e-5)
    assert mae["severity"] == "critical"  # +23 % past the 15 % critical rise
    assert verdicts[("rmse", "last 100")]["severity"] == "critical"  # +23 % past the 20 % critical rise
    # over all 300: MAE (200 * 1.3 + 100 * 1.6) / 300 = 1.4, +7.7 %: within the 10 % warning
    assert verdicts[("mae", "last 300")]["value"] == pytest.approx(1.4, rel=1e-5)
    assert verdicts[("mae", "last 300")]["severity"] == "ok"
    # RMSE over 300 = sqrt((200 * 1.69 + 100 * 2.56) / 300) = 1.4071: +8.2 %, within 15 %
    assert verdicts[("rmse", "last 300")]["value"] == pytest.approx(((200 * 1.69 + 100 * 2.56) / 300) ** 0.5,
                                                                  rel=1e-5)
    hit = verdicts[("hitRate", "last 100")]
    assert hit["value"] == pytest.approx(hits, rel=1e-5) and hit["pValue"] == pytest.approx(0.5, abs=1e-4)
    assert hit["severity"] == "ok"
    assert code == 3
