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
from typing import Any

from modelmon.conditions import ConditionType, Health, MonitorReason
from modelmon.policies.conditions import Condition, condition


@dataclasses.dataclass(frozen=True, kw_only=True)
class EventNote:
    type: str  # Normal | Warning
    reason: str
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class HealthAssessment:
    health: Health
    drifted_features: int
    conditions: list[Condition]
    events: list[EventNote]


def assess_health(last_check: dict[str, Any], *, previous_health: str | None, generation: int | None) -> HealthAssessment:
    error = last_check.get("error")
    dataset = last_check.get("dataset") or {}
    issues = last_check.get("qualityIssues") or []
    drifted_names = [f["name"] for f in last_check.get("features") or [] if f.get("drifted")]
    critical_issues = [i for i in issues if i.get("severity") == "critical"]
    decay = (last_check.get("performance") or {}).get("severity")
    if error:
        health = Health.UNKNOWN
    elif dataset.get("drifted") is True or critical_issues or decay == "critical":
        health = Health.CRITICAL
    elif dataset.get("drifted") is None:
        health = Health.UNKNOWN
    elif drifted_names or issues or decay == "warning":
        health = Health.WARNING
    else:
        health = Health.HEALTHY
    conditions = [
        _drift_condition(error, dataset, drifted_names, generation),
        _quality_condition(error, issues, generation),
        _degraded_condition(error, last_check.get("performance"), generation),
        condition(type=ConditionType.DATA_UNAVAILABLE.value, status=bool(error),
                  reason=(MonitorReason.READ_FAILED if error else MonitorReason.DATA_READ).value,
                  message=error or f"read {last_check.get('currentRows', 0)} current rows", generation=generation),
    ]
    # The dataset verdict counts every feature; the features list in status is capped at 200.
    drifted_count = dataset.get("driftedFeatures")
    return HealthAssessment(health=health,
                            drifted_features=drifted_count if isinstance(drifted_count, int) else len(drifted_names),
                            conditions=conditions,
                            events=_events(health, previous_health, error, dataset, issues,
                                           last_check.get("performance") or {}))


def _drift_condition(error: str | None, dataset: dict[str, Any], drifted: list[str], generation: int | None) -> Condition:
    kind = ConditionType.DRIFTED.value
    if error or dataset.get("drifted") is None:
        return condition(type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value,
                         message=error or dataset.get("message", "no verdict"), generation=generation)
    if dataset["drifted"]:
        return condition(type=kind, status=True, reason=MonitorReason.DRIFT_DETECTED.value,
                         message=dataset.get("message", ""), generation=generation)
    reason = MonitorReason.FEATURES_DRIFTED if drifted else MonitorReason.NO_DRIFT
    return condition(type=kind, status=False, reason=reason.value, message=dataset.get("message", ""),
                     generation=generation)


def _quality_condition(error: str | None, issues: list[dict[str, Any]], generation: int | None) -> Condition:
    kind = ConditionType.DATA_QUALITY_DEGRADED.value
    if error:
        return condition(type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value, message=error,
                         generation=generation)
    if issues:
        summary = "; ".join(i.get("message", "") for i in issues[:3]) + (f" (+{len(issues) - 3} more)" if len(issues) > 3 else "")
        return condition(type=kind, status=True, reason=MonitorReason.QUALITY_ISSUES.value, message=summary,
                         generation=generation)
    return condition(type=kind, status=False, reason=MonitorReason.QUALITY_OK.value, message="no data-quality issue",
                     generation=generation)


def _degraded_condition(error: str | None, performance: dict[str, Any] | None, generation: int | None) -> Condition:
    kind = ConditionType.DEGRADED.value
    if error:
        return condition(type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value, message=error,
                         generation=generation)
    if not performance:
        return condition(type=kind, status=None, reason=MonitorReason.PERFORMANCE_NOT_WATCHED.value,
                         message="spec.performance is not set: live performance is not compared with a baseline",
                         generation=generation)
    severity, message = performance.get("severity"), str(performance.get("recommendation") or "")
    if severity == "critical":
        return condition(type=kind, status=True, reason=MonitorReason.PERFORMANCE_DEGRADED.value, message=message,
                         generation=generation)
    if severity == "warning":
        return condition(type=kind, status=False, reason=MonitorReason.PERFORMANCE_DECLINING.value, message=message,
                         generation=generation)
    if severity == "ok":
        return condition(type=kind, status=False, reason=MonitorReason.PERFORMANCE_OK.value,
                         message=f"every watched metric within its thresholds "
                                 f"({performance.get('labelled', 0)} labelled predictions)", generation=generation)
    return condition(type=kind, status=None, reason=MonitorReason.INSUFFICIENT_DATA.value, message=message,
                     generation=generation)


def _events(health: Health, previous: str | None, error: str | None, dataset: dict[str, Any],
            issues: list[dict[str, Any]], performance: dict[str, Any]) -> list[EventNote]:
    if previous == health.value:
        return []
    if health is Health.HEALTHY:
        return [EventNote(type="Normal", reason="Healthy" if previous in (None, "Unknown") else "Recovered",
                          message=dataset.get("message", "no drift"))]
    if error:
        return [EventNote(type="Warning", reason=MonitorReason.READ_FAILED.value, message=error)]
    if health is Health.UNKNOWN:
        return [EventNote(type="Warning", reason=MonitorReason.INSUFFICIENT_DATA.value, message=dataset.get("message", ""))]
    detail = dataset.get("message", "")
    if issues:
        detail += f"; {len(issues)} data-quality issue(s): {issues[0].get('message', '')}"
    decay = performance.get("severity")
    if decay in ("warning", "critical"):
        detail += f"; performance {decay}: {performance.get('recommendation', '')}"
    if dataset.get("drifted"):
        reason = MonitorReason.DRIFT_DETECTED.value
    elif decay == "critical":
        reason = MonitorReason.PERFORMANCE_DEGRADED.value
    else:
        reason = health.value
    return [EventNote(type="Warning", reason=reason, message=f"health {health.value}: {detail}")]
