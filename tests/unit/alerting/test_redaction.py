"""Error texts lose every registered secret value, in the forms libraries print them, and every URL."""

import base64
import urllib.parse

from modelmon.alerting.redaction import REDACTED, Redactor

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"


def test_a_secret_url_goes_whole_and_in_parts():
    redactor = Redactor()
    redactor.add(SLACK)
    for leak in (f"POST {SLACK} failed", "Cannot connect to host hooks.slack.com:443 ssl:default",
                 "path /services/T000/B000/XXXXsecretXXXX not found",
                 f"quoted {urllib.parse.quote(SLACK, safe='')}"):
        text = redactor.redact(leak)
        assert "XXXXsecretXXXX" not in text and "hooks.slack.com" not in text and REDACTED in text, text


def test_tokens_passwords_and_basic_auth_forms():
    redactor = Redactor()
    redactor.add("tok-123456")
    redactor.add_basic_auth("alice", "pa ss/word")
    basic = base64.b64encode(b"alice:pa ss/word").decode()
    text = redactor.redact(f"Bearer tok-123456; Basic {basic}; 535 auth failed for pa ss/word or pa%20ss%2Fword")
    assert "tok-123456" not in text and basic not in text and "pa ss/word" not in text and "pa%20ss%2Fword" not in text
    assert text.startswith("Bearer [redacted]; Basic [redacted]")


def test_any_url_is_scrubbed_even_if_never_registered():
    assert Redactor().redact("redirected to https://user:pw@example.com/x?token=1 (302)") == (
        "redirected to [redacted] (302)")


def test_short_values_do_not_wipe_ordinary_text():
    redactor = Redactor()
    redactor.add("a")
    redactor.add("")
    assert redactor.redact("a connection was refused") == "a connection was refused"


def test_redacted_then_shortened_never_leaves_a_piece_of_the_secret_wherever_the_cut_falls():
    """The attack run's leak: a reply cut to 300 characters before redaction kept 30 of 38 characters
    of a token. Every cut position through the echoed token is tried here."""
    from modelmon.alerting.redaction import shorten

    token = "am-T0ken-4f9c2e7b1d8a6035e1c9b7d2a4f6"
    redactor = Redactor()
    redactor.add(token)
    for pad in range(250, 300):
        text = shorten(redactor.redact("x" * pad + f"Bearer {token} was refused"))
        assert len(text) <= 300
        assert not any(token[i:i + 6] in text for i in range(len(token) - 5)), (pad, text)


def test_a_text_cut_inside_a_secret_loses_the_fragment():
    """A reply read up to a limit may end (or a quoted excerpt begin) in the middle of a secret."""
    token = "am-T0ken-4f9c2e7b1d8a6035e1c9b7d2a4f6"
    redactor = Redactor()
    redactor.add(token)
    assert redactor.redact(f"denied: Bearer {token[:30]}") == "denied: Bearer [redacted]"
    assert redactor.redact(f"{token[-12:]} was refused") == "[redacted] was refused"


def test_encoded_forms_a_server_may_echo():
    secret = "https://hooks.example.com/services/T0/B0/s3cr3t+path="
    redactor = Redactor()
    redactor.add(secret)
    for echoed in (urllib.parse.quote_plus(secret), base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="),
                   secret.replace("/", "\\/")):
        assert redactor.redact(f"echo: {echoed}") == f"echo: {REDACTED}", echoed


def test_a_long_reply_is_redacted_in_linear_time():
    import time

    started = time.monotonic()
    Redactor().redact("x" * 65536)
    assert time.monotonic() - started < 1.0
