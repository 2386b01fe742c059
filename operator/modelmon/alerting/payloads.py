"""What each kind of sink receives for one batch: pure functions, batch and clock in, body out.

- Alertmanager (API v2): one alert per notification. Labels identify the alert (Alertmanager
  fingerprints them), so only stable facts go there; the message, counts and measurements are
  annotations. A firing alert carries ``endsAt = now + expire_after``: Alertmanager treats an
  alert without endsAt as resolved after its ``resolve_timeout`` (5m by default), far sooner
  than modelmon re-sends (after the cooldown), so the end is stated explicitly; if the operator
  stops, the alert still ends then instead of firing forever. A resolved alert carries
  ``endsAt`` = the time it resolved, which ends it at once. Because severity is a label, an
  escalation also ends the alert's lower-severity twins.
- Slack: a message of blocks (header, model/monitor/health, one section per alert with its
  scores and a recommendation) plus a plain ``text`` fallback for notifications.
- Webhook: the JSON document ``webhook_body`` builds, versioned by ``version`` (docs/alerts.md).
- Email: a subject line and a plain-text body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelmon import timestamps
from modelmon.alerting.batches import Batch, Item
from modelmon.policies.alerts import RANK

WEBHOOK_VERSION = "modelmon.io/v1"
SLACK_MAX_BLOCKS = 50
_ALERTNAMES = {"drift": "ModelmonDrift", "performance": "ModelmonPerformance", "dataQuality": "ModelmonDataQuality",
               "dataUnavailable": "ModelmonDataUnavailable", "retraining": "ModelmonRetraining",
               "rollout": "ModelmonRollout"}
_RECOMMENDATIONS = {
    "drift": "Compare this feature's recent values with the reference data; if the shift is real, retrain on recent "
             "data (the retraining policy may already have started a RetrainingJob).",
    "performance": "Check the labels' quality and the recent inputs; retrain if the drop persists.",
    "dataQuality": "Fix the upstream data feeding this column; drift verdicts on bad data are unreliable.",
    "dataUnavailable": "Check that the data source is reachable and readable by the check job "
                       "(kubectl logs of the monitor's latest check job).",
    "retraining": "Follow the RetrainingJob with kubectl describe retrainingjob.",
    "rollout": "Follow the rollout with kubectl describe retrainingjob; the previous model keeps serving on failure.",
}
_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}


def stamp(epoch: float | None) -> str | None:
    """RFC 3339 UTC with milliseconds, as Alertmanager and most JSON consumers parse it."""
    if epoch is None:
        return None
    return timestamps.format_epoch(epoch, milliseconds=True)


def recommendation(item: Item) -> str:
    if item.action == "resolved":
        return "No action needed: the condition cleared."
    if item.alert.type == "performance" and item.alert.message:
        return item.alert.message
    return _RECOMMENDATIONS.get(item.alert.type, "")


def scores(item: Item) -> str:
    """A drift alert's measurements in one line, e.g. ``psi 0.31, p-value 0.0012, severity 78/100``."""
    details = item.details
    parts = []
    if "score" in details:
        parts.append(f"{details.get('method', 'score')} {details['score']:.4g}")
    if "pValue" in details:
        parts.append(f"p-value {details['pValue']:.2g}")
    if "severityScore" in details:
        parts.append(f"severity {details['severityScore']:.0f}/100")
    return ", ".join(parts)


def _model(batch: Batch) -> str:
    if not batch.model:
        return "(model not named)"
    return f"{batch.model} {batch.model_version}" if batch.model_version else batch.model


def title(batch: Batch) -> str:
    """One line: severity, where, what (Slack's fallback text and the email subject)."""
    return (f"[{batch.severity.upper()}] modelmon {batch.namespace}/{batch.monitor} ({_model(batch)}): "
            f"{batch.summary()}")


# --- Alertmanager -------------------------------------------------------------------------------------------------

def alertmanager_alerts(batch: Batch, *, labels: Mapping[str, str], expire_after: float,
                        now: float) -> list[dict[str, Any]]:
    posted: list[dict[str, Any]] = []
    for item in batch.items:
        alert = item.alert
        identity = {**labels, "alertname": _ALERTNAMES.get(alert.type, "ModelmonAlert"),
                    "namespace": batch.namespace, "monitor": batch.monitor, "type": alert.type,
                    "subject": alert.subject, "severity": alert.severity, "alert_id": alert.id}
        if batch.model:
            identity["model"] = batch.model
        annotations = {"summary": f"{alert.type} {alert.subject} is {alert.severity} on {batch.namespace}/"
                                  f"{batch.monitor} ({_model(batch)})",
                       "description": alert.message, "action": item.action, "count": str(alert.count),
                       "recommendation": recommendation(item)}
        if batch.model_version:
            annotations["model_version"] = batch.model_version
        if item.details:
            annotations["scores"] = scores(item)
        if batch.report:
            annotations["report"] = batch.report
        resolved = item.action == "resolved"
        ends = (alert.resolved_at or now) if resolved else now + expire_after
        entry = {"labels": identity, "annotations": annotations, "startsAt": stamp(alert.first_seen),
                 "endsAt": stamp(ends), "generatorURL": batch.link}
        posted.append(entry)
        if item.action == "escalated":
            for lower in (s for s, rank in RANK.items() if rank < RANK[alert.severity]):
                posted.append({**entry, "labels": {**identity, "severity": lower}, "endsAt": stamp(now),
                               "annotations": {**annotations, "action": "resolved",
                                               "description": f"escalated to {alert.severity}"}})
    return posted


# --- Slack --------------------------------------------------------------------------------------------------------

def _mrkdwn(text: str) -> str:
    """Slack's escaping: only &, < and > are control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_section(item: Item) -> dict[str, Any]:
    alert = item.alert
    state = "RESOLVED" if item.action == "resolved" else alert.severity.upper()
    emoji = ":white_check_mark:" if item.action == "resolved" else _EMOJI[alert.severity]
    lines = [f"{emoji} *{state}* {alert.type} `{_mrkdwn(alert.subject)}`"
             + (f" ({item.action})" if item.action in ("escalated", "repeat") else ""),
             _mrkdwn(alert.message)]
    if item.details:
        lines.append(f"Scores: {_mrkdwn(scores(item))}")
    lines.append(f"_{_mrkdwn(recommendation(item))}_")
    lines.append(f"Seen {alert.count}x since {stamp(alert.first_seen)} · id `{alert.id}`")
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}}


def slack_message(batch: Batch, *, channel: str | None = None, username: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title(batch)[:150]}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Model*\n{_mrkdwn(_model(batch))}"},
            {"type": "mrkdwn", "text": f"*Monitor*\n{_mrkdwn(batch.namespace)}/{_mrkdwn(batch.monitor)}"},
            {"type": "mrkdwn", "text": f"*Health*\n{_mrkdwn(batch.health or 'Unknown')}"}]},
    ]
    footer = {"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"<{batch.link}|{_mrkdwn(batch.monitor)}>"
                                   + (f" · <{batch.report}|drift report>" if batch.report else "")
                                   + f" · notification {batch.id}"}]}
    room = SLACK_MAX_BLOCKS - len(blocks) - 1  # the footer
    sections = [_slack_section(i) for i in batch.items]
    if len(sections) > room:
        hidden = len(sections) - room + 1
        sections = sections[: room - 1] + [{"type": "section", "text": {
            "type": "mrkdwn", "text": f"…and {hidden} more (kubectl get mm {batch.monitor} -n {batch.namespace} -o yaml)"}}]
    message: dict[str, Any] = {"text": title(batch), "blocks": blocks + sections + [footer]}
    if channel:
        message["channel"] = channel
    if username:
        message["username"] = username
    return message


# --- Webhook ------------------------------------------------------------------------------------------------------

def webhook_body(batch: Batch) -> dict[str, Any]:
    """The generic webhook's JSON document; its schema is documented in docs/alerts.md."""
    return {
        "version": WEBHOOK_VERSION,
        "kind": "AlertNotification",
        "id": batch.id,
        "createdAt": stamp(batch.created),
        "severity": batch.severity,
        "summary": title(batch),
        "monitor": {"namespace": batch.namespace, "name": batch.monitor, "uid": batch.uid, "link": batch.link},
        "model": {"name": batch.model, "version": batch.model_version},
        "health": batch.health,
        "report": batch.report,
        "alerts": [{
            "id": i.alert.id, "type": i.alert.type, "subject": i.alert.subject, "severity": i.alert.severity,
            "action": i.action, "status": "resolved" if i.action == "resolved" else "firing",
            "message": i.alert.message, "count": i.alert.count, "firstSeen": stamp(i.alert.first_seen),
            "lastSeen": stamp(i.alert.last_seen), "resolvedAt": stamp(i.alert.resolved_at),
            "acknowledged": i.alert.acknowledged, "details": i.details, "recommendation": recommendation(i),
        } for i in batch.items],
    }


def encode(document: Any) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


# --- Email --------------------------------------------------------------------------------------------------------

def email_message(batch: Batch) -> tuple[str, str]:
    """(subject, plain-text body)."""
    lines = [f"Monitor: {batch.namespace}/{batch.monitor}", f"Model:   {_model(batch)}",
             f"Health:  {batch.health or 'Unknown'}", f"Link:    {batch.link}",
             *([f"Report:  {batch.report}"] if batch.report else []), ""]
    for item in batch.items:
        alert = item.alert
        state = "RESOLVED" if item.action == "resolved" else alert.severity.upper()
        lines.append(f"* {state} {alert.type} {alert.subject} ({item.action})")
        lines.append(f"  {alert.message}")
        if item.details:
            lines.append(f"  Scores: {scores(item)}")
        lines.append(f"  Seen {alert.count} time(s) since {stamp(alert.first_seen)}; alert id {alert.id}")
        lines.append(f"  What to do: {recommendation(item)}")
        lines.append("")
    lines.append(f"Acknowledge with: kubectl annotate modelmonitor {batch.monitor} -n {batch.namespace} "
                 f"--overwrite modelmon.io/ack=<alert id>[,<alert id>...]")
    lines.append(f"Notification {batch.id}")
    return title(batch), "\n".join(lines) + "\n"
