"""Data-quality issues: a column's measurements held against ``spec.dataQuality`` limits.

A quality issue is reported beside drift, never instead of it: a column that is 60%
missing is a quality issue *and* its remaining 40% are still judged for drift.
"""

from __future__ import annotations

from typing import Literal

from modelmon.api.drift import DataQualitySpec
from modelmon.drift.results import FeatureDrift, QualityIssue


def assess_quality(feature: FeatureDrift, *, limits: DataQualitySpec) -> list[QualityIssue]:
    q = feature.quality
    if q is None:
        return []
    issues: list[QualityIssue] = []
    name = feature.name
    if q.rows and q.missing == q.rows:
        issues.append(QualityIssue(column=name, check="allMissing", severity="critical", value=1.0, limit=None,
                                   message=f"column {name!r}: every current value is missing"))
    elif q.missing_rate > q.reference_missing_rate + limits.max_missing_rate_increase:
        issues.append(QualityIssue(
            column=name, check="missingRate", severity=_grade(q.missing_rate - q.reference_missing_rate,
                                                             limits.max_missing_rate_increase),
            value=q.missing_rate, limit=q.reference_missing_rate + limits.max_missing_rate_increase,
            message=(f"column {name!r}: {q.missing_rate:.1%} missing vs {q.reference_missing_rate:.1%} in the "
                     f"reference (allowed increase {limits.max_missing_rate_increase:.1%})")))
    if q.non_finite:
        issues.append(QualityIssue(column=name, check="nonFinite", severity="warning", value=float(q.non_finite),
                                   limit=0.0, message=f"column {name!r}: {q.non_finite} infinite values"))
    if q.out_of_range_share is not None and q.out_of_range_share > limits.max_out_of_range_share:
        issues.append(QualityIssue(
            column=name, check="outOfRange", severity=_grade(q.out_of_range_share, limits.max_out_of_range_share),
            value=q.out_of_range_share, limit=limits.max_out_of_range_share,
            message=f"column {name!r}: {q.out_of_range_share:.1%} of values outside the reference range"))
    if q.unseen_share is not None and q.unseen_share > limits.max_unseen_share:
        examples = ", ".join(repr(e) for e in q.unseen_examples)
        issues.append(QualityIssue(
            column=name, check="unseenCategories", severity=_grade(q.unseen_share, limits.max_unseen_share),
            value=q.unseen_share, limit=limits.max_unseen_share,
            message=f"column {name!r}: {q.unseen_share:.1%} of values are categories the reference never had ({examples})"))
    if q.constant and q.missing < q.rows:
        issues.append(QualityIssue(column=name, check="constant", severity="warning", value=None, limit=None,
                                   message=f"column {name!r}: every current value is the same"))
    return issues


def _grade(value: float, limit: float) -> Literal["warning", "critical"]:
    """Critical past four times the limit (or any excess over a zero limit), else warning."""
    return "critical" if limit == 0 or value > 4 * limit else "warning"


def structural_issue(*, column: str, check: str, message: str) -> QualityIssue:
    return QualityIssue(column=column, check=check, severity="critical", value=None, limit=None,  # type: ignore[arg-type]
                        message=message)


