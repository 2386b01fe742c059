"""``spec.performance``: live model performance judged against the backtest baseline.

Drift says the inputs changed; this section says whether the model got worse. The same
model configures ``modelmon check --config FILE`` (key ``performance:``) and the
ModelMonitor, so a data scientist's pre-deployment gate and the cluster agree.

Thresholds are *relative change* against the baseline by default (accuracy 0.65 -> 0.52 is
a change of -20 %), or absolute values of the metric (``bound: absolute``). Defaults follow
what teams use for backtest-vs-live comparisons: proportions (accuracy, precision, recall,
F1, hit rate) warn at a 3 % drop and are critical at 5 %; MAE and MAPE at a 10 % / 15 %
rise, RMSE at 15 % / 20 %.
"""

from __future__ import annotations

from typing import Literal

import pydantic

from modelmon.api.base import SpecModel
from modelmon.api.durations import Duration
from modelmon.api.sources import DataSource

Task = Literal["classification", "regression"]
PerformanceSeverity = Literal["ok", "warning", "critical", "unknown"]
"""A performance verdict (one metric on one window, or the worst over them); unknown: not judged."""
MetricName = Literal["accuracy", "precision", "recall", "f1", "hitRate", "mae", "rmse", "mape", "sharpeRatio",
                     "maxDrawdown"]

CLASSIFICATION_METRICS: frozenset[str] = frozenset({"accuracy", "precision", "recall", "f1"})
REGRESSION_METRICS: frozenset[str] = frozenset({"mae", "rmse", "mape", "hitRate", "sharpeRatio", "maxDrawdown"})
#: Trading metrics of a model that predicts returns: the strategy holds the sign of each prediction,
#: so its return in a row is ``sign(prediction) * target`` (stats/performance.py states the formulas).
TRADING_METRICS: frozenset[str] = frozenset({"sharpeRatio", "maxDrawdown"})
#: Error metrics (and the drawdown): a rise is a decay. Every other metric decays when it falls.
LOWER_IS_BETTER: frozenset[str] = frozenset({"mae", "rmse", "mape", "maxDrawdown"})
#: Metrics that are not fractions in [0, 1] (a Sharpe ratio is any real; error metrics any non-negative number).
UNBOUNDED: frozenset[str] = frozenset({"mae", "rmse", "mape", "sharpeRatio"})
#: Metrics that are a share of trials, so the one-sided one-proportion z-test applies.
PROPORTIONS: frozenset[str] = frozenset({"accuracy", "precision", "recall", "hitRate"})


class MetricThresholds(SpecModel):
    """When one metric is a warning or critical; both levels are optional."""

    bound: Literal["relative", "absolute"] = "relative"
    """``relative``: warning and critical are fractions of the baseline by which the metric
    may worsen (0.03 = 3 %). ``absolute``: they are values of the metric itself (accuracy
    below 0.6, MAE above 2.5)."""
    warning: float | None = pydantic.Field(default=None, ge=0)
    """Worsening from which the metric is a warning."""
    critical: float | None = pydantic.Field(default=None, ge=0)
    """Worsening from which the metric is critical."""
    floor: float | None = pydantic.Field(default=None, ge=0)
    """The worst acceptable value whatever the baseline: below it (above it for the error
    metrics mae, rmse and mape) the metric is critical, significant or not."""


#: Relative-change defaults by metric (warning, critical), used where ``thresholds`` is silent.
DEFAULT_RELATIVE: dict[str, tuple[float, float]] = {
    "accuracy": (0.03, 0.05), "precision": (0.03, 0.05), "recall": (0.03, 0.05), "f1": (0.03, 0.05),
    "hitRate": (0.03, 0.05), "mae": (0.10, 0.15), "mape": (0.10, 0.15), "rmse": (0.15, 0.20),
    # a per-period Sharpe ratio is noisy over a window of tens of rows: a quarter lower warns, half is critical;
    # a drawdown a quarter (half) deeper than the backtest's likewise
    "sharpeRatio": (0.25, 0.50), "maxDrawdown": (0.25, 0.50),
}


class PerformanceWindow(SpecModel):
    """One rolling window of labelled predictions: the last N, or those within a duration."""

    rows: int | None = pydantic.Field(default=None, ge=1)
    """The last N labelled predictions."""
    duration: Duration | None = None
    """Labelled predictions made within this duration before the check (needs
    ``performance.timestampColumn``)."""

    @pydantic.model_validator(mode="after")
    def _exactly_one(self) -> PerformanceWindow:
        if (self.rows is None) == (self.duration is None):
            raise ValueError("a window sets exactly one of rows or duration, e.g. {rows: 100} or {duration: 6h}")
        return self

    @property
    def label(self) -> str:
        """How the window is named in status and alerts: ``last 50`` or ``last 6h``."""
        return f"last {self.rows}" if self.rows is not None else f"last {self.duration}"


class GroundTruthSource(DataSource):
    """Targets that arrive after the predictions, joined to them on an id column."""

    id_column: str = pydantic.Field(min_length=1)
    """Column holding the prediction's id, in both the predictions and this source."""
    target_column: str | None = pydantic.Field(default=None, min_length=1)
    """Column of the true value here; ``performance.targetColumn`` when absent."""


class PerformanceSpec(SpecModel):
    """How live performance is measured and compared with the backtest baseline."""

    task: Task
    """What the model predicts: class labels, or numbers."""
    prediction_column: str = pydantic.Field(min_length=1)
    """Column of the model's prediction in the current data."""
    target_column: str = pydantic.Field(min_length=1)
    """Column of the true value (in the current data, or in ``groundTruth``)."""
    ground_truth: GroundTruthSource | None = None
    """Where targets arrive when they come later than the predictions; absent: they are in
    the current data, and rows with an empty target are the unlabelled ones."""
    timestamp_column: str | None = pydantic.Field(default=None, min_length=1)
    """Column of each prediction's time: orders the predictions and drives duration
    windows. Absent: the data's row order is the time order."""
    baseline: dict[MetricName, float] = pydantic.Field(min_length=1)
    """Backtest value of each metric, e.g. ``{accuracy: 0.65}`` or ``{mae: 1.3}``."""
    metrics: list[MetricName] | None = None
    """Metrics to watch; every metric with a baseline when absent."""
    thresholds: dict[MetricName, MetricThresholds] = pydantic.Field(default_factory=dict)
    """Per-metric thresholds; where absent, relative drops of 3%/5% (warning/critical) for scores, rises of
    10%/15% for mae and mape, 15%/20% for rmse (docs/statistics.md)."""
    windows: list[PerformanceWindow] = pydantic.Field(
        default_factory=lambda: [PerformanceWindow(rows=50), PerformanceWindow(rows=100), PerformanceWindow(rows=200)],
        min_length=1, max_length=10)
    """Rolling windows over the labelled predictions; each is judged on its own."""
    min_samples: int = pydantic.Field(default=30, ge=1)
    """Below this many labelled predictions in a window its verdict is unknown, not an alarm."""
    significance_level: float = pydantic.Field(default=0.05, gt=0, lt=1)
    """Alpha of the one-sided test of a proportion's drop below its baseline."""
    positive_label: str | None = None
    """Class whose precision, recall and F1 are reported (compared as text). Absent: the
    macro average over the classes seen."""
    classes: list[str] | None = pydantic.Field(default=None, min_length=2)
    """Known class labels (as text); a label outside them makes the classification metrics
    unknown, since a renamed or new class is a pipeline problem, not a model decay."""

    def watched(self) -> list[str]:
        """The metrics to watch, in a stable order."""
        return list(self.metrics) if self.metrics else list(self.baseline)

    def thresholds_for(self, metric: str) -> MetricThresholds:
        """The metric's thresholds; relative levels left out take the defaults, so that
        ``{accuracy: {floor: 0.5}}`` adds a floor to the usual 3 % / 5 % drops."""
        given: MetricThresholds = self.thresholds.get(metric) or MetricThresholds()  # type: ignore[call-overload]
        if given.bound == "absolute":
            return given
        warning, critical = DEFAULT_RELATIVE[metric]
        return given.model_copy(update={"warning": given.warning if given.warning is not None else warning,
                                        "critical": given.critical if given.critical is not None else critical})

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> PerformanceSpec:
        allowed = CLASSIFICATION_METRICS if self.task == "classification" else REGRESSION_METRICS
        named = [*self.baseline, *(self.metrics or []), *self.thresholds]
        wrong = sorted({m for m in named if m not in allowed})
        if wrong:
            raise ValueError(f"{', '.join(wrong)} do not apply to task {self.task}; "
                             f"its metrics are {', '.join(sorted(allowed))}")
        missing = [m for m in self.metrics or [] if m not in self.baseline]
        if missing:
            raise ValueError(f"metrics {', '.join(missing)} have no baseline: add them to performance.baseline")
        for metric, value in self.baseline.items():
            _check_baseline(metric, value)
        for metric in self.thresholds:
            _check_thresholds(metric, self.thresholds_for(metric))
        labels = [window.label for window in self.windows]
        if len(set(labels)) != len(labels):
            raise ValueError(f"windows listed twice: {', '.join(sorted({w for w in labels if labels.count(w) > 1}))}")
        if any(w.duration for w in self.windows) and self.timestamp_column is None:
            raise ValueError("duration windows need performance.timestampColumn (the time of each prediction)")
        if self.classes and self.positive_label is not None and self.positive_label not in self.classes:
            raise ValueError(f"positiveLabel {self.positive_label!r} is not one of classes {self.classes}")
        return self


def _check_baseline(metric: str, value: float) -> None:
    if metric == "sharpeRatio":
        if not value > 0:
            raise ValueError(f"baseline.sharpeRatio: must be positive (a backtest that loses money is no baseline; "
                             f"a relative drop from a negative ratio has no meaning), got {value}")
    elif metric in UNBOUNDED:
        if not value >= 0:
            raise ValueError(f"baseline.{metric}: an error metric cannot be negative, got {value}")
    elif not 0 <= value <= 1:
        raise ValueError(f"baseline.{metric}: a fraction in [0, 1] (0.65, not 65), got {value}")


def _check_thresholds(metric: str, cuts: MetricThresholds) -> None:
    where = f"thresholds.{metric}"
    if cuts.warning is not None and cuts.critical is not None:
        lower_better = metric in LOWER_IS_BETTER
        if cuts.bound == "relative" or lower_better:
            ordered, rule = cuts.warning <= cuts.critical, "warning <= critical"
        else:
            ordered, rule = cuts.warning >= cuts.critical, "warning >= critical (the metric falls)"
        if not ordered:
            raise ValueError(f"{where}: need {rule}, got warning {cuts.warning} and critical {cuts.critical} "
                             f"(a relative level left out takes its default)")
    if metric not in UNBOUNDED:
        for name in ("floor", *(("warning", "critical") if cuts.bound == "absolute" else ())):
            value = getattr(cuts, name)
            if value is not None and value > 1:
                raise ValueError(f"{where}.{name}: {metric} is a fraction in [0, 1] (0.5, not 50), got {value}")
