"""Rendering a drift report as a readable terminal table."""

from __future__ import annotations

from modelmon.drift.results import DriftReport, FeatureDrift


def _fmt(value: float | None, *, pvalue: bool = False) -> str:
    if value is None:
        return "-"
    if pvalue:
        return f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"
    return f"{value:.4f}"


def _row(feature: FeatureDrift) -> list[str]:
    missing = f"{feature.quality.missing_rate:.1%}" if feature.quality else "-"
    score = None if feature.method in ("ks", "chi2") else feature.score
    if feature.method == "ks":
        score = feature.scores.get("ks_statistic")
    elif feature.method == "chi2":
        score = feature.scores.get("chi2_statistic")
    flag = "DRIFT" if feature.drifted else ("?" if feature.status != "judged" else "")
    return [feature.name, feature.kind, feature.method or "-", _fmt(score), _fmt(feature.pvalue, pvalue=True),
            feature.severity, f"{feature.severity_score:.0f}", missing, flag]


def render_table(report: DriftReport) -> str:
    header = ["FEATURE", "TYPE", "METHOD", "SCORE", "P-VALUE", "SEVERITY", "0-100", "MISSING", ""]
    rows = [header] + [_row(f) for f in report.features]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.append("")
    lines.append(f"reference: {report.reference} ({report.reference_rows} rows)   "
                 f"current: {report.current} ({report.current_rows} rows)   {report.duration_seconds:.2f}s")
    unjudged = [f for f in report.features if f.status != "judged"]
    for feature in unjudged:
        lines.append(f"not judged: {feature.name}: {feature.reason}")
    for feature in report.features:  # a distance past its cut that chance explains: say why it is not drift
        if feature.status == "judged" and not feature.drifted and "as large as chance" in feature.reason:
            lines.append(f"not drift: {feature.name}: {feature.reason}")
    for issue in report.quality_issues:
        lines.append(f"data quality [{issue.severity}]: {issue.message}")
    verdict = report.dataset
    state = {True: "DRIFT DETECTED", False: "no drift", None: "UNKNOWN"}[verdict.drifted]
    lines.append(f"verdict: {state}: {verdict.message}")
    return "\n".join(lines)
