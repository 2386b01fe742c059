"""What in a monitor's status deserves an alert: the alert policy's input.

Pure: reads the status dicts the check job and the operator write, returns observations.
Alerts are split by *scope*, because they change at different moments: check alerts
(drift, data quality, unavailable data, performance) change only when a new check is
assessed; lifecycle alerts (retraining, rollout) change when a RetrainingJob moves. Each
scope is planned on its own, so a retraining that finishes never counts as another
sighting of a drift alert.

Severity mapping, chosen so that a page means "act now":
- a drifted feature is a warning, critical when its own severity is critical; the dataset
  verdict (share of drifted features over the limit) is critical;
- data-quality issues keep their severity; data that cannot be read is a warning (the
  policy escalates it to critical when it persists: a blind monitor is an outage);
- performance keeps the severity the performance verdict gave each metric and window;
- a running retraining or rollout is info, a failed one a warning, a rolled-back rollout a
  warning; a successful one is info until the next retraining replaces it.
"""

from __future__ import annotations

from typing import Literal

from modelmon.api.retraining import MonitorRetrainingStatus
from modelmon.api.retraining_phases import RetrainingPhase
from modelmon.api.status import LastCheck
from modelmon.policies.alerts import AlertType, Observation

Scope = Literal["check", "lifecycle"]
SCOPES: dict[Scope, frozenset[str]] = {
    "check": frozenset({"drift", "dataQuality", "dataUnavailable", "performance"}),
    "lifecycle": frozenset({"retraining", "rollout"}),
}


def scope_of(alert_type: str) -> Scope:
    return "lifecycle" if alert_type in SCOPES["lifecycle"] else "check"


def check_observations(last_check: LastCheck) -> list[Observation]:
    """Alerts a check's summary (``status.lastCheck``) calls for."""
    error = last_check.error
    if error:
        return [
            Observation(
                type="dataUnavailable",
                subject="current",
                severity="warning",
                message=f"the check could not read its data: {error}",
            )
        ]
    found: list[Observation] = []
    dataset = last_check.dataset
    if dataset is not None and dataset.drifted:
        found.append(
            Observation(
                type="drift", subject="dataset", severity="critical", message=dataset.message or "dataset drift"
            )
        )
    for feature in last_check.features:
        if not feature.drifted:
            continue
        method = feature.method or "drift"
        detail = f"{method} {feature.score:.4g}" if feature.score is not None else method
        found.append(
            Observation(
                type="drift",
                subject=feature.name,
                severity="critical" if feature.severity == "critical" else "warning",
                message=f"feature {feature.name} drifted ({detail}, severity {feature.severity}, "
                f"{feature.severity_score:.0f}/100)",
            )
        )
    for issue in last_check.quality_issues:
        found.append(
            Observation(
                type="dataQuality",
                subject=f"{issue.column}/{issue.check}",
                severity="critical" if issue.severity == "critical" else "warning",
                message=issue.message or issue.check,
            )
        )
    for metric in last_check.performance.metrics if last_check.performance is not None else []:
        if metric.severity not in ("warning", "critical"):
            continue
        found.append(
            Observation(
                type="performance",
                subject=f"{metric.metric}/{metric.window}",
                severity=metric.severity,
                message=metric.recommendation or metric.reason,
            )
        )
    return found


#: A RetrainingJob in these phases is about its rollout (the alert's type), in any other about training.
_ROLLOUT_PHASES = frozenset({RetrainingPhase.ROLLING_OUT, RetrainingPhase.ROLLED_BACK})
#: Finished without changing the model in production: a warning.
_UNCHANGED_PHASES = frozenset({RetrainingPhase.FAILED, RetrainingPhase.ROLLED_BACK})


def lifecycle_observations(retraining: MonitorRetrainingStatus | None) -> list[Observation]:
    """Alerts the monitor's ``status.retraining`` (active and last RetrainingJob) calls for."""
    found: list[Observation] = []
    active = retraining.active if retraining is not None else None
    last = retraining.last if retraining is not None else None
    if active is not None and active.name:
        phase = active.phase or RetrainingPhase.PENDING
        kind: AlertType = "rollout" if phase in _ROLLOUT_PHASES else "retraining"
        found.append(
            Observation(
                type=kind,
                subject=f"{active.name}/active",
                severity="info",
                message=f"RetrainingJob {active.name} {phase}"
                + (f" (reason {active.reason})" if active.reason else ""),
            )
        )
    if last is not None and last.name and (active is None or active.name != last.name):
        message = last.message or ""
        if last.phase == RetrainingPhase.SUCCEEDED:
            version = f" (model {last.model.version})" if last.model is not None and last.model.version else ""
            found.append(
                Observation(
                    type="retraining",
                    subject=f"{last.name}/succeeded",
                    severity="info",
                    message=f"RetrainingJob {last.name} succeeded{version}",
                )
            )
        elif last.phase in _UNCHANGED_PHASES:
            kind = "rollout" if last.phase == RetrainingPhase.ROLLED_BACK else "retraining"
            found.append(
                Observation(
                    type=kind,
                    subject=f"{last.name}/{last.phase.lower()}",
                    severity="warning",
                    message=f"RetrainingJob {last.name} {last.phase}"
                    + (f": {message}" if message else "")
                    + "; the model in production was not changed",
                )
            )
    return found
