"""Trading metrics in a monitor's performance spec (#17): hit rate, Sharpe ratio and maximum drawdown of a
model that predicts returns, selectable with their baselines and judged like every other metric.

The strategy holds the sign of each prediction, so its return in a row is sign(prediction) * target. The
expected values here are computed independently of stats/performance.py: the statistics module's mean and
sample standard deviation for the Sharpe ratio, and a plain loop over the equity curve for the drawdown.
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pydantic
import pytest

from modelmon import checking
from modelmon.api.performance import PerformanceSpec
from modelmon.data import tables


def _sharpe(returns: list[float]) -> float:
    return statistics.mean(returns) / statistics.stdev(returns)


def _drawdown(returns: list[float]) -> float:
    equity, peak, worst = 1.0, 1.0, 0.0
    for r in returns:
        equity *= 1 + r
        peak = max(peak, equity)
        worst = max(worst, 1 - equity / peak)
    return worst


def _table(tmp_path, predictions: np.ndarray, returns: np.ndarray) -> tables.Table:
    path = tmp_path / "current.csv"
    pa_csv.write_csv(pa.table({"prediction": predictions, "ret": returns}), path)
    return tables.open_table(str(path))


def spec(**baseline: float) -> PerformanceSpec:
    return PerformanceSpec.model_validate(
        {
            "task": "regression",
            "predictionColumn": "prediction",
            "targetColumn": "ret",
            "baseline": baseline,
            "windows": [{"rows": 100}],
        }
    )


def test_sharpe_ratio_drawdown_and_hit_rate_of_the_sign_strategy_match_independent_references(tmp_path):
    rng = np.random.default_rng(7)
    returns = rng.normal(0.001, 0.01, 100).round(6)
    predictions = (returns + rng.normal(0, 0.01, 100)).round(6)  # a noisy forecaster
    report = checking.run_performance(
        _table(tmp_path, predictions, returns),
        spec=spec(sharpeRatio=0.2, maxDrawdown=0.05, hitRate=0.6),
        now=time.time(),
    )
    got = {m.metric: m.value for m in report.metrics}
    strategy = [float(np.sign(p)) * float(r) for p, r in zip(predictions, returns, strict=True)]
    hits = sum(np.sign(p) == np.sign(r) for p, r in zip(predictions, returns, strict=True)) / 100
    assert math.isclose(got["sharpeRatio"], _sharpe(strategy), rel_tol=1e-9)
    assert math.isclose(got["maxDrawdown"], _drawdown(strategy), rel_tol=1e-9)
    assert math.isclose(got["hitRate"], hits, rel_tol=1e-12)


def test_a_strategy_that_collapses_is_critical_on_sharpe_and_drawdown(tmp_path):
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0, 0.01, 100).round(6)
    predictions = -returns  # always on the wrong side: the strategy loses every row
    report = checking.run_performance(
        _table(tmp_path, predictions, returns), spec=spec(sharpeRatio=0.15, maxDrawdown=0.05), now=time.time()
    )
    severities = {m.metric: m.severity for m in report.metrics}
    assert severities == {"sharpeRatio": "critical", "maxDrawdown": "critical"}
    assert report.severity == "critical"
    sharpe = next(m for m in report.metrics if m.metric == "sharpeRatio")
    assert "sharpeRatio" in sharpe.recommendation and "%" not in sharpe.recommendation.split(" vs ")[0]


@pytest.mark.parametrize(
    ("task", "baseline", "message"),
    [
        ("regression", {"sharpeRatio": -0.1}, "baseline.sharpeRatio: must be positive"),
        ("regression", {"maxDrawdown": 20}, "baseline.maxDrawdown: a fraction in [0, 1] (0.65, not 65), got 20"),
        ("classification", {"sharpeRatio": 0.5}, "sharpeRatio do not apply to task classification"),
    ],
)
def test_baselines_that_cannot_work_are_refused_in_one_line(task, baseline, message):
    with pytest.raises(pydantic.ValidationError) as error:
        PerformanceSpec.model_validate(
            {"task": task, "predictionColumn": "p", "targetColumn": "y", "baseline": baseline}
        )
    assert message in str(error.value)
