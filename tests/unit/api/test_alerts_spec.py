"""spec.alerts: defaults, the policy it maps to, each sink's validation, and that no credential
can be written in plain text. Each bad spec fails with one message naming the field and the fix."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from modelmon.api import alerts, crds, errors
from modelmon.policies.alerts import Policy

REF = {"name": "alert-secrets", "key": "value"}


def problem(raw: dict[str, Any]) -> str:
    with pytest.raises(pydantic.ValidationError) as caught:
        alerts.parse_alerts(raw)
    assert len(caught.value.errors()) == 1, caught.value
    return errors.describe(caught.value, prefix="spec.alerts")


def sink(**fields: Any) -> dict[str, Any]:
    return {"sinks": [{"name": "s", **fields}]}


def test_defaults_map_to_the_policy_defaults():
    spec = alerts.parse_alerts(None)
    assert spec.sinks == []
    assert spec.policy() == Policy()
    assert spec.policy() == Policy(cooldown_seconds=4 * 3600, escalate_after=3, max_notifications_per_hour=20,
                                   max_alerts=50)


def test_policy_fields_are_converted():
    spec = alerts.parse_alerts({"cooldown": "1h30m", "escalateAfter": 5, "maxNotificationsPerHour": 7,
                                "maxAlerts": 9})
    assert spec.policy() == Policy(cooldown_seconds=5400, escalate_after=5, max_notifications_per_hour=7,
                                   max_alerts=9)


def test_a_complete_spec_with_every_sink_parses():
    spec = alerts.parse_alerts({"sinks": [
        {"name": "am", "minSeverity": "info", "alertmanager": {
            "url": "http://alertmanager.monitoring:9093", "labels": {"team": "ml"},
            "basicAuth": {"usernameSecretRef": REF, "passwordSecretRef": REF}}},
        {"name": "chat", "maxNotificationsPerHour": 5, "slack": {"webhookUrlSecretRef": REF, "channel": "#ml"}},
        {"name": "hook", "webhook": {"urlSecretRef": REF, "hmacSecretRef": REF,
                                     "headers": [{"name": "X-Api-Key", "valueSecretRef": REF}]}},
        {"name": "mail", "minSeverity": "critical", "email": {
            "host": "smtp.example.com", "from": "modelmon@example.com", "to": ["oncall@example.com"],
            "usernameSecretRef": REF, "passwordSecretRef": REF}},
    ]})
    assert [s.type for s in spec.sinks] == ["alertmanager", "slack", "webhook", "email"]
    assert [s.min_severity for s in spec.sinks] == ["info", "warning", "warning", "critical"]
    mail = spec.sinks[3].email
    assert mail is not None and mail.from_ == "modelmon@example.com" and mail.port == 587 and mail.starttls
    assert spec.sinks[1].max_notifications_per_hour == 5 and spec.sinks[0].max_notifications_per_hour is None
    assert spec.sinks[0].model_dump(by_alias=True, exclude_none=True)["alertmanager"]["expireAfter"] == "24h"


@pytest.mark.parametrize(("fields", "expected"), [
    pytest.param({"slack": {"webhookUrl": "https://hooks.slack.com/services/T/B/X"}},
                 "spec.alerts.sinks.0.slack: webhookUrl is not accepted in plain text", id="slack-url"),
    pytest.param({"slack": {"url": "https://hooks.slack.com/services/T/B/X"}},
                 "set webhookUrlSecretRef", id="slack-url-short"),
    pytest.param({"webhook": {"url": "https://example.com/hook?token=abc"}},
                 "spec.alerts.sinks.0.webhook: url is not accepted in plain text", id="webhook-url"),
    pytest.param({"webhook": {"urlSecretRef": REF, "hmacSecret": "k"}}, "set hmacSecretRef", id="hmac"),
    pytest.param({"webhook": {"urlSecretRef": REF, "headers": [{"name": "X-Key", "value": "k"}]}},
                 "set valueSecretRef", id="header-value"),
    pytest.param({"email": {"host": "h", "from": "a@b.c", "to": ["d@e.f"], "password": "p"}},
                 "spec.alerts.sinks.0.email: password is not accepted in plain text", id="smtp-password"),
    pytest.param({"alertmanager": {"url": "http://am:9093", "bearerToken": "t"}},
                 "set bearerTokenSecretRef", id="bearer"),
    pytest.param({"alertmanager": {"url": "http://am:9093", "basicAuth": {"usernameSecretRef": REF,
                                                                           "password": "p"}}},
                 "spec.alerts.sinks.0.alertmanager.basicAuth: password is not accepted", id="basic-password"),
])
def test_plain_text_credentials_are_refused_naming_the_secret_ref(fields, expected):
    message = problem(sink(**fields))
    assert expected in message
    assert "Secret" in message


@pytest.mark.parametrize("url", ["https://admin:hunter22@am.example.com:9093", "admin:hunter22@am.example.com:9093",
                                 "http://admin:hunter22@am"])
def test_alertmanager_url_with_credentials_is_refused_without_echoing_them(url):
    message = problem(sink(alertmanager={"url": url}))
    assert message.startswith("spec.alerts.sinks.0.alertmanager.url: the URL carries a user name or password")
    assert "hunter22" not in message and "admin" not in message


@pytest.mark.parametrize(("fields", "expected"), [
    pytest.param({}, "spec.alerts.sinks.0: set exactly one of alertmanager, slack, webhook, email (found none)",
                 id="no-kind"),
    pytest.param({"slack": {"webhookUrlSecretRef": REF}, "webhook": {"urlSecretRef": REF}},
                 "(found slack, webhook)", id="two-kinds"),
    pytest.param({"alertmanager": {"url": "am:9093"}}, "is not an http(s) URL", id="am-scheme"),
    pytest.param({"alertmanager": {"url": "http://am:9093/?x=1"}}, "without a query", id="am-query"),
    pytest.param({"alertmanager": {"url": "http://am", "labels": {"bad-label": "x"}}},
                 "'bad-label' is not a Prometheus label name", id="label-name"),
    pytest.param({"alertmanager": {"url": "http://am", "labels": {"severity": "x"}}},
                 "'severity' is set by modelmon", id="reserved-label"),
    pytest.param({"alertmanager": {"url": "http://am", "bearerTokenSecretRef": REF,
                                   "basicAuth": {"usernameSecretRef": REF, "passwordSecretRef": REF}}},
                 "at most one of bearerTokenSecretRef and basicAuth", id="two-auths"),
    pytest.param({"webhook": {"urlSecretRef": REF, "headers": [{"name": "X-Modelmon-Signature",
                                                                "valueSecretRef": REF}]}},
                 "is set by modelmon itself", id="reserved-header"),
    pytest.param({"webhook": {"urlSecretRef": REF, "headers": [{"name": "X-A", "valueSecretRef": REF},
                                                               {"name": "x-a", "valueSecretRef": REF}]}},
                 "headers listed twice: x-a", id="header-twice"),
    pytest.param({"email": {"host": "h", "from": "nobody", "to": ["d@e.f"]}}, "'nobody' is not an email address",
                 id="from"),
    pytest.param({"email": {"host": "h", "from": "a@b.c", "to": []}}, "at least 1 item", id="no-recipient"),
    pytest.param({"email": {"host": "h", "from": "a@b.c", "to": ["d@e.f"], "usernameSecretRef": REF}},
                 "set both usernameSecretRef and passwordSecretRef", id="half-auth"),
    pytest.param({"email": {"host": "h", "from": "a@b.c", "to": ["d@e.f"], "starttls": False,
                            "usernameSecretRef": REF, "passwordSecretRef": REF}},
                 "SMTP AUTH needs starttls: true", id="auth-without-tls"),
    pytest.param({"slack": {"webhookUrlSecretRef": {"name": "Bad_Name", "key": "k"}}},
                 "spec.alerts.sinks.0.slack.webhookUrlSecretRef.name", id="secret-name"),
    pytest.param({"minSeverity": "page", "slack": {"webhookUrlSecretRef": REF}},
                 "spec.alerts.sinks.0.minSeverity", id="severity"),
    pytest.param({"slack": {"webhookUrlSecretRef": REF, "chanel": "#x"}},
                 "spec.alerts.sinks.0.slack.chanel: unknown field", id="misspelled"),
])
def test_invalid_sinks_say_what_to_fix(fields, expected):
    assert expected in problem(sink(**fields))


def test_sink_names_are_unique_and_dns_labels():
    twice = {"sinks": [{"name": "a", "slack": {"webhookUrlSecretRef": REF}},
                       {"name": "a", "webhook": {"urlSecretRef": REF}}]}
    assert problem(twice) == "spec.alerts.sinks: sink names must be unique; listed twice: a"
    assert problem({"sinks": [{"name": "On Call", "slack": {"webhookUrlSecretRef": REF}}]}).startswith(
        "spec.alerts.sinks.0.name:")


def test_alertmanager_expiry_must_outlast_the_cooldown():
    message = problem({"cooldown": "6h", "sinks": [{"name": "am", "alertmanager": {"url": "http://am",
                                                                                    "expireAfter": "2h"}}]})
    assert "sinks[am].alertmanager.expireAfter (2h) must be longer than cooldown (6h)" in message


def test_durations_are_checked():
    assert "is not a duration" in problem({"cooldown": "4 hours"})


def test_the_spec_has_a_structural_crd_schema_with_descriptions():
    resource = crds.CustomResource(group="example.io", version="v1", kind="Probe", plural="probes",
                                   singular="probe", description="test", spec=alerts.AlertsSpec)
    schema = crds.build_crd(resource)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    sink_schema = schema["properties"]["sinks"]["items"]
    assert set(sink_schema["properties"]) == {"name", "minSeverity", "maxNotificationsPerHour", "alertmanager",
                                              "slack", "webhook", "email"}
    email = sink_schema["properties"]["email"]["properties"]
    assert "from" in email and "passwordSecretRef" in email and "password" not in email
    assert schema["properties"]["cooldown"]["default"] == "4h"
    assert sink_schema["properties"]["slack"]["properties"]["webhookUrlSecretRef"]["description"]
