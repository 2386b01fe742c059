"""One check as a history record, and which partitions retention drops: pure, the clock passed in.

A record is what a check concluded, bounded and flat enough to read back by the thousand: the time,
the health, the dataset verdict, each feature's method/score/severity, the counts of data-quality
issues, each performance metric's value per window, and the model version judged. It is built from
the check's summary (``drift.summary.summarise``: the same dict as ``status.lastCheck``), so the
history holds exactly what the monitor's status said.

Records are stored one file per check in day partitions (``date=YYYY-MM-DD``, UTC): a check only
ever adds a file, and retention drops whole days older than the retention, never edits one.

Worked example of retention: partitions date=2026-01-01 .. date=2026-01-10, now 2026-01-10T12:00Z,
keep 7 days -> the cut is 2026-01-03T12:00Z; a day is dropped when it ended before the cut, so
date=2026-01-01 and date=2026-01-02 go and date=2026-01-03 stays (it holds checks after the cut).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PARTITION_PREFIX = "date="
FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeaturePoint:
    name: str
    method: str | None
    score: float | None
    severity: str
    severity_score: float
    drifted: bool

    @classmethod
    def from_dict(cls, f: Mapping[str, Any]) -> FeaturePoint:
        """From a feature of ``status.lastCheck`` or of a stored record (the same camelCase keys)."""
        return cls(
            name=str(f["name"]),
            method=f.get("method"),
            score=f.get("score"),
            severity=str(f.get("severity")),
            severity_score=float(f.get("severityScore") or 0.0),
            drifted=bool(f.get("drifted")),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckRecord:
    time: str
    """When the check finished (RFC 3339, UTC)."""
    health: str
    drifted: bool | None
    drifted_features: int
    judged_features: int
    quality_issues: int
    critical_quality_issues: int
    performance: str | None
    """The performance severity (ok, warning, critical, unknown), None when not configured."""
    metrics: tuple[tuple[str, str, float | None], ...] = ()
    """(metric, window, value) of each performance verdict."""
    model_version: str | None = None
    features: tuple[FeaturePoint, ...] = ()


def plan_record(last_check: Mapping[str, Any], *, health: str, model_version: str | None = None) -> CheckRecord:
    """The record of a check from its summary (``status.lastCheck``'s form) and its health."""
    dataset = last_check.get("dataset") or {}
    issues = last_check.get("qualityIssues") or []
    performance = last_check.get("performance")
    return CheckRecord(
        time=str(last_check.get("time") or ""),
        health=health,
        drifted=dataset.get("drifted"),
        drifted_features=int(dataset.get("driftedFeatures") or 0),
        judged_features=int(dataset.get("judgedFeatures") or 0),
        quality_issues=len(issues),
        critical_quality_issues=sum(1 for i in issues if i.get("severity") == "critical"),
        performance=performance.get("severity") if performance else None,
        metrics=tuple(
            (str(m.get("metric")), str(m.get("window")), m.get("value")) for m in (performance or {}).get("metrics", [])
        ),
        model_version=model_version,
        features=tuple(FeaturePoint.from_dict(f) for f in last_check.get("features") or []),
    )


def to_document(record: CheckRecord) -> dict[str, Any]:
    """The stored form: camelCase JSON with a format version."""
    return {
        "version": FORMAT_VERSION,
        "time": record.time,
        "health": record.health,
        "drifted": record.drifted,
        "driftedFeatures": record.drifted_features,
        "judgedFeatures": record.judged_features,
        "qualityIssues": record.quality_issues,
        "criticalQualityIssues": record.critical_quality_issues,
        "performance": record.performance,
        "modelVersion": record.model_version,
        "metrics": [{"metric": m, "window": w, "value": v} for m, w, v in record.metrics],
        "features": [
            {
                "name": f.name,
                "method": f.method,
                "score": f.score,
                "severity": f.severity,
                "severityScore": f.severity_score,
                "drifted": f.drifted,
            }
            for f in record.features
        ],
    }


def from_document(document: Mapping[str, Any]) -> CheckRecord:
    """A stored record; raises ValueError (naming what is wrong) on a document it cannot read."""
    try:
        return CheckRecord(
            time=str(document["time"]),
            health=str(document["health"]),
            drifted=document.get("drifted"),
            drifted_features=int(document.get("driftedFeatures", 0)),
            judged_features=int(document.get("judgedFeatures", 0)),
            quality_issues=int(document.get("qualityIssues", 0)),
            critical_quality_issues=int(document.get("criticalQualityIssues", 0)),
            performance=document.get("performance"),
            model_version=document.get("modelVersion"),
            metrics=tuple((str(m["metric"]), str(m["window"]), m.get("value")) for m in document.get("metrics", [])),
            features=tuple(FeaturePoint.from_dict(f) for f in document.get("features", [])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a check record ({type(error).__name__}: {error})") from error


def partition_of(moment: datetime.datetime) -> str:
    """The day partition a check finished at ``moment`` goes to (UTC)."""
    return f"{PARTITION_PREFIX}{moment.astimezone(datetime.UTC).date().isoformat()}"


def plan_retention(partitions: Iterable[str], *, now: datetime.datetime, keep: datetime.timedelta) -> list[str]:
    """The partitions wholly older than ``keep`` before ``now`` (see the module's example); names
    that are not day partitions are never touched."""
    cut = now - keep
    dropped = []
    for name in partitions:
        if not name.startswith(PARTITION_PREFIX):
            continue
        try:
            day = datetime.date.fromisoformat(name[len(PARTITION_PREFIX) :])
        except ValueError:
            continue
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
        if end <= cut:
            dropped.append(name)
    return sorted(dropped)


def feature_series(records: Sequence[CheckRecord], name: str) -> list[tuple[str, float, str]]:
    """(time, severity score 0-100, severity) of one feature across ``records``, oldest first;
    checks where the feature was absent are skipped."""
    series = []
    for record in records:
        for point in record.features:
            if point.name == name:
                series.append((record.time, point.severity_score, point.severity))
                break
    return series
