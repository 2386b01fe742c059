"""What a drift report shows, decided before anything is drawn: a pure function of a check.

``plan_report`` takes the check's own results (the drift report, the performance section,
the sketches of the distributions taken from the check's sorted columns) and orders them for a
reader: health and verdict first (the operator's health of the same data, so the page, the exit
status and the cluster agree), then the features worst first, each with its score placed
against its method's cut points and its missing-value change, then data quality and
performance. Rendering (``reporting.plots``, ``reporting.pages``) only draws what is here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from modelmon.api.drift import PVALUE_METHODS, DriftSpec
from modelmon.drift import summary
from modelmon.drift.distributions import Sketch
from modelmon.drift.results import DriftReport, FeatureDrift, QualityIssue
from modelmon.history import records
from modelmon.performance.report import PerformanceReport
from modelmon.performance.verdicts import MetricVerdict
from modelmon.policies import health

SEVERITY_ORDER = {"critical": 0, "significant": 1, "moderate": 2, "unknown": 3, "stable": 4}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Cuts:
    """A method's cut points as the reader compares the score with them."""

    method: str
    moderate: float
    significant: float
    critical: float
    decreasing: bool
    """p-value methods (ks, chi2): smaller is worse."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeatureView:
    feature: FeatureDrift
    cuts: Cuts | None
    sketch: Sketch | None
    reference_missing_rate: float | None
    current_missing_rate: float | None
    issues: tuple[QualityIssue, ...]
    history: tuple[tuple[str, float, str], ...] = ()
    """(time, severity score 0-100, severity) over the recorded checks and this one, oldest first;
    empty without a history."""

    @property
    def missing_change(self) -> float | None:
        """Current minus reference missing share, in share points (0.1 = ten points more)."""
        if self.reference_missing_rate is None or self.current_missing_rate is None:
            return None
        return self.current_missing_rate - self.reference_missing_rate


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricView:
    metric: str
    baseline: float
    windows: tuple[MetricVerdict, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReportView:
    title: str
    health: str
    """Healthy | Warning | Critical | Unknown: the operator's health of this check."""
    headline: str
    """One sentence: what the check found."""
    report: DriftReport
    features: tuple[FeatureView, ...]
    """Worst first: drifted, then by severity, severity score, name."""
    quality_issues: tuple[QualityIssue, ...]
    """Critical first."""
    performance: PerformanceReport | None
    metrics: tuple[MetricView, ...]
    generated_at: str


def plan_report(
    *,
    report: DriftReport,
    performance: PerformanceReport | None,
    sketches: Mapping[str, Sketch],
    spec: DriftSpec,
    generated_at: str,
    title: str | None = None,
    history: Sequence[records.CheckRecord] = (),
) -> ReportView:
    """Order a check's results for a reader; ``generated_at`` is passed in, never read here.
    ``history``: the checks recorded before this one, oldest first (each feature's score over them)."""
    assessed = health.assess_health(
        summary.summarise(report, finished_at=generated_at, performance=performance),
        previous_health=None,
        generation=None,
    )
    by_column: dict[str, list[QualityIssue]] = {}
    for issue in report.quality_issues:
        by_column.setdefault(issue.column, []).append(issue)
    views = [
        _feature_view(f, spec=spec, sketch=sketches.get(f.name), issues=by_column.get(f.name, []))
        for f in report.features
    ]
    if history:
        views = [
            dataclasses.replace(
                v,
                history=(
                    *records.feature_series(history, v.feature.name),
                    (generated_at, v.feature.severity_score, v.feature.severity),
                ),
            )
            for v in views
        ]
    views.sort(
        key=lambda v: (
            not v.feature.drifted,
            SEVERITY_ORDER.get(v.feature.severity, 3),
            -v.feature.severity_score,
            v.feature.name,
        )
    )
    return ReportView(
        title=title or f"Drift report: {report.current} against {report.reference}",
        health=assessed.health.value,
        headline=_headline(report, performance),
        report=report,
        features=tuple(views),
        quality_issues=tuple(sorted(report.quality_issues, key=lambda i: (i.severity != "critical", i.column))),
        performance=performance,
        metrics=_metrics(performance),
        generated_at=generated_at,
    )


def _feature_view(
    feature: FeatureDrift, *, spec: DriftSpec, sketch: Sketch | None, issues: list[QualityIssue]
) -> FeatureView:
    cuts = None
    if feature.method is not None:
        thresholds = spec.thresholds_for(feature.method)
        cuts = Cuts(
            method=feature.method,
            moderate=thresholds.moderate,
            significant=thresholds.significant,
            critical=thresholds.critical,
            decreasing=feature.method in PVALUE_METHODS,
        )
    quality = feature.quality
    return FeatureView(
        feature=feature,
        cuts=cuts,
        sketch=sketch,
        reference_missing_rate=quality.reference_missing_rate if quality else None,
        current_missing_rate=quality.missing_rate if quality else None,
        issues=tuple(sorted(issues, key=lambda i: i.severity != "critical")),
    )


def _headline(report: DriftReport, performance: PerformanceReport | None) -> str:
    parts = [report.dataset.message]
    critical = sum(1 for i in report.quality_issues if i.severity == "critical")
    if report.quality_issues:
        parts.append(f"{len(report.quality_issues)} data-quality issue(s), {critical} critical")
    if performance is not None:
        parts.append(f"performance {performance.severity}: {performance.recommendation}")
    return "; ".join(p for p in parts if p)


def _metrics(performance: PerformanceReport | None) -> tuple[MetricView, ...]:
    if performance is None:
        return ()
    grouped: dict[str, list[MetricVerdict]] = {}
    for verdict in performance.metrics:
        grouped.setdefault(verdict.metric, []).append(verdict)
    return tuple(
        MetricView(metric=name, baseline=found[0].baseline, windows=tuple(found)) for name, found in grouped.items()
    )
