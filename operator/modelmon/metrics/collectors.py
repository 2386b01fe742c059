"""The scrape-time collectors: per-object series from the status index, and the build's identity.

A prometheus_client custom collector (as kube-state-metrics builds its series from its informers'
caches): nothing is set when an event arrives, the series are computed from the index when
Prometheus scrapes, so the served set is always the watched set.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator
from importlib import metadata

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

import modelmon
from modelmon.metrics import status_series
from modelmon.metrics.status_index import StatusIndex


class StatusCollector(Collector):
    def __init__(self, index: StatusIndex) -> None:
        self.index = index

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # Declared without samples: the registry checks names once, at registration, not at each scrape.
        return [GaugeMetricFamily(f.name, f.help, labels=f.labels) for f in status_series.FAMILIES.values()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {f.name: GaugeMetricFamily(f.name, f.help, labels=f.labels) for f in status_series.FAMILIES.values()}
        for (namespace, name), status in self.index.monitors():
            for sample in status_series.monitor_samples(namespace, name, status):
                _add(families, sample)
        for sample in status_series.retraining_samples(self.index.retraining_jobs()):
            _add(families, sample)
        yield from families.values()


def _add(families: dict[str, GaugeMetricFamily], sample: status_series.Sample) -> None:
    family = status_series.FAMILIES[sample.metric]
    families[sample.metric].add_metric([sample.labels[label] for label in family.labels], sample.value)


def build_labels() -> dict[str, str]:
    """What was built and what it runs on: the labels of modelmon_build_info."""
    return {
        "version": modelmon.__version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kopf": _version("kopf"),
        "prometheus_client": _version("prometheus_client"),
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


class BuildInfoCollector(Collector):
    def __init__(self) -> None:
        self.labels = build_labels()

    def collect(self) -> Iterator[InfoMetricFamily]:
        info = InfoMetricFamily("modelmon_build", "The running operator's version and runtime (value always 1).")
        info.add_metric([], self.labels)
        yield info
