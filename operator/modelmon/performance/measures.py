"""One metric on one window, with the counts its significance test needs.

Values come from :mod:`modelmon.stats.performance` (the conventions are stated there).
For a proportion the test needs *trials* and *successes*: for accuracy and hit rate the
rows and the hits; for binary precision the predicted positives and the true positives
among them; for binary recall the actual positives and those found. Macro-averaged
precision and recall and every other metric have no single proportion, so no test.

A precision with no predicted positive (or a recall with no actual positive) is
undefined, not 0: reporting 0 would read as a collapse of the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from modelmon.stats import performance as stats

Array = npt.NDArray[np.object_] | npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Measure:
    """A metric's value on ``samples`` usable rows; ``reason`` explains a None value."""

    value: float | None
    samples: int
    trials: int | None = None
    """Trials of the proportion (None when the metric is not one)."""
    successes: int | None = None
    reason: str | None = None


def measure(metric: str, *, predictions: Array, targets: Array, positive_label: str | None) -> Measure:
    """``metric`` of ``predictions`` against ``targets`` (labels as text, or float64 numbers)."""
    if metric in ("accuracy", "hitRate"):
        rate = stats.accuracy(targets, predictions) if metric == "accuracy" else stats.hit_rate(targets, predictions)
        return Measure(value=rate.value, samples=rate.n, trials=rate.n if rate.value is not None else None,
                       successes=rate.successes if rate.value is not None else None, reason=rate.reason)
    if metric in ("precision", "recall", "f1"):
        return _precision_recall_f1(metric, predictions=predictions, targets=targets, positive_label=positive_label)
    if metric in ("sharpeRatio", "maxDrawdown"):
        return _trading(metric, predictions=predictions, targets=targets)
    computed = {"mae": stats.mean_absolute_error, "rmse": stats.root_mean_squared_error,
                "mape": stats.mean_absolute_percentage_error}[metric](targets, predictions)
    return Measure(value=computed.value, samples=computed.n, reason=computed.reason)


def _trading(metric: str, *, predictions: Array, targets: Array) -> Measure:
    """The Sharpe ratio (per row, not annualised) or the maximum drawdown of the strategy that holds the
    sign of each prediction: its return in a row is ``sign(prediction) * target``, the target being the
    row's realised return. Worked example: predictions (0.2, -0.1, 0.3), returns (0.01, 0.02, -0.01):
    strategy returns (0.01, -0.02, -0.01), equity 1.01, 0.9898, 0.9799, drawdown 0.0298."""
    strategy = np.sign(np.asarray(predictions, dtype=np.float64)) * np.asarray(targets, dtype=np.float64)
    result = stats.sharpe_ratio(strategy) if metric == "sharpeRatio" else stats.max_drawdown(strategy)
    return Measure(value=result.value, samples=result.n, reason=result.reason)


def _precision_recall_f1(metric: str, *, predictions: Array, targets: Array, positive_label: str | None) -> Measure:
    average: stats.Average = "macro" if positive_label is None else "binary"
    scores = stats.precision_recall_f1(targets, predictions, average=average, positive_label=positive_label)
    result: stats.MetricResult = getattr(scores, metric)
    if result.value is None or positive_label is None or metric == "f1":
        return Measure(value=result.value, samples=result.n, reason=result.reason)
    keep = np.array([t is not None and p is not None for t, p in zip(targets, predictions)], dtype=bool)
    is_true, is_pred = targets[keep] == positive_label, predictions[keep] == positive_label
    hits = int(np.sum(is_true & is_pred))
    trials = int(np.sum(is_pred)) if metric == "precision" else int(np.sum(is_true))
    if trials == 0:
        never = "predicted" if metric == "precision" else "the true label"
        return Measure(value=None, samples=result.n,
                       reason=f"{positive_label!r} was never {never} in this window: {metric} is undefined")
    return Measure(value=result.value, samples=result.n, trials=trials, successes=hits)
