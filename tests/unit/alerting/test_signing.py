"""The webhook signature against an independent HMAC-SHA256 computation, and replay refusal."""

import hashlib
import hmac

from modelmon.alerting import signing

BODY = b'{"version":"modelmon.io/v1","alerts":[]}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.signature(key="s3cret", timestamp=1700000000, body=BODY) == f"sha256={expected}"
    assert signing.headers(key="s3cret", timestamp=1700000000, body=BODY) == {
        "X-Modelmon-Timestamp": "1700000000", "X-Modelmon-Signature": f"sha256={expected}"}


def test_a_known_vector():
    # Computed with openssl: `printf '%s' '1.{}' | openssl dgst -sha256 -hmac key`.
    assert signing.signature(key="key", timestamp=1, body=b"{}") == (
        "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224")


def test_verify_accepts_the_genuine_request_only():
    header = signing.signature(key="k", timestamp=1000, body=BODY)
    assert signing.verify(key="k", timestamp="1000", body=BODY, received=header, now=1100)
    assert not signing.verify(key="k", timestamp="1000", body=BODY + b" ", received=header, now=1100)
    assert not signing.verify(key="other", timestamp="1000", body=BODY, received=header, now=1100)
    assert not signing.verify(key="k", timestamp="1001", body=BODY, received=header, now=1100)


def test_verify_refuses_a_replay_outside_the_window():
    header = signing.signature(key="k", timestamp=1000, body=BODY)
    assert not signing.verify(key="k", timestamp="1000", body=BODY, received=header, now=1000 + 301)
    assert not signing.verify(key="k", timestamp="-5", body=BODY, received=header, now=1000)


def test_the_documented_receiver_snippet_verifies_a_modelmon_signature():
    import re
    import time
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "alerts.md").read_text()
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", docs, flags=re.S) if "def verify" in block)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the documentation's own code, run as a reader would
    now = int(time.time())
    headers = signing.headers(key="k3y", timestamp=now, body=BODY)
    assert namespace["verify"](b"k3y", headers, BODY)
    assert not namespace["verify"](b"k3y", headers, BODY + b"x")
    assert not namespace["verify"](b"k3y", signing.headers(key="k3y", timestamp=now - 3600, body=BODY), BODY)
