"""Prometheus metrics of the operator, defined in one place, registered on demand.

Nothing is registered at import: :class:`OperatorMetrics` owns its registry, so tests and
several operators in one process never collide.
"""

from __future__ import annotations

from typing import Any

import prometheus_client as prom

HEALTH_STATES = ("Healthy", "Warning", "Critical", "Unknown")


class OperatorMetrics:
    def __init__(self, registry: prom.CollectorRegistry | None = None) -> None:
        self.registry = registry or prom.CollectorRegistry()
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
        self.alerts_active = prom.Gauge("modelmon_alerts_active", "Firing alerts of a monitor, by severity.",
                                        ["namespace", "monitor", "severity"], registry=self.registry)

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

    def record_alerts(self, *, namespace: str, monitor: str, active: dict[str, int]) -> None:
        for severity, count in active.items():
            self.alerts_active.labels(namespace, monitor, severity).set(count)

    def forget(self, *, namespace: str, monitor: str) -> None:
        """Drop a deleted monitor's series so dashboards do not show ghosts."""
        for metric in (self.drift_score, self.drift_severity, self.health, self.checks, self.check_duration,
                       self.rows_checked, self.drifted_features, self.alerts_active):
            for labels in list(metric._metrics):  # noqa: SLF001 - prometheus_client has no public iteration
                if labels[:2] == (namespace, monitor):
                    metric.remove(*labels)
