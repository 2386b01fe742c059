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
