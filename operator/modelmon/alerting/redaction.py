"""Scrubbing secrets out of error texts before they reach logs, status or metrics.

Exceptions from HTTP and SMTP libraries quote what they were given: a URL (whose path or
query is the credential for Slack and most webhooks), a host, a server's reply that echoes a
token. Everything a sink read from a Secret is registered here, and every error text passes
through :meth:`Redactor.redact`, which removes those values (also in the forms a server may
echo them in: URL-quoted, base64, JSON-escaped; for a URL, its host, path and query
separately), a secret's fragment where the text was cut off in the middle of it, and, as a
second line of defence, every URL at all.

Order matters: redact the whole text first, shorten it after (:func:`shorten`). Cutting first
can leave 30 characters of a 38-character token that no longer match the registered value.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

REDACTED = "[redacted]"
#: A scheme starts a word and is short: unbounded, a 64 KiB run of letters costs quadratic time.
_URL = re.compile(r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s'\"<>]+")
#: Shorter values would redact ordinary words; no real credential is that short.
_MIN_LENGTH = 4
#: A text that ends inside a secret (a reply read up to a limit) loses the secret's beginning from
#: this many characters on; only for values long enough that the rest stays a secret.
_MIN_FRAGMENT = 4
_MIN_FRAGMENTED_VALUE = 8
#: How much of an error text is kept once redacted (status and log lines stay readable).
DEFAULT_LIMIT = 300


def _encodings(value: str) -> set[str]:
    """The forms a server or library may print ``value`` in."""
    raw = value.encode()
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote(value), urllib.parse.quote_plus(value)}
    for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        forms.update({encoded, encoded.rstrip("=")})
    escaped = json.dumps(value)[1:-1]
    forms.update({escaped, escaped.replace("/", "\\/"), json.dumps(value, ensure_ascii=False)[1:-1]})
    return forms


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        """Register a secret value (and the forms it may show up in)."""
        plain = {value, value.strip()}
        parts = urllib.parse.urlsplit(value.strip())
        if parts.scheme and parts.netloc:
            plain.update({parts.netloc, parts.path, parts.query})
            if parts.hostname:
                plain.add(parts.hostname)
        forms = set().union(*(_encodings(p) for p in plain if p))
        self._values.update(f for f in forms if len(f) >= _MIN_LENGTH and f != "/")

    def add_basic_auth(self, username: str, password: str) -> None:
        self.add(password)
        self.add(f"{username}:{password}")

    def add_sasl_plain(self, username: str, password: str) -> None:
        """SMTP AUTH PLAIN sends base64 of ``\0user\0password``: a server may quote it back."""
        self.add(password)
        self.add(f"\0{username}\0{password}")

    def redact(self, text: str) -> str:
        # Longest first, so a URL is removed whole before its parts are looked for.
        ordered = sorted(self._values, key=len, reverse=True)
        for value in ordered:
            text = text.replace(value, REDACTED)
        text = _URL.sub(REDACTED, text)
        return self._cut_fragments(text, ordered)

    @staticmethod
    def _cut_fragments(text: str, values: list[str]) -> str:
        """A text cut off inside a secret ends with its beginning (or starts with its end)."""
        for value in values:
            if len(value) < _MIN_FRAGMENTED_VALUE:
                continue
            for size in range(min(len(value) - 1, len(text)), _MIN_FRAGMENT - 1, -1):
                if text.endswith(value[:size]):
                    text = text[:-size] + REDACTED
                    break
            for size in range(min(len(value) - 1, len(text)), _MIN_FRAGMENT - 1, -1):
                if text.startswith(value[-size:]):
                    text = REDACTED + text[size:]
                    break
        return text


def shorten(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, never in the middle of a redaction marker.

    Only for a text that is already redacted: cutting a secret first leaves a fragment that no
    longer matches it.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = limit - 1
    marker = text.find(REDACTED, max(0, cut - len(REDACTED) + 1), cut + len(REDACTED) - 1)
    if marker != -1 and marker < cut:
        cut = marker
    return text[:cut].rstrip() + "…"
