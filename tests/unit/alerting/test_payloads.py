"""The grouped message each sink receives for one planning step: exact bodies, severity filter,
Alertmanager's start/end semantics, Slack's limits, the webhook document, the email text."""

from __future__ import annotations

import json

import pytest

from modelmon.alerting import batches, payloads
from modelmon.policies.alerts import Alert, Notification

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
NOW = T0 + 7200


def alert(subject: str, severity: str = "warning", type: str = "drift", **fields) -> Alert:
    base = dict(id=f"id-{subject}", type=type, subject=subject, severity=severity, message=f"{subject} drifted",
                first_seen=T0, last_seen=NOW, count=3, last_notified=NOW)
    return Alert(**(base | fields))


BODY = {
    "metadata": {"namespace": "risk", "name": "credit", "uid": "u-1"},
    "spec": {"model": {"name": "credit-scorer", "version": "v7"}},
    "status": {"health": "Critical", "lastCheck": {"features": [
        {"name": "income", "method": "psi", "score": 0.3123, "severity": "critical", "severityScore": 81.4},
        {"name": "age", "method": "ks", "score": 0.21, "pValue": 0.00042, "severity": "warning"}]}},
}


def batch(*notifications: Notification) -> batches.Batch:
    return batches.build_batch(batch_id="b-1", body=BODY, notifications=list(notifications), now=NOW)


FIRING = Notification(action="firing", alert=alert("income", "critical"))
REPEAT = Notification(action="repeat", alert=alert("age"))
RESOLVED = Notification(action="resolved", alert=alert("tenure", "info", resolved_at=NOW - 60))


def test_one_batch_carries_context_and_the_measurements_of_each_feature():
    grouped = batch(FIRING, REPEAT, RESOLVED)
    assert (grouped.namespace, grouped.monitor, grouped.uid, grouped.model, grouped.model_version, grouped.health) == (
        "risk", "credit", "u-1", "credit-scorer", "v7", "Critical")
    assert grouped.link == ("https://kubernetes.default.svc/apis/modelmon.io/v1alpha1/namespaces/risk/"
                            "modelmonitors/credit")
    assert grouped.items[0].details == {"method": "psi", "score": 0.3123, "severity": "critical",
                                        "severityScore": 81.4}
    assert grouped.items[1].details == {"method": "ks", "score": 0.21, "pValue": 0.00042, "severity": "warning"}
    assert grouped.items[2].details == {}
    assert grouped.severity == "critical" and grouped.counts() == {"firing": 2, "resolved": 1}


@pytest.mark.parametrize(("floor", "subjects"), [
    ("info", ["income", "age", "tenure"]), ("warning", ["income", "age"]), ("critical", ["income"])])
def test_each_sink_sees_what_reaches_its_minimum_severity(floor, subjects):
    seen = batches.for_severity(batch(FIRING, REPEAT, RESOLVED), floor)
    assert seen is not None and [i.alert.subject for i in seen.items] == subjects


def test_a_sink_gets_nothing_when_nothing_reaches_its_floor():
    assert batches.for_severity(batch(REPEAT, RESOLVED), "critical") is None


def test_alertmanager_firing_alert_ends_after_the_expiry_and_resolved_at_its_resolution():
    posted = payloads.alertmanager_alerts(batch(FIRING, RESOLVED), labels={"team": "ml"}, expire_after=86400,
                                          now=NOW)
    assert posted[0] == {
        "labels": {"team": "ml", "alertname": "ModelmonDrift", "namespace": "risk", "monitor": "credit",
                   "type": "drift", "subject": "income", "severity": "critical", "alert_id": "id-income",
                   "model": "credit-scorer"},
        "annotations": {"summary": "drift income is critical on risk/credit (credit-scorer v7)",
                        "description": "income drifted", "action": "firing", "count": "3",
                        "recommendation": payloads.recommendation(batch(FIRING).items[0]),
                        "model_version": "v7", "scores": "psi 0.3123, severity 81/100"},
        "startsAt": "2023-11-14T22:13:20.000Z", "endsAt": "2023-11-16T00:13:20.000Z",
        "generatorURL": batch().link}
    assert posted[1]["endsAt"] == "2023-11-15T00:12:20.000Z"  # resolved_at, a minute before NOW
    assert posted[1]["labels"]["severity"] == "info" and posted[1]["annotations"]["action"] == "resolved"
    assert all(isinstance(v, str) for p in posted for v in [*p["labels"].values(), *p["annotations"].values()])


def test_an_escalation_ends_the_lower_severity_twins_of_the_alert():
    escalated = Notification(action="escalated", alert=alert("age", "critical"))
    posted = payloads.alertmanager_alerts(batch(escalated), labels={}, expire_after=3600, now=NOW)
    assert [(p["labels"]["severity"], p["endsAt"]) for p in posted] == [
        ("critical", "2023-11-15T01:13:20.000Z"), ("info", "2023-11-15T00:13:20.000Z"),
        ("warning", "2023-11-15T00:13:20.000Z")]
    assert {p["labels"]["alert_id"] for p in posted} == {"id-age"}


def test_slack_message_is_readable_and_escaped():
    hostile = Notification(action="firing", alert=alert("a<b>&c", "warning", message="x <@here> & y"))
    message = payloads.slack_message(batch(FIRING, hostile, RESOLVED), channel="#ml", username="modelmon")
    assert message["text"] == "[CRITICAL] modelmon risk/credit (credit-scorer v7): 2 firing, 1 resolved"
    assert message["channel"] == "#ml" and message["username"] == "modelmon"
    header, facts, first, second, third, footer = message["blocks"]
    assert header["text"]["text"] == message["text"]
    assert [f["text"] for f in facts["fields"]] == ["*Model*\ncredit-scorer v7", "*Monitor*\nrisk/credit",
                                                   "*Health*\nCritical"]
    assert first["text"]["text"].splitlines() == [
        ":red_circle: *CRITICAL* drift `income`", "income drifted", "Scores: psi 0.3123, severity 81/100",
        f"_{payloads.recommendation(batch(FIRING).items[0])}_",
        "Seen 3x since 2023-11-14T22:13:20.000Z · id `id-income`"]
    assert "`a&lt;b&gt;&amp;c`" in second["text"]["text"] and "x &lt;@here&gt; &amp; y" in second["text"]["text"]
    assert third["text"]["text"].startswith(":white_check_mark: *RESOLVED* drift `tenure`")
    assert "No action needed" in third["text"]["text"]
    assert "notification b-1" in footer["elements"][0]["text"]


def test_slack_message_stays_within_fifty_blocks():
    many = [Notification(action="firing", alert=alert(f"f{i}")) for i in range(80)]
    message = payloads.slack_message(batch(*many))
    assert len(message["blocks"]) == payloads.SLACK_MAX_BLOCKS
    assert message["blocks"][-2]["text"]["text"].startswith("…and 34 more")
    assert "channel" not in message and "username" not in message


def test_webhook_document_is_versioned_and_complete():
    document = payloads.webhook_body(batch(FIRING, RESOLVED))
    assert document == {
        "version": "modelmon.io/v1", "kind": "AlertNotification", "id": "b-1",
        "createdAt": "2023-11-15T00:13:20.000Z", "severity": "critical",
        "summary": "[CRITICAL] modelmon risk/credit (credit-scorer v7): 1 firing, 1 resolved",
        "monitor": {"namespace": "risk", "name": "credit", "uid": "u-1", "link": batch().link},
        "model": {"name": "credit-scorer", "version": "v7"}, "health": "Critical", "report": None,
        "alerts": [
            {"id": "id-income", "type": "drift", "subject": "income", "severity": "critical", "action": "firing",
             "status": "firing", "message": "income drifted", "count": 3, "firstSeen": "2023-11-14T22:13:20.000Z",
             "lastSeen": "2023-11-15T00:13:20.000Z", "resolvedAt": None, "acknowledged": False,
             "details": {"method": "psi", "score": 0.3123, "severity": "critical", "severityScore": 81.4},
             "recommendation": payloads.recommendation(batch(FIRING).items[0])},
            {"id": "id-tenure", "type": "drift", "subject": "tenure", "severity": "info", "action": "resolved",
             "status": "resolved", "message": "tenure drifted", "count": 3, "firstSeen": "2023-11-14T22:13:20.000Z",
             "lastSeen": "2023-11-15T00:13:20.000Z", "resolvedAt": "2023-11-15T00:12:20.000Z",
             "acknowledged": False, "details": {}, "recommendation": "No action needed: the condition cleared."}]}
    assert json.loads(payloads.encode(document)) == document
    assert b": " not in payloads.encode(document)[:40]


def test_performance_alert_recommendation_is_the_verdicts_own():
    item = batch(Notification(action="firing", alert=alert("accuracy/1d", type="performance",
                                                           message="accuracy fell 9 points: retrain"))).items[0]
    assert payloads.recommendation(item) == "accuracy fell 9 points: retrain"


def test_email_has_a_subject_line_and_a_plain_text_body():
    subject, body = payloads.email_message(batch(FIRING, REPEAT))
    assert subject == "[CRITICAL] modelmon risk/credit (credit-scorer v7): 2 firing"
    assert body.splitlines()[:5] == ["Monitor: risk/credit", "Model:   credit-scorer v7", "Health:  Critical",
                                     f"Link:    {batch().link}", ""]
    assert "* CRITICAL drift income (firing)" in body and "* WARNING drift age (repeat)" in body
    assert "Scores: ks 0.21, p-value 0.00042" in body
    assert "--overwrite modelmon.io/ack=<alert id>" in body and body.endswith("Notification b-1\n")


def test_a_monitor_without_model_or_status_still_gets_a_message():
    bare = batches.build_batch(batch_id="b", body={"metadata": {"namespace": "n", "name": "m"}},
                               notifications=[REPEAT], now=NOW)
    assert payloads.title(bare) == "[WARNING] modelmon n/m ((model not named)): 1 firing"
    assert "model" not in payloads.alertmanager_alerts(bare, labels={}, expire_after=60, now=NOW)[0]["labels"]
    assert payloads.webhook_body(bare)["health"] is None


def test_every_sink_links_the_last_checks_report_when_it_was_published():
    url = "https://reports.example/credit/reports/date=2023-11-15/001320Z-ab12cd34.html"
    body = {**BODY, "status": {**BODY["status"], "lastCheck": {**BODY["status"]["lastCheck"],
                                                               "history": {"reportURL": url}}}}
    linked = batches.build_batch(batch_id="b-2", body=body, notifications=[FIRING], now=NOW)
    assert linked.report == url
    assert payloads.alertmanager_alerts(linked, labels={}, expire_after=60, now=NOW)[0]["annotations"]["report"] == url
    assert f"<{url}|drift report>" in json.dumps(payloads.slack_message(linked))
    assert payloads.webhook_body(linked)["report"] == url
    assert f"Report:  {url}" in payloads.email_message(linked)[1]
    unlinked = batch(FIRING)
    assert unlinked.report is None and "report" not in payloads.alertmanager_alerts(unlinked, labels={}, expire_after=60, now=NOW)[0]["annotations"]
    assert "drift report" not in json.dumps(payloads.slack_message(unlinked))
