"""Slack and generic-webhook sinks against a real HTTP receiver on loopback: the bodies, the
HMAC signature (checked here with hmac/hashlib, not with modelmon's code), headers from
Secrets, and how HTTP answers decide between retrying and giving up."""

from __future__ import annotations

import hashlib
import hmac
import time

from alert_samples import body, notification, ref
from conftest import wait_until
from modelmon.alerting.retries import RetryPolicy


def slack_sink(**fields):
    return {"name": "chat", "slack": {"webhookUrlSecretRef": ref("slack", "url"), **fields}}


def webhook_sink(**fields):
    return {"name": "hook", "minSeverity": "info", "webhook": {"urlSecretRef": ref("hook", "url"), **fields}}


def test_slack_receives_one_readable_message_per_check(dispatcher, receiver, secrets):
    secrets.put("risk", "slack", "url", f"{receiver.url}/services/T0/B0/s3cr3tSlackPath\n")
    dispatcher.submit(body=body(slack_sink(channel="#ml-alerts")),
                      notifications=[notification("income", "critical"), notification("age", "warning"),
                                     notification("tenure", "warning", action="resolved")])
    request = receiver.wait_for(1)[0]
    assert request.path == "/services/T0/B0/s3cr3tSlackPath"
    assert request.headers["Content-Type"] == "application/json"
    message = request.json()
    assert message["channel"] == "#ml-alerts"
    assert message["text"] == "[CRITICAL] modelmon risk/credit (credit-scorer v7): 2 firing, 1 resolved"
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b]
    assert len(sections) == 3
    assert sections[0].startswith(":red_circle: *CRITICAL* drift `income`")
    assert "Scores: psi 0.31, severity 81/100" in sections[0]
    assert sections[2].startswith(":white_check_mark: *RESOLVED* drift `tenure`")
    time.sleep(0.3)
    assert len(receiver.requests) == 1, "one grouped message, not one per alert"


def test_webhook_body_is_signed_with_a_timestamp(dispatcher, receiver, secrets):
    secrets.put("risk", "hook", "url", f"{receiver.url}/modelmon?token=t0k3n-in-query")
    secrets.put("risk", "hook", "hmac", "hmac-key-Zq9")
    secrets.put("risk", "hook", "apikey", "api-key-771")
    sink = webhook_sink(hmacSecretRef=ref("hook", "hmac"),
                        headers=[{"name": "X-Api-Key", "valueSecretRef": ref("hook", "apikey")}])
    before = int(time.time())
    dispatcher.submit(body=body(sink), notifications=[notification("income"), notification("age", "info")])
    request = receiver.wait_for(1)[0]
    assert request.path == "/modelmon?token=t0k3n-in-query"
    assert request.headers["X-Api-Key"] == "api-key-771"
    stamp = request.headers["X-Modelmon-Timestamp"]
    assert before <= int(stamp) <= time.time()
    expected = hmac.new(b"hmac-key-Zq9", stamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Modelmon-Signature"] == f"sha256={expected}"
    document = request.json()
    assert document["version"] == "modelmon.io/v1" and document["kind"] == "AlertNotification"
    assert [a["subject"] for a in document["alerts"]] == ["income", "age"]
    assert document["monitor"] == {"namespace": "risk", "name": "credit", "uid": "0b7c-uid",
                                   "link": document["monitor"]["link"]}
    for secret in ("t0k3n-in-query", "hmac-key-Zq9", "api-key-771"):
        assert secret.encode() not in request.body


def test_an_unsigned_webhook_has_no_signature_headers(dispatcher, receiver, secrets):
    secrets.put("risk", "hook", "url", f"{receiver.url}/plain")
    dispatcher.submit(body=body(webhook_sink()), notifications=[notification()])
    headers = receiver.wait_for(1)[0].headers
    assert "X-Modelmon-Signature" not in headers and "X-Modelmon-Timestamp" not in headers


def test_server_errors_are_retried_and_the_same_notification_arrives(dispatcher, receiver, secrets):
    secrets.put("risk", "hook", "url", f"{receiver.url}/flaky")
    receiver.answers = [(503, 0, "busy"), (500, 0, "oops")]
    dispatcher.submit(body=body(webhook_sink()), notifications=[notification()])
    requests = receiver.wait_for(3)
    ids = {r.json()["id"] for r in requests}
    assert len(ids) == 1, "a retry sends the same notification (receivers deduplicate on its id)"
    state = wait_until(lambda: (s := dispatcher.sink_state("risk", "credit")[0]).get("pending") == 0 and s,
                       what="delivery")
    assert state["lastError"] == "HTTP 500 Internal Server Error: oops" and state["consecutiveFailures"] == 0
    sent = dispatcher.metrics.registry.get_sample_value(
        "modelmon_notifications_sent_total", {"namespace": "risk", "monitor": "credit", "sink": "hook",
                                              "sink_type": "webhook"})
    failed = dispatcher.metrics.registry.get_sample_value(
        "modelmon_notifications_failed_total", {"namespace": "risk", "monitor": "credit", "sink": "hook",
                                                "sink_type": "webhook", "reason": "error"})
    assert (sent, failed) == (1.0, 2.0)


def test_a_refused_body_is_given_up_at_once_and_the_next_goes_through(dispatcher, receiver, secrets):
    secrets.put("risk", "slack", "url", f"{receiver.url}/services/x")
    receiver.answers = [(400, 0, "invalid_blocks")]
    dispatcher.submit(body=body(slack_sink()), notifications=[notification("income")])
    dispatcher.submit(body=body(slack_sink()), notifications=[notification("age")])
    requests = receiver.wait_for(2)
    time.sleep(0.5)
    assert len(receiver.requests) == 2, "the refused message was not sent again"
    assert "`age`" in requests[1].json()["blocks"][2]["text"]["text"]
    rejected = dispatcher.metrics.registry.get_sample_value(
        "modelmon_notifications_failed_total", {"namespace": "risk", "monitor": "credit", "sink": "chat",
                                                "sink_type": "slack", "reason": "rejected"})
    assert rejected == 1.0
    assert dispatcher.sink_state("risk", "credit")[0]["lastError"] == "HTTP 400 Bad Request: invalid_blocks"


def test_https_webhook_verified_against_a_ca_from_a_secret(dispatcher, tls_receiver, certificate, secrets):
    secrets.put("risk", "hook", "url", f"{tls_receiver.url}/secure")
    secrets.put("risk", "hook", "ca", certificate.cert_pem)
    dispatcher.submit(body=body(webhook_sink(tls={"caSecretRef": ref("hook", "ca")})), notifications=[notification()])
    assert tls_receiver.wait_for(1)[0].path == "/secure"


def test_https_with_an_untrusted_certificate_is_not_sent(dispatcher, tls_receiver, secrets):
    secrets.put("risk", "hook", "url", f"{tls_receiver.url}/secure")
    dispatcher.submit(body=body(webhook_sink()), notifications=[notification()])
    state = wait_until(lambda: [s for s in dispatcher.sink_state("risk", "credit") if "lastError" in s],
                       what="a failed attempt")[0]
    assert "CERTIFICATE_VERIFY_FAILED" in state["lastError"] and tls_receiver.requests == []


def test_retry_after_is_honoured(dispatcher_factory, receiver, secrets):
    dispatcher = dispatcher_factory(retry=RetryPolicy(first_delay=0.05, cap=5.0, jitter=0.0, max_age=60))
    secrets.put("risk", "hook", "url", f"{receiver.url}/busy")
    receiver.answers = [(429, 0, "slow down")]
    started = time.monotonic()
    receiver.retry_after = "1"
    dispatcher.submit(body=body(webhook_sink()), notifications=[notification()])
    receiver.wait_for(2)
    assert time.monotonic() - started >= 1.0, "the second attempt waited for Retry-After, not the 0.05 s backoff"


def test_a_secret_that_holds_no_url_is_an_error_without_its_value(dispatcher, secrets):
    secrets.put("risk", "slack", "url", "xoxb-not-a-url-S3CRET")
    dispatcher.submit(body=body(slack_sink()), notifications=[notification()])
    state = wait_until(lambda: [s for s in dispatcher.sink_state("risk", "credit") if "lastError" in s],
                       what="a failed attempt")[0]
    assert state["lastError"] == "Secret risk/slack key 'url' does not hold an http(s) URL"
