"""From the last check's summary to health, conditions and the events worth telling.

Health:
- Unknown: the data could not be read, or no feature had enough data (never "Healthy"
  for lack of evidence);
- Critical: the dataset drifted (share of drifted features >= drift.driftShare), a
  critical data-quality issue (a column missing, of the wrong type, all missing, ...), or
  a critical performance decay against the baseline (decay is evidence enough even when
  the drift verdict is unknown);
- Warning: some feature drifted, a data-quality issue, or a performance warning;
- Healthy: otherwise. Performance that cannot be judged yet (ground truth still to come)
  leaves health to the drift check and says so in the Degraded condition.

Degraded is True only for a critical decay (significant, or below the floor): that is
what retraining acts on; a warning shows as False with reason PerformanceDeclining.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from modelmon.api.status import DatasetVerdictStatus, LastCheck, PerformanceStatus, QualityIssueStatus
from modelmon.conditions import ConditionType, Health, MonitorReason
from modelmon.policies.conditions import ConditionUpdate, condition_update


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventNote:
    type: str  # Normal | Warning
    reason: str
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class HealthAssessment:
    health: Health
    drifted_features: int
    conditions: list[ConditionUpdate]
    events: list[EventNote]


def assess_health(
    last_check: Mapping[str, Any], *, previous_health: str | None, generation: int | None
) -> HealthAssessment:
    """:func:`assess_check` of a check's summary as the CLI and the report hold it (``status.lastCheck``'s
    JSON), parsed into its model first."""
    return assess_check(LastCheck.model_validate(last_check), previous_health=previous_health, generation=generation)


#: What a check without a dataset verdict (its data unreadable) reads as: no verdict, nothing counted.
_NO_VERDICT = DatasetVerdictStatus(drifted=None, drifted_features=0, judged_features=0, message="")


def assess_check(last_check: LastCheck, *, previous_health: str | None, generation: int | None) -> HealthAssessment:
    error = last_check.error
    verdict = last_check.dataset
    dataset = verdict or _NO_VERDICT
    issues = last_check.quality_issues
    drifted_names = [f.name for f in last_check.features if f.drifted]
    critical_issues = [i for i in issues if i.severity == "critical"]
    performance = last_check.performance
    decay = performance.severity if performance is not None else None
    if error:
        health = Health.UNKNOWN
    elif dataset.drifted is True or critical_issues or decay == "critical":
        health = Health.CRITICAL
    elif dataset.drifted is None:
        health = Health.UNKNOWN
    elif drifted_names or issues or decay == "warning":
        health = Health.WARNING
    else:
        health = Health.HEALTHY
    conditions = [
        _drift_condition(error, verdict, drifted_names, generation),
        _quality_condition(error, issues, generation),
        _degraded_condition(error, performance, generation),
        condition_update(
            type=ConditionType.DATA_UNAVAILABLE.value,
            status=bool(error),
            reason=(MonitorReason.READ_FAILED if error else MonitorReason.DATA_READ).value,
            message=error or f"read {last_check.current_rows} current rows",
            generation=generation,
        ),
    ]
    # The dataset verdict counts every feature; the features list in status is capped at 200.
    return HealthAssessment(
        health=health,
        drifted_features=verdict.drifted_features if verdict is not None else len(drifted_names),
        conditions=conditions,
        events=_events(health, previous_health, error, verdict, issues, performance),
    )


def _message(verdict: DatasetVerdictStatus | None, default: str) -> str:
    """The dataset verdict's message as written; ``default`` without a verdict or a message (an empty
    message written is kept)."""
    return verdict.message if verdict is not None and "message" in verdict.model_fields_set else default


def _drift_condition(
    error: str | None, verdict: DatasetVerdictStatus | None, drifted: list[str], generation: int | None
) -> ConditionUpdate:
    kind = ConditionType.DRIFTED.value
    if error or verdict is None or verdict.drifted is None:
        return condition_update(
            type=kind,
            status=None,
            reason=MonitorReason.INSUFFICIENT_DATA.value,
            message=error or _message(verdict, "no verdict"),
            generation=generation,
        )
    if verdict.drifted:
        return condition_update(
            type=kind,
            status=True,
            reason=MonitorReason.DRIFT_DETECTED.value,
            message=verdict.message,
            generation=generation,
        )
    reason = MonitorReason.FEATURES_DRIFTED if drifted else MonitorReason.NO_DRIFT
    return condition_update(
        type=kind, status=False, reason=reason.value, message=verdict.message, generation=generation
    )


def _quality_condition(error: str | None, issues: list[QualityIssueStatus], generation: int | None) -> ConditionUpdate:
    kind = ConditionType.DATA_QUALITY_DEGRADED.value
    if error:
        return condition_update(
            type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value, message=error, generation=generation
        )
    if issues:
        summary = "; ".join(i.message for i in issues[:3]) + (f" (+{len(issues) - 3} more)" if len(issues) > 3 else "")
        return condition_update(
            type=kind, status=True, reason=MonitorReason.QUALITY_ISSUES.value, message=summary, generation=generation
        )
    return condition_update(
        type=kind,
        status=False,
        reason=MonitorReason.QUALITY_OK.value,
        message="no data-quality issue",
        generation=generation,
    )


def _degraded_condition(
    error: str | None, performance: PerformanceStatus | None, generation: int | None
) -> ConditionUpdate:
    kind = ConditionType.DEGRADED.value
    if error:
        return condition_update(
            type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value, message=error, generation=generation
        )
    if performance is None:
        return condition_update(
            type=kind,
            status=None,
            reason=MonitorReason.PERFORMANCE_NOT_WATCHED.value,
            message="spec.performance is not set: live performance is not compared with a baseline",
            generation=generation,
        )
    severity, message = performance.severity, performance.recommendation
    if severity == "critical":
        return condition_update(
            type=kind,
            status=True,
            reason=MonitorReason.PERFORMANCE_DEGRADED.value,
            message=message,
            generation=generation,
        )
    if severity == "warning":
        return condition_update(
            type=kind,
            status=False,
            reason=MonitorReason.PERFORMANCE_DECLINING.value,
            message=message,
            generation=generation,
        )
    if severity == "ok":
        return condition_update(
            type=kind,
            status=False,
            reason=MonitorReason.PERFORMANCE_OK.value,
            message=f"every watched metric within its thresholds ({performance.labelled} labelled predictions)",
            generation=generation,
        )
    return condition_update(
        type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value, message=message, generation=generation
    )


def _events(
    health: Health,
    previous: str | None,
    error: str | None,
    verdict: DatasetVerdictStatus | None,
    issues: list[QualityIssueStatus],
    performance: PerformanceStatus | None,
) -> list[EventNote]:
    if previous == health.value:
        return []
    if health is Health.HEALTHY:
        reason = "Healthy" if previous in (None, Health.UNKNOWN.value) else "Recovered"
        return [EventNote(type="Normal", reason=reason, message=_message(verdict, "no drift"))]
    if error:
        return [EventNote(type="Warning", reason=MonitorReason.READ_FAILED.value, message=error)]
    if health is Health.UNKNOWN:
        return [EventNote(type="Warning", reason=MonitorReason.INSUFFICIENT_DATA.value, message=_message(verdict, ""))]
    detail = _message(verdict, "")
    if issues:
        detail += f"; {len(issues)} data-quality issue(s): {issues[0].message}"
    decay = performance.severity if performance is not None else None
    if performance is not None and decay in ("warning", "critical"):
        detail += f"; performance {decay}: {performance.recommendation}"
    if verdict is not None and verdict.drifted:
        reason = MonitorReason.DRIFT_DETECTED.value
    elif decay == "critical":
        reason = MonitorReason.PERFORMANCE_DEGRADED.value
    else:
        reason = health.value
    return [EventNote(type="Warning", reason=reason, message=f"health {health.value}: {detail}")]
