"""The performance result of a check, and its form in ``status.lastCheck.performance``.

The overall severity is the worst over the watched metrics, where a metric's own verdict
is the worst over the windows that could judge it, and ``unknown`` only when none could:
a "last 200" window still filling up does not hide what the "last 50" window shows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from modelmon.api.performance import LOWER_IS_BETTER, PerformanceSeverity
from modelmon.performance.verdicts import RANK, MetricVerdict

NO_ACTION = "no action"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PerformanceReport:
    task: str
    labelled: int
    unlabelled: int
    severity: PerformanceSeverity
    recommendation: str
    metrics: tuple[MetricVerdict, ...]

    def to_status(self) -> dict[str, Any]:
        """camelCase and JSON-safe, as the contract with the alert policy spells it."""
        return {
            "task": self.task, "labelled": self.labelled, "unlabelled": self.unlabelled,
            "severity": self.severity, "recommendation": self.recommendation,
            "metrics": [{
                "metric": v.metric, "window": v.window, "samples": v.samples, "value": _num(v.value),
                "baseline": _num(v.baseline), "change": _num(v.change), "pValue": _num(v.p_value),
                "significant": v.significant, "severity": v.severity, "reason": v.reason,
                "recommendation": v.recommendation,
            } for v in self.metrics],
        }


def build_report(*, task: str, labelled: int, unlabelled: int, verdicts: Sequence[MetricVerdict]) -> PerformanceReport:
    """The report of ``verdicts``: overall severity and the worst finding's recommendation."""
    per_metric: dict[str, list[MetricVerdict]] = {}
    for verdict in verdicts:
        per_metric.setdefault(verdict.metric, []).append(verdict)
    severity: PerformanceSeverity = "unknown" if not per_metric else "ok"
    for found in per_metric.values():
        judged = [v.severity for v in found if v.severity != "unknown"]
        own: PerformanceSeverity = max(judged, key=RANK.__getitem__) if judged else "unknown"
        severity = max(severity, own, key=RANK.__getitem__)
    if severity == "ok":
        recommendation = NO_ACTION
    else:
        candidates = [v for v in verdicts if v.severity == severity]
        recommendation = max(candidates, key=_badness).recommendation if candidates else NO_ACTION
    return PerformanceReport(task=task, labelled=labelled, unlabelled=unlabelled, severity=severity,
                             recommendation=recommendation, metrics=tuple(verdicts))


def _badness(verdict: MetricVerdict) -> tuple[float, float]:
    """Among findings of one severity: the most significant, then the largest worsening."""
    p_value = verdict.p_value if verdict.p_value is not None else 1.0
    change = verdict.change or 0.0
    return -p_value, change if verdict.metric in LOWER_IS_BETTER else -change


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")
