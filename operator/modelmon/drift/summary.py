"""A drift report summarised into ``status.lastCheck`` (bounded in size, JSON-safe)."""

from __future__ import annotations

import math
from typing import Any

from modelmon.drift.results import DriftReport
from modelmon.performance.report import PerformanceReport

MAX_FEATURES = 200
MAX_ISSUES = 100


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def summarise(report: DriftReport, *, finished_at: str,
              performance: PerformanceReport | None = None) -> dict[str, Any]:
    features = sorted(report.features, key=lambda f: (-f.severity_score, f.name))[:MAX_FEATURES]
    summary: dict[str, Any] = {
        "time": finished_at,
        "durationSeconds": round(report.duration_seconds, 3),
        "referenceRows": report.reference_rows,
        "currentRows": report.current_rows,
        "dataset": {
            "drifted": report.dataset.drifted,
            "driftedFeatures": report.dataset.drifted_features,
            "judgedFeatures": report.dataset.judged_features,
            "share": _num(report.dataset.share),
            "message": report.dataset.message,
        },
        "features": [
            {"name": f.name, "kind": f.kind, "status": f.status, "method": f.method, "score": _num(f.score),
             "pvalue": _num(f.pvalue), "adjustedPvalue": _num(f.adjusted_pvalue), "severity": f.severity, "severityScore": f.severity_score,
             "drifted": f.drifted, "reason": f.reason}
            for f in features
        ],
        "qualityIssues": [
            {"column": i.column, "check": i.check, "severity": i.severity, "value": _num(i.value),
             "limit": _num(i.limit), "message": i.message}
            # critical first, so that the cap never hides what makes health Critical
            for i in sorted(report.quality_issues, key=lambda i: i.severity != "critical")[:MAX_ISSUES]
        ],
    }
    if performance is not None:
        summary["performance"] = performance.to_status()
    return summary


def unavailable(*, error: str, finished_at: str, duration_seconds: float) -> dict[str, Any]:
    """``lastCheck`` of a check whose data could not be read: a report too, never silence."""
    return {"time": finished_at, "durationSeconds": round(duration_seconds, 3), "features": [],
            "qualityIssues": [], "error": error}
