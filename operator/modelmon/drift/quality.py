"""Data-quality issues: a column's measurements held against ``spec.dataQuality`` limits.

A quality issue is reported beside drift, never instead of it: a column that is 60%
missing is a quality issue *and* its remaining 40% are still judged for drift.

Unseen categories are counted beyond chance: a reference sample misses some categories of
its own distribution, and the share of values it misses is estimated by Good-Turing as the
share of its singletons (categories seen once); ``maxUnseenShare`` applies to the excess
over that, so a column of 1,000 categories on 1,001 rows (where ~37 % of a second sample
lands in categories the first never saw) is not a data-quality alarm, while a new category
taking 5 % of a well-covered column is.

Infinities are treated like NaN, because that is what they are in practice (a division by
zero, an overflow, a sentinel): set aside from every statistic, a column with no finite
value at all is ``allMissing`` (critical) whether it holds NaN, +inf or both, and the share
of infinities is graded against the reference's own share exactly like the missing rate.
"""

from __future__ import annotations

from modelmon.api.drift import DataQualitySpec, QualitySeverity
from modelmon.drift.results import FeatureDrift, QualityIssue


def assess_quality(feature: FeatureDrift, *, limits: DataQualitySpec) -> list[QualityIssue]:
    q = feature.quality
    if q is None:
        return []
    issues: list[QualityIssue] = []
    name = feature.name
    if q.rows and q.missing + q.non_finite == q.rows:
        what = "missing" if not q.non_finite else "missing or infinite (infinities count as missing)"
        # Critical when the column lost its values; a column the reference never had a value in
        # either has nothing to lose (a warning: drop it, or fix its producer).
        never = q.reference_missing_rate + q.reference_non_finite_rate >= 1.0
        issues.append(QualityIssue(
            column=name, check="allMissing", severity="warning" if never else "critical", value=1.0, limit=None,
            message=f"column {name!r}: every current value is {what}" + (
                " (as in the reference)" if never else "")))
        return issues
    elif q.missing_rate > q.reference_missing_rate + limits.max_missing_rate_increase:
        issues.append(QualityIssue(
            column=name, check="missingRate", severity=_grade(q.missing_rate - q.reference_missing_rate,
                                                             limits.max_missing_rate_increase),
            value=q.missing_rate, limit=q.reference_missing_rate + limits.max_missing_rate_increase,
            message=(f"column {name!r}: {q.missing_rate:.1%} missing vs {q.reference_missing_rate:.1%} in the "
                     f"reference (allowed increase {limits.max_missing_rate_increase:.1%})")))
    if q.non_finite:
        allowed = q.reference_non_finite_rate + limits.max_missing_rate_increase
        graded = (_grade(q.non_finite_rate - q.reference_non_finite_rate, limits.max_missing_rate_increase)
                  if q.non_finite_rate > allowed else "warning")
        issues.append(QualityIssue(column=name, check="nonFinite", severity=graded, value=float(q.non_finite),
                                   limit=0.0, message=(f"column {name!r}: {q.non_finite} infinite values "
                                                       f"({q.non_finite_rate:.1%}; set aside like missing ones)")))
    if q.out_of_range_share is not None and q.out_of_range_share > limits.max_out_of_range_share:
        issues.append(QualityIssue(
            column=name, check="outOfRange", severity=_grade(q.out_of_range_share, limits.max_out_of_range_share),
            value=q.out_of_range_share, limit=limits.max_out_of_range_share,
            message=f"column {name!r}: {q.out_of_range_share:.1%} of values outside the reference range"))
    excess = None if q.unseen_share is None else q.unseen_share - q.expected_unseen_share
    if excess is not None and excess > limits.max_unseen_share:
        examples = ", ".join(repr(e) for e in q.unseen_examples)
        chance = f", {q.expected_unseen_share:.1%} expected by chance" if q.expected_unseen_share else ""
        issues.append(QualityIssue(
            column=name, check="unseenCategories", severity=_grade(excess, limits.max_unseen_share),
            value=q.unseen_share, limit=q.expected_unseen_share + limits.max_unseen_share,
            message=(f"column {name!r}: {q.unseen_share:.1%} of values are categories the reference never had "
                     f"({examples}){chance}")))
    if q.constant and q.missing < q.rows:
        issues.append(QualityIssue(column=name, check="constant", severity="warning", value=None, limit=None,
                                   message=f"column {name!r}: every current value is the same"))
    return issues


def _grade(value: float, limit: float) -> QualitySeverity:
    """Critical past four times the limit (or any excess over a zero limit), else warning."""
    return "critical" if limit == 0 or value > 4 * limit else "warning"


def new_column_issue(column: str, *, limits: DataQualitySpec) -> QualityIssue:
    """A current column the reference lacks: a schema change upstream, not drift (nothing to compare it
    with) and not a change in what the model sees, so a warning unless ``newColumnSeverity`` says critical."""
    return QualityIssue(column=column, check="newColumn", severity=limits.new_column_severity, value=None, limit=None,
                        message=f"column {column!r} is in the current data but not in the reference")


def structural_issue(*, column: str, check: str, message: str) -> QualityIssue:
    return QualityIssue(column=column, check=check, severity="critical", value=None, limit=None,  # type: ignore[arg-type]
                        message=message)


