"""Scrubbing secrets out of error texts before they reach logs, status or metrics.

Exceptions from HTTP and SMTP libraries quote what they were given: a URL (whose path or
query is the credential for Slack and most webhooks), a host, a server's reply that echoes a
token. Everything a sink read from a Secret is registered here, and every error text passes
through :meth:`Redactor.redact`, which removes those values (also in their URL-quoted and
base64 forms, and, for a URL, its host, path and query separately) and, as a second line of
defence, every URL at all.
"""

from __future__ import annotations

import base64
import re
import urllib.parse

REDACTED = "[redacted]"
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
#: Shorter values would redact ordinary words; no real credential is that short.
_MIN_LENGTH = 4


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        """Register a secret value (and the forms it may show up in)."""
        forms = {value, value.strip(), urllib.parse.quote(value, safe=""), urllib.parse.quote(value)}
        forms.add(base64.b64encode(value.encode()).decode())
        parts = urllib.parse.urlsplit(value.strip())
        if parts.scheme and parts.netloc:
            forms.update({parts.netloc, parts.path, parts.query})
            if parts.hostname:
                forms.add(parts.hostname)
        self._values.update(f for f in forms if len(f) >= _MIN_LENGTH and f != "/")

    def add_basic_auth(self, username: str, password: str) -> None:
        self.add(password)
        self.add(f"{username}:{password}")

    def redact(self, text: str) -> str:
        # Longest first, so a URL is removed whole before its parts are looked for.
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return _URL.sub(REDACTED, text)
