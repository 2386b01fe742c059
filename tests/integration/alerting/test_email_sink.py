"""The email sink against a real SMTP server (aiosmtpd): plain relay, STARTTLS with the server's
certificate verified through caSecretRef, AUTH, and what a wrong password or a server without
STARTTLS leads to."""

from __future__ import annotations

import email
import email.policy

from alert_samples import body, notification, ref
from conftest import SMTP_PASSWORD, SMTP_USER, wait_until


def mail_sink(server, **fields):
    return {"name": "mail", "email": {"host": server.host, "port": server.port, "from": "modelmon@example.com",
                                      "to": ["oncall@example.com", "ml@example.com"], **fields}}


def parsed(raw: str) -> email.message.EmailMessage:
    return email.message_from_string(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_a_relay_without_tls_receives_subject_and_body(dispatcher, smtp_plain):
    dispatcher.submit(body=body(mail_sink(smtp_plain, starttls=False)),
                      notifications=[notification("income"), notification("age", "warning", action="resolved")])
    received = wait_until(lambda: smtp_plain.mailbox.messages, what="the email")[0]
    assert received["from"] == "modelmon@example.com"
    assert received["to"] == ["oncall@example.com", "ml@example.com"]
    message = parsed(received["data"])
    assert message["Subject"] == "[CRITICAL] modelmon risk/credit (credit-scorer v7): 1 firing, 1 resolved"
    text = message.get_content()
    assert "* CRITICAL drift income (firing)" in text and "* RESOLVED drift age (resolved)" in text
    assert "Scores: psi 0.31, severity 81/100" in text
    assert message["Message-ID"].endswith("@modelmon.io>")


def test_starttls_verified_against_the_ca_from_a_secret_and_auth(dispatcher, smtp_tls, certificate, secrets):
    secrets.put("risk", "smtp", "ca.crt", certificate.cert_pem)
    secrets.put("risk", "smtp", "username", SMTP_USER)
    secrets.put("risk", "smtp", "password", SMTP_PASSWORD)
    sink = mail_sink(smtp_tls, tls={"caSecretRef": ref("smtp", "ca.crt")},
                     usernameSecretRef=ref("smtp", "username"), passwordSecretRef=ref("smtp", "password"))
    dispatcher.submit(body=body(sink), notifications=[notification()])
    received = wait_until(lambda: smtp_tls.mailbox.messages, what="the email over STARTTLS")[0]
    assert received["tls"] is True
    assert parsed(received["data"])["Subject"].startswith("[CRITICAL] modelmon risk/credit")


def test_an_untrusted_certificate_is_refused(dispatcher, smtp_tls, secrets):
    secrets.put("risk", "smtp", "username", SMTP_USER)
    secrets.put("risk", "smtp", "password", SMTP_PASSWORD)
    sink = mail_sink(smtp_tls, usernameSecretRef=ref("smtp", "username"), passwordSecretRef=ref("smtp", "password"))
    dispatcher.submit(body=body(sink), notifications=[notification()])
    state = wait_until(lambda: [s for s in dispatcher.sink_state("risk", "credit") if "lastError" in s],
                       what="a failed attempt")[0]
    assert "CERTIFICATE_VERIFY_FAILED" in state["lastError"] and state["pending"] == 1
    assert smtp_tls.mailbox.messages == []


def test_a_wrong_password_is_recorded_redacted_and_retried_until_the_secret_is_fixed(dispatcher, smtp_tls,
                                                                                     certificate, secrets, caplog):
    caplog.set_level("DEBUG")
    secrets.put("risk", "smtp", "ca.crt", certificate.cert_pem)
    secrets.put("risk", "smtp", "username", SMTP_USER)
    secrets.put("risk", "smtp", "password", "Wr0ng-Passw0rd")
    sink = mail_sink(smtp_tls, tls={"caSecretRef": ref("smtp", "ca.crt")},
                     usernameSecretRef=ref("smtp", "username"), passwordSecretRef=ref("smtp", "password"))
    dispatcher.submit(body=body(sink), notifications=[notification()])
    state = wait_until(lambda: [s for s in dispatcher.sink_state("risk", "credit") if s.get("consecutiveFailures")],
                       what="a failed login")[0]
    assert state["lastError"].startswith("SMTPAuthenticationError: (535")
    secrets.put("risk", "smtp", "password", SMTP_PASSWORD)
    wait_until(lambda: smtp_tls.mailbox.messages, what="delivery after the Secret was fixed")
    assert "Wr0ng-Passw0rd" not in caplog.text and SMTP_PASSWORD not in caplog.text
    assert "Wr0ng-Passw0rd" not in str(dispatcher.sink_state("risk", "credit"))


def test_a_server_without_starttls_gets_nothing_when_starttls_is_required(dispatcher, smtp_plain):
    dispatcher.submit(body=body(mail_sink(smtp_plain)), notifications=[notification()])
    state = wait_until(lambda: [s for s in dispatcher.sink_state("risk", "credit") if "lastError" in s],
                       what="a failed attempt")[0]
    assert state["lastError"].startswith("the SMTP server does not offer STARTTLS")
    assert smtp_plain.mailbox.messages == []
