"""From the last check's summary to health, conditions and the events worth telling.

Health:
- Unknown: the data could not be read, or no feature had enough data (never "Healthy"
  for lack of evidence);
- Critical: the dataset drifted (share of drifted features >= drift.driftShare), or a
  critical data-quality issue (a column missing, of the wrong type, all missing, ...);
- Warning: some feature drifted, or a data-quality issue;
- Healthy: otherwise.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from modelmon.conditions import ConditionType, Health, Reason
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
    if error:
        health = Health.UNKNOWN
    elif dataset.get("drifted") is True or critical_issues:
        health = Health.CRITICAL
    elif dataset.get("drifted") is None:
        health = Health.UNKNOWN
    elif drifted_names or issues:
        health = Health.WARNING
    else:
        health = Health.HEALTHY
    conditions = [
        _drift_condition(error, dataset, drifted_names, generation),
        _quality_condition(error, issues, generation),
        condition(type=ConditionType.DATA_UNAVAILABLE.value, status=bool(error),
                  reason=(Reason.READ_FAILED if error else Reason.DATA_READ).value,
                  message=error or f"read {last_check.get('currentRows', 0)} current rows", generation=generation),
    ]
    return HealthAssessment(health=health, drifted_features=len(drifted_names), conditions=conditions,
                            events=_events(health, previous_health, error, dataset, issues))


def _drift_condition(error: str | None, dataset: dict[str, Any], drifted: list[str], generation: int | None) -> Condition:
    kind = ConditionType.DRIFTED.value
    if error or dataset.get("drifted") is None:
        return condition(type=kind, status=None, reason=Reason.INSUFFICIENT_DATA.value,
                         message=error or dataset.get("message", "no verdict"), generation=generation)
    if dataset["drifted"]:
        return condition(type=kind, status=True, reason=Reason.DRIFT_DETECTED.value,
                         message=dataset.get("message", ""), generation=generation)
    reason = Reason.FEATURES_DRIFTED if drifted else Reason.NO_DRIFT
    return condition(type=kind, status=False, reason=reason.value, message=dataset.get("message", ""),
                     generation=generation)


def _quality_condition(error: str | None, issues: list[dict[str, Any]], generation: int | None) -> Condition:
    kind = ConditionType.DATA_QUALITY_DEGRADED.value
    if error:
        return condition(type=kind, status=None, reason=Reason.INSUFFICIENT_DATA.value, message=error,
                         generation=generation)
    if issues:
        summary = "; ".join(i.get("message", "") for i in issues[:3]) + (f" (+{len(issues) - 3} more)" if len(issues) > 3 else "")
        return condition(type=kind, status=True, reason=Reason.QUALITY_ISSUES.value, message=summary,
                         generation=generation)
    return condition(type=kind, status=False, reason=Reason.QUALITY_OK.value, message="no data-quality issue",
                     generation=generation)


def _events(health: Health, previous: str | None, error: str | None, dataset: dict[str, Any],
            issues: list[dict[str, Any]]) -> list[EventNote]:
    if previous == health.value:
        return []
    if health is Health.HEALTHY:
        return [EventNote(type="Normal", reason="Healthy" if previous in (None, "Unknown") else "Recovered",
                          message=dataset.get("message", "no drift"))]
    if error:
        return [EventNote(type="Warning", reason=Reason.READ_FAILED.value, message=error)]
    if health is Health.UNKNOWN:
        return [EventNote(type="Warning", reason=Reason.INSUFFICIENT_DATA.value, message=dataset.get("message", ""))]
    detail = dataset.get("message", "")
    if issues:
        detail += f"; {len(issues)} data-quality issue(s): {issues[0].get('message', '')}"
    return [EventNote(type="Warning", reason=Reason.DRIFT_DETECTED.value if dataset.get("drifted") else health.value,
                      message=f"health {health.value}: {detail}")]
