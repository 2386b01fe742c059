"""Whether a text shows any part of a credential, in the forms a server may echo it back."""

from __future__ import annotations

import base64
import json
import urllib.parse


def forms(text: str) -> list[str]:
    """``text`` plain, URL-quoted, base64 and JSON-escaped."""
    raw = text.encode()
    return [text, urllib.parse.quote(text, safe=""), base64.b64encode(raw).decode(), json.dumps(text)[1:-1]]


def assert_no_leak(text: str, credentials: list[str], where: str) -> None:
    """Neither a credential nor any 8 consecutive characters of one, in any of its encoded forms."""
    for credential in credentials:
        for form in forms(credential):
            pieces = {form[i : i + 8] for i in range(len(form) - 7)}
            leaked = sorted(p for p in pieces if p in text)
            assert not leaked, f"{where} leaks {leaked[:3]} of a credential: {text!r}"
