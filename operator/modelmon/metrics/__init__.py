"""Prometheus metrics of the operator, defined in one place, registered on demand.

Two kinds, kept apart:

- **state**, served from the watched objects' status (:mod:`modelmon.metrics.status_series`,
  collected from the :class:`~modelmon.metrics.status_index.StatusIndex` the watch keeps): health,
  the last check (time, rows, drift distances, p-values, severities, data quality, performance),
  active alerts, RetrainingJobs by phase, rollout weight and phase. A restarted operator serves
  them again from its first list; a deleted object's series go with it.
- **events**, counted as they happen (counters and histograms here): checks assessed,
  notifications, finished RetrainingJobs, analysis measurements, and the delivery queues.

Plus the process and Python runtime metrics every Prometheus client serves, and
``modelmon_build_info``. Nothing is registered at import: :class:`OperatorMetrics` owns its
registry, so tests and several operators in one process never collide.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterable
from typing import Any

import prometheus_client as prom
from prometheus_client.registry import Collector

from modelmon.metrics import exposition
from modelmon.metrics.collectors import BuildInfoCollector, StatusCollector
from modelmon.metrics.status_index import StatusIndex
from modelmon.metrics.status_series import HEALTH_STATES, PERFORMANCE_SEVERITY, ROLLOUT_PHASES

__all__ = ["HEALTH_STATES", "PERFORMANCE_SEVERITY", "ROLLOUT_PHASES", "OperatorMetrics"]


class OperatorMetrics:
    """``registry`` holds every metric, the status series included, for reading in tests and tools;
    :meth:`exposition` (what :meth:`serve` answers on /metrics) is the same text, with the status
    series joined from their cached rendering instead of formatted sample by sample."""

    def __init__(self, registry: prom.CollectorRegistry | None = None) -> None:
        #: The event-driven metrics, process, runtime and build info: formatted at each scrape.
        self.counted = prom.CollectorRegistry()
        #: The watch's statuses (the controllers put every ModelMonitor/RetrainingJob event here).
        self.statuses = StatusIndex()
        self.registry = registry or prom.CollectorRegistry()
        self.registry.register(_Forward(self.counted))
        self.registry.register(StatusCollector(self.statuses))
        self.counted.register(BuildInfoCollector())
        # process_* (CPU, memory, file descriptors) and python_info, as every client library serves them.
        prom.ProcessCollector(registry=self.counted)
        prom.PlatformCollector(registry=self.counted)
        prom.GCCollector(registry=self.counted)
        sink = ["namespace", "monitor", "sink", "sink_type"]
        self.notifications_sent = prom.Counter(
            "modelmon_notifications_sent",
            "Alert notifications delivered to a sink (one grouped message each).",
            sink,
            registry=self.counted,
        )
        self.notifications_failed = prom.Counter(
            "modelmon_notifications_failed",
            "Failed delivery attempts and "
            "notifications given up, by reason (error: an attempt failed and "
            "is retried; rejected, expired, dropped, closed: given up).",
            [*sink, "reason"],
            registry=self.counted,
        )
        self.notifications_pending = prom.Gauge(
            "modelmon_notifications_pending",
            "Alert notifications waiting in a sink's queue.",
            sink,
            registry=self.counted,
        )
        self.checks = prom.Counter(
            "modelmon_checks",
            "Drift checks assessed by this operator since it started, by outcome.",
            ["namespace", "monitor", "outcome"],
            registry=self.counted,
        )
        self.check_duration = prom.Histogram(
            "modelmon_check_duration_seconds",
            "Duration of the drift checks assessed since the operator started.",
            ["namespace", "monitor"],
            registry=self.counted,
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
        )
        self.retraining_finished = prom.Counter(
            "modelmon_retraining_finished",
            "RetrainingJobs that reached a final phase, by phase.",
            ["namespace", "phase"],
            registry=self.counted,
        )
        rollout = ["namespace", "retrainingjob"]
        self.rollout_measurements = prom.Counter(
            "modelmon_rollout_analysis_measurements",
            "Analysis measurements of rollouts, by metric and result (successful, failed, inconclusive, error).",
            [*rollout, "metric", "result"],
            registry=self.counted,
        )

    def exposition(self) -> bytes:
        """The text /metrics serves (Prometheus text format 0.0.4)."""
        return prom.generate_latest(self.counted) + exposition.text(
            self.statuses.rendered_monitors(), self.statuses.retraining_jobs()
        )

    def serve(self, port: int, addr: str = "0.0.0.0") -> http.server.ThreadingHTTPServer:
        """/metrics on ``port`` in a daemon thread (as prometheus_client's start_http_server)."""
        metrics = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = metrics.exposition()
                self.send_response(200)
                self.send_header("Content-Type", prom.CONTENT_TYPE_PLAIN_0_0_4)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per scrape would drown the operator's log

        server = http.server.ThreadingHTTPServer((addr, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="modelmon-metrics", daemon=True).start()
        return server

    def record_check(self, *, namespace: str, monitor: str, last_check: dict[str, Any]) -> None:
        """A check the operator assessed (once per check: a stale event never counts twice)."""
        outcome = (
            "error"
            if last_check.get("error")
            else ("drift" if (last_check.get("dataset") or {}).get("drifted") else "ok")
        )
        self.checks.labels(namespace, monitor, outcome).inc()
        self.check_duration.labels(namespace, monitor).observe(float(last_check.get("durationSeconds") or 0.0))

    def record_retraining(self, *, namespace: str, name: str, phase: str | None, finished: bool = False) -> None:
        """A step of one RetrainingJob; ``finished`` counts a transition to a final phase. Its phase
        as a gauge comes from its status (the watch's index), not from here."""
        if finished and phase is not None:
            self.retraining_finished.labels(namespace, phase).inc()

    def record_rollout(
        self,
        *,
        namespace: str,
        retrainingjob: str,
        phase: str | None,
        effective_weight: float,
        measurements: list[dict[str, Any]],
    ) -> None:
        """The measurements judged in one rollout tick (phase and weight are served from its status)."""
        for entry in measurements:
            self.rollout_measurements.labels(
                namespace, retrainingjob, entry["metric"], str(entry["result"]).lower()
            ).inc()

    def forget_rollout(self, *, namespace: str, retrainingjob: str) -> None:
        """Drop a deleted RetrainingJob's counted series (its status series went with its DELETED event)."""
        _remove(self.rollout_measurements, (namespace, retrainingjob))

    def forget(self, *, namespace: str, monitor: str) -> None:
        """Drop a deleted monitor's counted series so dashboards do not show ghosts."""
        for metric in (self.checks, self.check_duration):
            _remove(metric, (namespace, monitor))

    def record_delivery(
        self,
        *,
        namespace: str,
        monitor: str,
        sink: str,
        sink_type: str,
        pending: int,
        sent: int = 0,
        failed: dict[str, int] | None = None,
    ) -> None:
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


def _remove(metric: prom.metrics.MetricWrapperBase, prefix: tuple[str, ...]) -> None:
    for labels in list(metric._metrics):  # noqa: SLF001 - prometheus_client has no public iteration
        if labels[: len(prefix)] == prefix:
            metric.remove(*labels)


class _Forward(Collector):
    """Another registry's metrics, as one collector of this one."""

    def __init__(self, source: prom.CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[prom.Metric]:
        return self.source.collect()
