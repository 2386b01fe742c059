"""The status series as Prometheus text, rendered once per status and joined at each scrape.

Formatting every sample at every scrape is what prometheus_client's ``generate_latest`` does;
at 10,000 monitors of 20 features (about 900,000 series) that took ~40 s on a busy 2-core
machine, past any scrape timeout. kube-state-metrics keeps each object's series serialised in
its store and only concatenates them when scraped; so does this module: an object's lines are
rendered the first time a scrape sees its current status (a new status from the watch drops
them), and a scrape writes each family's HELP/TYPE once, then every object's cached bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client.utils import floatToGoString

from modelmon.metrics import status_series


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(samples: Iterable[status_series.Sample]) -> dict[str, bytes]:
    """Text lines of the samples, by family: ``name{label="value",...} value``."""
    lines: dict[str, list[str]] = {}
    for sample in samples:
        labels = ",".join(
            f'{name}="{_escape(sample.labels[name])}"' for name in status_series.FAMILIES[sample.metric].labels
        )
        lines.setdefault(sample.metric, []).append(f"{sample.metric}{{{labels}}} {floatToGoString(sample.value)}\n")
    return {metric: "".join(text).encode() for metric, text in lines.items()}


class RenderedStatus:
    """One object's status and, once a scrape asked for them, its rendered lines."""

    __slots__ = ("rendered", "status")

    def __init__(self, status: Mapping[str, Any]) -> None:
        self.status = status
        self.rendered: dict[str, bytes] | None = None


def text(
    monitors: Iterable[tuple[tuple[str, str], RenderedStatus]],
    retraining_jobs: list[tuple[tuple[str, str], Mapping[str, Any]]],
) -> bytes:
    """Every status family, in FAMILIES' order, each with its HELP and TYPE."""
    chunks: dict[str, list[bytes]] = {name: [] for name in status_series.FAMILIES}
    for (namespace, name), entry in monitors:
        rendered = entry.rendered
        if rendered is None:  # set without the lock: a racing watch event replaces the entry, never this
            rendered = entry.rendered = render(status_series.monitor_samples(namespace, name, entry.status))
        for metric, lines in rendered.items():
            chunks[metric].append(lines)
    for metric, lines in render(status_series.retraining_samples(retraining_jobs)).items():
        chunks[metric].append(lines)
    out = []
    for name, family in status_series.FAMILIES.items():
        out.append(f"# HELP {name} {family.help}\n# TYPE {name} gauge\n".encode())
        out.extend(chunks[name])
    return b"".join(out)
