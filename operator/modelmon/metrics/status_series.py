"""Series told from one object's status: what a scrape serves for each ModelMonitor and RetrainingJob.

Pure: a status in, ``(metric, labels, value)`` samples out, so each series is checked against a
status written by hand. :mod:`modelmon.metrics.collectors` turns the samples into metric families
at scrape time.

Distances and p-values are separate metrics: a drift distance grows with drift, a p-value falls,
and the two scales cannot share a panel, a threshold or an alert. ``modelmon_feature_drift_distance``
holds the method's score when the method measures an effect size (psi, kl, js, hellinger,
wasserstein); the feature's test p-value (ks for numeric features, chi2 for categorical, computed
whatever the method) and its adjusted p-value (which decides) have their own metrics.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from modelmon import timestamps
from modelmon.api.health import Health
from modelmon.api.performance import PerformanceSeverity
from modelmon.api.retraining_phases import RetrainingPhase
from modelmon.api.rollout import FINISHED_ROLLOUT_PHASES, RolloutPhase
from modelmon.policies import alert_state

#: modelmon_monitor_health's state label values (status.health); plain strings, as every label value.
HEALTH_STATES = tuple(state.value for state in Health)
#: modelmon_performance_severity's values: a number, so that alerts can say ``>= 2``.
PERFORMANCE_SEVERITY: dict[PerformanceSeverity, int] = {"unknown": -1, "ok": 0, "warning": 1, "critical": 2}
#: modelmon_rollout_phase's phase label values (status.rollout.phase): the phases a rollout moves
#: through, then the final ones, each in the enum's order (a stable sort), as scrapes have listed them.
ROLLOUT_PHASES = tuple(
    phase.value for phase in sorted(RolloutPhase, key=lambda phase: phase in FINISHED_ROLLOUT_PHASES)
)
#: Methods whose score is a p-value: their score goes to no distance metric.
P_VALUE_METHODS = frozenset({"ks", "chi2"})
#: The test a feature's ``pvalue`` comes from, by the feature's kind.
TEST_OF_KIND = {"numeric": "ks", "categorical": "chi2"}


class Sample(NamedTuple):
    metric: str
    labels: dict[str, str]
    value: float


class Family(NamedTuple):
    name: str
    help: str
    labels: tuple[str, ...]


_MON = ("namespace", "monitor")
_FEATURE = (*_MON, "feature")
_WINDOW = (*_MON, "metric", "window")
_RTJ = ("namespace", "retrainingjob")

#: Every gauge served from status, by name: help and label names (the collector declares them all,
#: so a family with no series yet is still described and promtool sees each once).
FAMILIES = {
    f.name: f
    for f in (
        Family(
            "modelmon_monitor_health",
            "1 for the monitor's current health state (status.health), else 0.",
            (*_MON, "state"),
        ),
        Family("modelmon_last_check_timestamp_seconds", "Unix time of the last check (status.lastCheck.time).", _MON),
        Family("modelmon_last_check_duration_seconds", "Duration of the last check.", _MON),
        Family("modelmon_last_check_failed", "1 when the last check failed (status.lastCheck.error), else 0.", _MON),
        Family("modelmon_rows_checked", "Current rows in the last check.", _MON),
        Family("modelmon_drifted_features", "Drifted features in the last check.", _MON),
        Family(
            "modelmon_feature_drift_distance",
            "Drift distance of a feature in the last check, by the method "
            "that judged it (psi, kl, js, hellinger, wasserstein; tests have p-values instead).",
            (*_FEATURE, "method"),
        ),
        Family(
            "modelmon_feature_drift_p_value",
            "Test p-value of a feature in the last check (ks numeric, chi2 "
            "categorical), before adjustment over the features.",
            (*_FEATURE, "test"),
        ),
        Family(
            "modelmon_feature_drift_adjusted_p_value",
            "That p-value adjusted over the judged features (spec.drift.multipleTesting); the one that decides.",
            (*_FEATURE, "test"),
        ),
        Family(
            "modelmon_feature_drift_severity", "0-100 drift severity of a feature, comparable across methods.", _FEATURE
        ),
        Family(
            "modelmon_data_quality_issues",
            "Data-quality findings of the last check, by check and severity.",
            (*_MON, "check", "severity"),
        ),
        Family(
            "modelmon_data_quality_value",
            "Measured value of a data-quality finding (e.g. a missing rate).",
            (*_MON, "column", "check"),
        ),
        Family(
            "modelmon_performance_metric_value",
            "Live value of a watched metric on a window of labelled predictions.",
            _WINDOW,
        ),
        Family("modelmon_performance_baseline", "Backtest baseline of the metric.", _WINDOW),
        Family("modelmon_performance_change", "Relative change of the metric against its baseline.", _WINDOW),
        Family(
            "modelmon_performance_p_value",
            "One-sided p-value of a drop below the baseline (proportions only).",
            _WINDOW,
        ),
        Family("modelmon_performance_samples", "Labelled predictions in the window.", _WINDOW),
        Family(
            "modelmon_performance_severity",
            "Verdict of the metric on the window: -1 unknown, 0 ok, 1 warning, 2 critical.",
            _WINDOW,
        ),
        Family(
            "modelmon_performance_labelled_predictions",
            "Predictions whose ground truth has arrived, by state (labelled, unlabelled).",
            (*_MON, "state"),
        ),
        Family("modelmon_alerts_active", "Firing alerts of a monitor, by severity.", (*_MON, "severity")),
        Family(
            "modelmon_retraining_jobs",
            "RetrainingJobs the operator watches, by namespace and phase.",
            ("namespace", "phase"),
        ),
        Family(
            "modelmon_rollout_weight",
            "Effective canary weight of a rollout: the new model's percent of ready "
            "pods (blue-green: 100 once switched).",
            _RTJ,
        ),
        Family("modelmon_rollout_phase", "1 for the rollout's current phase, else 0.", (*_RTJ, "phase")),
    )
}


def _number(value: Any) -> float | None:
    """A finite float, or None (status fields are absent or null when not computed)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def monitor_samples(namespace: str, monitor: str, status: Mapping[str, Any]) -> Iterator[Sample]:
    mon = {"namespace": namespace, "monitor": monitor}
    health = status.get("health") or Health.UNKNOWN.value
    for state in HEALTH_STATES:
        yield Sample("modelmon_monitor_health", {**mon, "state": state}, 1.0 if state == health else 0.0)
    counts = alert_state.active_counts(status.get("alerts") or [])
    for severity, count in counts.items():
        yield Sample("modelmon_alerts_active", {**mon, "severity": severity}, float(count))
    check = status.get("lastCheck")
    if check:
        yield from _check_samples(mon, check)


def _check_samples(mon: dict[str, str], check: Mapping[str, Any]) -> Iterator[Sample]:
    when = timestamps.parse_time(check.get("time"))
    if when is not None:
        yield Sample("modelmon_last_check_timestamp_seconds", mon, when.timestamp())
    for metric, value in (
        ("modelmon_last_check_duration_seconds", check.get("durationSeconds")),
        ("modelmon_rows_checked", check.get("currentRows")),
        ("modelmon_drifted_features", (check.get("dataset") or {}).get("driftedFeatures")),
    ):
        number = _number(value)
        if number is not None:
            yield Sample(metric, mon, number)
    yield Sample("modelmon_last_check_failed", mon, 1.0 if check.get("error") else 0.0)
    for feature in check.get("features") or []:
        yield from _feature_samples(mon, feature)
    yield from _quality_samples(mon, check.get("qualityIssues") or [])
    yield from _performance_samples(mon, check.get("performance"))


def _feature_samples(mon: dict[str, str], feature: Mapping[str, Any]) -> Iterator[Sample]:
    labels = {**mon, "feature": str(feature.get("name"))}
    yield Sample("modelmon_feature_drift_severity", labels, _number(feature.get("severityScore")) or 0.0)
    method, score = feature.get("method"), _number(feature.get("score"))
    if method and method not in P_VALUE_METHODS and score is not None:
        yield Sample("modelmon_feature_drift_distance", {**labels, "method": str(method)}, score)
    test = TEST_OF_KIND.get(str(feature.get("kind")))
    if test is None:
        return
    for metric, key in (
        ("modelmon_feature_drift_p_value", "pvalue"),
        ("modelmon_feature_drift_adjusted_p_value", "adjustedPvalue"),
    ):
        value = _number(feature.get(key))
        if value is not None:
            yield Sample(metric, {**labels, "test": test}, value)


def _quality_samples(mon: dict[str, str], issues: list[Mapping[str, Any]]) -> Iterator[Sample]:
    counts: dict[tuple[str, str], int] = {}
    for issue in issues:
        key = (str(issue.get("check")), str(issue.get("severity")))
        counts[key] = counts.get(key, 0) + 1
        value = _number(issue.get("value"))
        if value is not None:
            yield Sample(
                "modelmon_data_quality_value", {**mon, "column": str(issue.get("column")), "check": key[0]}, value
            )
    for (check, severity), count in sorted(counts.items()):
        yield Sample("modelmon_data_quality_issues", {**mon, "check": check, "severity": severity}, float(count))


def _performance_samples(mon: dict[str, str], performance: Mapping[str, Any] | None) -> Iterator[Sample]:
    if not performance:
        return
    for state in ("labelled", "unlabelled"):
        yield Sample(
            "modelmon_performance_labelled_predictions", {**mon, "state": state}, _number(performance.get(state)) or 0.0
        )
    for entry in performance.get("metrics") or []:
        labels = {**mon, "metric": str(entry.get("metric")), "window": str(entry.get("window"))}
        yield Sample(
            "modelmon_performance_severity", labels, float(PERFORMANCE_SEVERITY.get(entry.get("severity"), -1))
        )
        yield Sample("modelmon_performance_samples", labels, _number(entry.get("samples")) or 0.0)
        for metric, key in (
            ("modelmon_performance_metric_value", "value"),
            ("modelmon_performance_baseline", "baseline"),
            ("modelmon_performance_change", "change"),
            ("modelmon_performance_p_value", "pValue"),
        ):
            value = _number(entry.get(key))
            if value is not None:  # a value that could not be computed is no series, never a stale one
                yield Sample(metric, labels, value)


def retraining_samples(jobs: list[tuple[tuple[str, str], Mapping[str, Any]]]) -> Iterator[Sample]:
    """Counts by namespace and phase (a RetrainingJob without a phase yet is Pending), and each
    rollout's weight and phase while its RetrainingJob exists."""
    counts: dict[tuple[str, str], int] = {}
    for (namespace, name), status in jobs:
        key = (namespace, str(status.get("phase") or RetrainingPhase.PENDING.value))
        counts[key] = counts.get(key, 0) + 1
        rollout = status.get("rollout")
        if not rollout:
            continue
        labels = {"namespace": namespace, "retrainingjob": name}
        yield Sample("modelmon_rollout_weight", labels, _number(rollout.get("effectiveWeight")) or 0.0)
        for phase in ROLLOUT_PHASES:
            yield Sample(
                "modelmon_rollout_phase", {**labels, "phase": phase}, 1.0 if rollout.get("phase") == phase else 0.0
            )
    for (namespace, phase), count in sorted(counts.items()):
        yield Sample("modelmon_retraining_jobs", {"namespace": namespace, "phase": phase}, float(count))
