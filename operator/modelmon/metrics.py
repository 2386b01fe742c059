"""Prometheus metrics of the operator, defined in one place, registered on demand.

Nothing is registered at import: :class:`OperatorMetrics` owns its registry, so tests and
several operators in one process never collide.
"""

from __future__ import annotations

from typing import Any

import prometheus_client as prom

HEALTH_STATES = ("Healthy", "Warning", "Critical", "Unknown")
#: modelmon_performance_severity's values: a number, so that alerts can say ``>= 2``.
PERFORMANCE_SEVERITY = {"unknown": -1, "ok": 0, "warning": 1, "critical": 2}
#: modelmon_rollout_phase's phase label values (status.rollout.phase).
ROLLOUT_PHASES = ("Progressing", "Paused", "Promoting", "Finalizing", "RollingBack", "Succeeded", "RolledBack", "Failed")


class OperatorMetrics:
    def __init__(self, registry: prom.CollectorRegistry | None = None) -> None:
        self.registry = registry or prom.CollectorRegistry()
        sink = ["namespace", "monitor", "sink", "sink_type"]
        self.notifications_sent = prom.Counter("modelmon_notifications_sent", "Alert notifications delivered to a "
                                               "sink (one grouped message each).", sink, registry=self.registry)
        self.notifications_failed = prom.Counter("modelmon_notifications_failed", "Failed delivery attempts and "
                                                 "notifications given up, by reason (error: an attempt failed and "
                                                 "is retried; rejected, expired, dropped, closed: given up).",
                                                 [*sink, "reason"], registry=self.registry)
        self.notifications_pending = prom.Gauge("modelmon_notifications_pending", "Alert notifications waiting in "
                                                "a sink's queue.", sink, registry=self.registry)
        self.drift_score = prom.Gauge("modelmon_feature_drift_score", "Drift score of a feature in the last check "
                                      "(the method's score; a p-value for ks and chi2).",
                                      ["namespace", "monitor", "feature", "method"], registry=self.registry)
        self.drift_severity = prom.Gauge("modelmon_feature_drift_severity", "0-100 drift severity of a feature.",
                                         ["namespace", "monitor", "feature"], registry=self.registry)
        self.health = prom.Gauge("modelmon_monitor_health", "1 for the monitor's current health state, else 0.",
                                 ["namespace", "monitor", "state"], registry=self.registry)
        self.checks = prom.Counter("modelmon_checks", "Drift checks assessed, by outcome.",
                                   ["namespace", "monitor", "outcome"], registry=self.registry)
        self.check_duration = prom.Histogram("modelmon_check_duration_seconds", "Duration of drift checks.",
                                             ["namespace", "monitor"], registry=self.registry,
                                             buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
        self.rows_checked = prom.Gauge("modelmon_rows_checked", "Current rows in the last check.",
                                       ["namespace", "monitor"], registry=self.registry)
        self.drifted_features = prom.Gauge("modelmon_drifted_features", "Drifted features in the last check.",
                                           ["namespace", "monitor"], registry=self.registry)
        window = ["namespace", "monitor", "metric", "window"]
        self.performance_value = prom.Gauge("modelmon_performance_metric_value", "Live value of a watched metric on a "
                                            "window of labelled predictions.", window, registry=self.registry)
        self.performance_baseline = prom.Gauge("modelmon_performance_baseline", "Backtest baseline of the metric.",
                                               window, registry=self.registry)
        self.performance_change = prom.Gauge("modelmon_performance_change", "Relative change of the metric "
                                             "against its baseline.", window, registry=self.registry)
        self.performance_p_value = prom.Gauge("modelmon_performance_p_value", "One-sided p-value of a drop below "
                                              "the baseline (proportions only).", window, registry=self.registry)
        self.performance_samples = prom.Gauge("modelmon_performance_samples", "Labelled predictions in the window.",
                                              window, registry=self.registry)
        self.performance_severity = prom.Gauge("modelmon_performance_severity", "Verdict of the metric on the "
                                               "window: -1 unknown, 0 ok, 1 warning, 2 critical.",
                                               window, registry=self.registry)
        self.performance_labelled = prom.Gauge("modelmon_performance_labelled_predictions", "Predictions whose "
                                               "ground truth has arrived, by state (labelled, unlabelled).",
                                               ["namespace", "monitor", "state"], registry=self.registry)
        self.alerts_active = prom.Gauge("modelmon_alerts_active", "Firing alerts of a monitor, by severity.",
                                        ["namespace", "monitor", "severity"], registry=self.registry)
        self.retraining_jobs = prom.Gauge("modelmon_retraining_jobs", "RetrainingJobs known to the operator, by phase.",
                                          ["namespace", "phase"], registry=self.registry)
        self.retraining_finished = prom.Counter("modelmon_retraining_finished", "RetrainingJobs that reached a "
                                                "final phase, by phase.", ["namespace", "phase"],
                                                registry=self.registry)
        self._retraining_phases: dict[tuple[str, str], str] = {}
        rollout = ["namespace", "retrainingjob"]
        self.rollout_weight = prom.Gauge("modelmon_rollout_weight", "Effective canary weight of a rollout: the new "
                                         "model's percent of ready pods (blue-green: 100 once switched).", rollout,
                                         registry=self.registry)
        self.rollout_phase = prom.Gauge("modelmon_rollout_phase", "1 for the rollout's current phase, else 0.",
                                        [*rollout, "phase"], registry=self.registry)
        self.rollout_measurements = prom.Counter("modelmon_rollout_analysis_measurements", "Analysis measurements of "
                                                 "rollouts, by metric and result (successful, failed, inconclusive, "
                                                 "error).", [*rollout, "metric", "result"], registry=self.registry)

    def record_check(self, *, namespace: str, monitor: str, last_check: dict[str, Any], health: str,
                     drifted_features: int) -> None:
        for state in HEALTH_STATES:
            self.health.labels(namespace, monitor, state).set(1 if state == health else 0)
        outcome = "error" if last_check.get("error") else ("drift" if (last_check.get("dataset") or {}).get("drifted") else "ok")
        self.checks.labels(namespace, monitor, outcome).inc()
        self.check_duration.labels(namespace, monitor).observe(float(last_check.get("durationSeconds") or 0.0))
        self.rows_checked.labels(namespace, monitor).set(int(last_check.get("currentRows") or 0))
        self.drifted_features.labels(namespace, monitor).set(drifted_features)
        for feature in last_check.get("features") or []:
            if feature.get("score") is not None:
                self.drift_score.labels(namespace, monitor, feature["name"], feature.get("method") or "").set(feature["score"])
            self.drift_severity.labels(namespace, monitor, feature["name"]).set(feature.get("severityScore") or 0.0)
        self._record_performance(namespace=namespace, monitor=monitor, performance=last_check.get("performance"))

    def _performance_metrics(self) -> tuple[prom.Gauge, ...]:
        return (self.performance_value, self.performance_baseline, self.performance_change, self.performance_p_value,
                self.performance_samples, self.performance_severity, self.performance_labelled)

    @staticmethod
    def _drop(*, namespace: str, monitor: str, metrics: tuple[prom.Gauge, ...]) -> None:
        for metric in metrics:
            for labels in list(metric._metrics):  # noqa: SLF001 - prometheus_client has no public iteration
                if labels[:2] == (namespace, monitor):
                    metric.remove(*labels)

    def _record_performance(self, *, namespace: str, monitor: str, performance: dict[str, Any] | None) -> None:
        """Series for this check only: windows or metrics no longer reported, and values that
        could not be computed, must not linger as if still measured."""
        self._drop(namespace=namespace, monitor=monitor, metrics=self._performance_metrics())
        if not performance:
            return
        for state in ("labelled", "unlabelled"):
            self.performance_labelled.labels(namespace, monitor, state).set(int(performance.get(state) or 0))
        for entry in performance.get("metrics") or []:
            labels = (namespace, monitor, str(entry.get("metric")), str(entry.get("window")))
            self.performance_severity.labels(*labels).set(PERFORMANCE_SEVERITY.get(entry.get("severity"), -1))
            self.performance_samples.labels(*labels).set(int(entry.get("samples") or 0))
            for gauge, key in ((self.performance_value, "value"), (self.performance_baseline, "baseline"),
                               (self.performance_change, "change"), (self.performance_p_value, "pValue")):
                if entry.get(key) is not None:
                    gauge.labels(*labels).set(float(entry[key]))

    def record_alerts(self, *, namespace: str, monitor: str, active: dict[str, int]) -> None:
        for severity, count in active.items():
            self.alerts_active.labels(namespace, monitor, severity).set(count)

    def record_retraining(self, *, namespace: str, name: str, phase: str | None, finished: bool = False) -> None:
        """The phase of one RetrainingJob (None: deleted); ``finished`` counts a transition to a final phase."""
        key = (namespace, name)
        if phase is None:
            self._retraining_phases.pop(key, None)
        else:
            self._retraining_phases[key] = phase
        counts: dict[str, int] = {}
        for (ns, _), seen in self._retraining_phases.items():
            if ns == namespace:
                counts[seen] = counts.get(seen, 0) + 1
        for labels in list(self.retraining_jobs._metrics):  # noqa: SLF001 - no public iteration
            if labels[0] == namespace and labels[1] not in counts:
                self.retraining_jobs.labels(*labels).set(0)
        for seen, count in counts.items():
            self.retraining_jobs.labels(namespace, seen).set(count)
        if finished and phase is not None:
            self.retraining_finished.labels(namespace, phase).inc()

    def record_rollout(self, *, namespace: str, retrainingjob: str, phase: str | None, effective_weight: float,
                       measurements: list[dict[str, Any]]) -> None:
        """One rollout tick: its phase, effective weight and the measurements judged in it."""
        for state in ROLLOUT_PHASES:
            self.rollout_phase.labels(namespace, retrainingjob, state).set(1 if state == phase else 0)
        self.rollout_weight.labels(namespace, retrainingjob).set(effective_weight)
        for entry in measurements:
            self.rollout_measurements.labels(namespace, retrainingjob, entry["metric"],
                                             str(entry["result"]).lower()).inc()

    def forget_rollout(self, *, namespace: str, retrainingjob: str) -> None:
        """Drop a deleted RetrainingJob's rollout series."""
        for metric in (self.rollout_weight, self.rollout_phase, self.rollout_measurements):
            for labels in list(metric._metrics):  # noqa: SLF001 - prometheus_client has no public iteration
                if labels[:2] == (namespace, retrainingjob):
                    metric.remove(*labels)

    def forget(self, *, namespace: str, monitor: str) -> None:
        """Drop a deleted monitor's series so dashboards do not show ghosts."""
        for metric in (self.drift_score, self.drift_severity, self.health, self.checks, self.check_duration,
                       self.rows_checked, self.drifted_features, self.alerts_active, *self._performance_metrics()):
            for labels in list(metric._metrics):  # noqa: SLF001 - prometheus_client has no public iteration
                if labels[:2] == (namespace, monitor):
                    metric.remove(*labels)

    def record_delivery(self, *, namespace: str, monitor: str, sink: str, sink_type: str, pending: int,
                        sent: int = 0, failed: dict[str, int] | None = None) -> None:
        """One change of a sink's queue: messages sent, failures by reason, what is still pending."""
        labels = (namespace, monitor, sink, sink_type)
        if sent:
            self.notifications_sent.labels(*labels).inc(sent)
        for reason, count in (failed or {}).items():
            self.notifications_failed.labels(*labels, reason).inc(count)
        self.notifications_pending.labels(*labels).set(pending)

    def forget_sinks(self, *, namespace: str, monitor: str, sink: str | None = None) -> None:
        """Drop the delivery series of a deleted monitor's sinks (or of one sink removed from its spec)."""
        for metric in (self.notifications_sent, self.notifications_failed, self.notifications_pending):
            for labels in list(metric._metrics):  # noqa: SLF001 - prometheus_client has no public iteration
                if labels[:2] == (namespace, monitor) and sink in (None, labels[2]):
                    metric.remove(*labels)
