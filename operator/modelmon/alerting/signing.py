"""The generic webhook's signature: HMAC-SHA256 over the timestamp and the body.

The signed material is ``<timestamp>.<body>`` (the decimal Unix time in seconds, a dot, the
body's exact bytes). Signing the timestamp with the body lets a receiver refuse replays: it
recomputes the MAC and also rejects timestamps too far from its clock (5 minutes is usual).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Modelmon-Signature"
TIMESTAMP_HEADER = "X-Modelmon-Timestamp"


def signed_material(*, timestamp: int, body: bytes) -> bytes:
    return str(timestamp).encode() + b"." + body


def signature(*, key: str, timestamp: int, body: bytes) -> str:
    """The header value: ``sha256=<hex digest>``."""
    digest = hmac.new(key.encode(), signed_material(timestamp=timestamp, body=body), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(*, key: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(key=key, timestamp=timestamp, body=body)}


def verify(*, key: str, timestamp: str, body: bytes, received: str, now: float, tolerance: float = 300.0) -> bool:
    """What a receiver does (documented in docs/alerts.md; the tests use their own check)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = signature(key=key, timestamp=int(timestamp), body=body)
    return hmac.compare_digest(expected, received)
