"""The Alertmanager sink against a real Alertmanager (Debian package): alerts posted through
``/api/v2/alerts`` are active with our labels, and a resolution ends them."""

from __future__ import annotations

import datetime

from alert_samples import body, notification
from conftest import wait_until


def sink(url: str, **fields):
    return {"name": "am", "alertmanager": {"url": url, "labels": {"team": "ml"}, **fields}}


def ours(alertmanager, subject: str, **filters: str):
    return [a for a in alertmanager.alerts(**filters)
            if a["labels"].get("monitor") == "credit" and a["labels"].get("subject") == subject]


def test_firing_then_resolved(alertmanager, dispatcher):
    monitor = body(sink(alertmanager.url))
    dispatcher.submit(body=monitor, notifications=[notification("income", "critical"),
                                                   notification("age", "info")])  # below minSeverity: not sent
    alert = wait_until(lambda: ours(alertmanager, "income", active="true"), what="the alert in Alertmanager")[0]
    assert alert["status"]["state"] == "active"
    assert {k: alert["labels"][k] for k in ("alertname", "namespace", "monitor", "model", "type", "severity",
                                            "team")} == {
        "alertname": "ModelmonDrift", "namespace": "risk", "monitor": "credit", "model": "credit-scorer",
        "type": "drift", "severity": "critical", "team": "ml"}
    assert alert["annotations"]["description"] == "feature income drifted (psi 0.31)"
    assert alert["annotations"]["scores"] == "psi 0.31, severity 81/100"
    assert alert["generatorURL"].endswith("/namespaces/risk/modelmonitors/credit")
    ends = datetime.datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
    in_a_day = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=24)
    assert abs((ends - in_a_day).total_seconds()) < 120, "a firing alert ends after expireAfter, not resolve_timeout"
    assert ours(alertmanager, "age") == []
    assert dispatcher.sink_state("risk", "credit")[0]["pending"] == 0

    dispatcher.submit(body=monitor, notifications=[notification("income", "critical", action="resolved")])
    wait_until(lambda: not ours(alertmanager, "income", active="true"), what="the alert to end")
    assert ours(alertmanager, "income") == []
    state = dispatcher.sink_state("risk", "credit")[0]
    assert state["name"] == "am" and state["type"] == "alertmanager" and "lastSuccess" in state
    assert "lastError" not in state


def test_escalation_ends_the_warning_and_fires_the_critical(alertmanager, dispatcher):
    monitor = body(sink(alertmanager.url))
    dispatcher.submit(body=monitor, notifications=[notification("tenure", "warning")])
    wait_until(lambda: ours(alertmanager, "tenure", active="true"), what="the warning")
    dispatcher.submit(body=monitor, notifications=[notification("tenure", "critical", action="escalated")])
    wait_until(lambda: [a["labels"]["severity"] for a in ours(alertmanager, "tenure", active="true")] == ["critical"],
               what="only the critical twin to be active")


def test_an_unreachable_alertmanager_is_retried_until_it_answers(alertmanager, dispatcher_factory, idle_receiver):
    dispatcher = dispatcher_factory()
    dispatcher.submit(body=body(sink(idle_receiver.url)), notifications=[notification("income")])
    state = wait_until(lambda: [s for s in dispatcher.sink_state("risk", "credit") if s.get("consecutiveFailures", 0) >= 2],
                       what="two failed attempts")[0]
    assert state["pending"] == 1 and "Cannot connect" in state["lastError"]
    idle_receiver.start()
    request = idle_receiver.wait_for(1)[0]
    assert request.path == "/api/v2/alerts"
    assert request.json()[0]["labels"]["subject"] == "income"
    wait_until(lambda: dispatcher.sink_state("risk", "credit")[0]["pending"] == 0, what="the queue to empty")


def test_authorization_headers_come_from_secrets(dispatcher, receiver, secrets):
    secrets.put("risk", "am-auth", "token", "tok-abcdef123")
    dispatcher.submit(body=body(sink(receiver.url, bearerTokenSecretRef={"name": "am-auth", "key": "token"})),
                      notifications=[notification()])
    assert receiver.wait_for(1)[0].headers["Authorization"] == "Bearer tok-abcdef123"
    secrets.put("risk", "am-auth", "user", "alice")
    secrets.put("risk", "am-auth", "password", "wonder land")
    basic = {"usernameSecretRef": {"name": "am-auth", "key": "user"},
             "passwordSecretRef": {"name": "am-auth", "key": "password"}}
    dispatcher.submit(body=body(sink(receiver.url, basicAuth=basic)), notifications=[notification()])
    assert receiver.wait_for(2)[1].headers["Authorization"] == "Basic YWxpY2U6d29uZGVyIGxhbmQ="


def test_alertmanager_notifies_its_receivers_of_the_firing_and_the_resolution(alertmanager, dispatcher):
    """End to end: Alertmanager routes what modelmon posted and, once it ends, sends the resolution."""
    monitor = body(sink(alertmanager.url), name="relayed")

    def relayed(status: str):
        return [n for r in alertmanager.relay.requests for n in [r.json()]
                if n["status"] == status and n["commonLabels"].get("monitor") == "relayed"]

    dispatcher.submit(body=monitor, notifications=[notification("income", "critical")])
    firing = wait_until(lambda: relayed("firing"), what="Alertmanager's firing notification")[0]
    assert firing["commonLabels"]["alertname"] == "ModelmonDrift"
    assert firing["alerts"][0]["annotations"]["description"] == "feature income drifted (psi 0.31)"
    dispatcher.submit(body=monitor, notifications=[notification("income", "critical", action="resolved")])
    resolved = wait_until(lambda: relayed("resolved"), what="Alertmanager's resolved notification")[0]
    assert resolved["alerts"][0]["labels"]["subject"] == "income"
