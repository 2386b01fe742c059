"""Where analysis measurements come from: Prometheus, a ModelMonitor, a webhook (I/O).

Each provider returns a :class:`modelmon.rollout.analysis.RawMeasurement` and never raises
for a measurement that could not be taken: the error becomes the measurement's Error result,
so one unreachable server is counted against ``errorLimit`` instead of stalling the rollout.
Judging the value is pure and lives in :mod:`modelmon.rollout.analysis`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from modelmon.api.rollout import AnalysisMetric
from modelmon.rollout.analysis import RawMeasurement
from modelmon.metric_providers import monitor, prometheus, webhook


@dataclasses.dataclass(frozen=True, kw_only=True)
class Context:
    namespace: str
    retraining_job: str
    template: str
    since: str
    """When the run started (RFC 3339): older evidence does not count."""
    model: Mapping[str, str]
    fetch_monitor: Callable[[str, str], Mapping[str, Any] | None]
    """Reads a ModelMonitor (namespace, name); None when it does not exist."""
    read_secret: Callable[[str, str, str], str] | None = None
    """Reads one key of a Secret (namespace, name, key), for a provider's credentials; raises with a
    message naming the Secret, never the value."""


def measure(metric: AnalysisMetric, context: Context) -> RawMeasurement:
    try:
        if metric.prometheus is not None:
            if context.read_secret is None:
                return prometheus.measure(metric.name, metric.prometheus)
            reader = context.read_secret
            return prometheus.measure(metric.name, metric.prometheus,
                                      read_secret=lambda name, key: reader(context.namespace, name, key))
        if metric.model_monitor is not None:
            body = context.fetch_monitor(context.namespace, metric.model_monitor.name)
            return monitor.measure(metric.name, metric.model_monitor, body, since=context.since)
        assert metric.webhook is not None
        return webhook.measure(metric, payload={
            "retrainingJob": {"namespace": context.namespace, "name": context.retraining_job},
            "analysis": context.template, "metric": metric.name, "model": dict(context.model)})
    except Exception as error:  # noqa: BLE001 - any provider failure is one Error measurement
        return RawMeasurement(metric=metric.name, error=f"{type(error).__name__}: {error}")
