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

from typing import Any, Literal

from modelmon.policies.alerts import AlertType, Observation

Scope = Literal["check", "lifecycle"]
SCOPES: dict[Scope, frozenset[str]] = {
    "check": frozenset({"drift", "dataQuality", "dataUnavailable", "performance"}),
    "lifecycle": frozenset({"retraining", "rollout"}),
}


def scope_of(alert_type: str) -> Scope:
    return "lifecycle" if alert_type in SCOPES["lifecycle"] else "check"


def check_observations(last_check: dict[str, Any]) -> list[Observation]:
    """Alerts a check's summary (``status.lastCheck``) calls for."""
    error = last_check.get("error")
    if error:
        return [Observation(type="dataUnavailable", subject="current", severity="warning",
                            message=f"the check could not read its data: {error}")]
    found: list[Observation] = []
    dataset = last_check.get("dataset") or {}
    if dataset.get("drifted"):
        found.append(Observation(type="drift", subject="dataset", severity="critical",
                                 message=dataset.get("message") or "dataset drift"))
    for feature in last_check.get("features") or []:
        if not feature.get("drifted"):
            continue
        score = feature.get("score")
        method = feature.get("method") or "drift"
        detail = f"{method} {score:.4g}" if isinstance(score, (int, float)) else method
        found.append(Observation(
            type="drift", subject=str(feature["name"]),
            severity="critical" if feature.get("severity") == "critical" else "warning",
            message=f"feature {feature['name']} drifted ({detail}, severity {feature.get('severity')}, "
                    f"{feature.get('severityScore', 0):.0f}/100)"))
    for issue in last_check.get("qualityIssues") or []:
        found.append(Observation(type="dataQuality", subject=f"{issue.get('column')}/{issue.get('check')}",
                                 severity="critical" if issue.get("severity") == "critical" else "warning",
                                 message=str(issue.get("message") or issue.get("check"))))
    performance = last_check.get("performance") or {}
    for metric in performance.get("metrics") or []:
        severity = metric.get("severity")
        if severity not in ("warning", "critical"):
            continue
        found.append(Observation(type="performance", subject=f"{metric.get('metric')}/{metric.get('window')}",
                                 severity=severity,
                                 message=str(metric.get("recommendation") or metric.get("reason") or "")))
    return found


_ROLLOUT_PHASES = {"RollingOut", "RolledBack"}


def lifecycle_observations(retraining: dict[str, Any] | None) -> list[Observation]:
    """Alerts the monitor's ``status.retraining`` (active and last RetrainingJob) calls for."""
    retraining = retraining or {}
    found: list[Observation] = []
    active = retraining.get("active")
    if active and active.get("name"):
        phase = str(active.get("phase") or "Pending")
        kind: AlertType = "rollout" if phase in _ROLLOUT_PHASES else "retraining"
        found.append(Observation(type=kind, subject=f"{active['name']}/active", severity="info",
                                 message=f"RetrainingJob {active['name']} {phase}"
                                         + (f" (reason {active['reason']})" if active.get("reason") else "")))
    last = retraining.get("last")
    if last and last.get("name") and (not active or active.get("name") != last.get("name")):
        phase = str(last.get("phase") or "")
        message = str(last.get("message") or "")
        if phase == "Succeeded":
            model = last.get("model") or {}
            version = f" (model {model['version']})" if isinstance(model, dict) and model.get("version") else ""
            found.append(Observation(type="retraining", subject=f"{last['name']}/succeeded", severity="info",
                                     message=f"RetrainingJob {last['name']} succeeded{version}"))
        elif phase in ("Failed", "RolledBack"):
            kind = "rollout" if phase == "RolledBack" else "retraining"
            found.append(Observation(type=kind, subject=f"{last['name']}/{phase.lower()}", severity="warning",
                                     message=f"RetrainingJob {last['name']} {phase}"
                                             + (f": {message}" if message else "")
                                             + "; the model in production was not changed"))
    return found
