"""Prometheus metrics of ``modelmon collect``, in their own registry (nothing registered at import)."""

from __future__ import annotations

import prometheus_client as prom

#: The outcome label of modelmon_collector_events_total.
OUTCOMES = ("accepted", "malformed", "buffer_full", "store_down", "shutting_down")


class CollectorMetrics:
    def __init__(self, registry: prom.CollectorRegistry | None = None) -> None:
        self.registry = registry or prom.CollectorRegistry()
        self.events = prom.Counter(
            "modelmon_collector_events",
            "CloudEvents received, by type (request, response) "
            "and outcome (accepted: 200; malformed: 400; buffer_full, store_down, "
            "shutting_down: 503, the sender should retry).",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.malformed = prom.Counter(
            "modelmon_collector_events_malformed",
            "Events refused with a 4xx, by reason "
            "(not_a_cloudevent, unknown_type, no_model, bad_time, bad_data, bad_payload, "
            "unpairable, too_large).",
            ["reason"],
            registry=self.registry,
        )
        self.rows_written = prom.Counter(
            "modelmon_collector_rows_written",
            "Rows written to the store.",
            ["namespace", "inferenceservice"],
            registry=self.registry,
        )
        self.files_written = prom.Counter(
            "modelmon_collector_files_written", "Parquet files written to the store.", registry=self.registry
        )
        self.write_failures = prom.Counter(
            "modelmon_collector_write_failures",
            "Files that could not be written (their rows are kept and written again).",
            registry=self.registry,
        )
        self.unpaired = prom.Counter(
            "modelmon_collector_unpaired",
            "Events left without their partner after the "
            "pair timeout, by type: requests are written with null predictions, "
            "responses are dropped.",
            ["type"],
            registry=self.registry,
        )
        self.buffered = prom.Gauge(
            "modelmon_collector_buffered_events",
            "Events held in memory (waiting for their partner, ready or being written).",
            registry=self.registry,
        )
        self.store_up = prom.Gauge(
            "modelmon_collector_store_up",
            "1 when the last write or check of the store succeeded, else 0.",
            registry=self.registry,
        )
        self.flush_duration = prom.Histogram(
            "modelmon_collector_flush_duration_seconds",
            "Time to write one flush (all its files).",
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def exposition(self) -> bytes:
        return prom.generate_latest(self.registry)
