"""Which API errors are worth retrying, in one place for every controller.

Temporary: a conflict (409: someone wrote first; the next read decides again), throttling
(429), the server's own failures (5xx), and no answer at all (status 0 or none: the
connection broke). Everything else (400, 403, 404, 422, ...) will fail the same way again.
"""

from __future__ import annotations

import json

import kubernetes


def is_temporary(error: kubernetes.client.ApiException) -> bool:
    return error.status in (409, 429) or (error.status or 0) >= 500 or not error.status


def is_missing(error: kubernetes.client.ApiException) -> bool:
    return error.status == 404


def api_message(error: kubernetes.client.ApiException) -> str:
    """The API server's own explanation (its Status ``message``, which names the field, e.g.
    ``metadata.labels: Invalid value: ...: must be no more than 63 characters``), else the HTTP
    status and reason. "422 Unprocessable Entity" alone tells the user nothing to fix."""
    status = f"{error.status} {error.reason}".strip()
    try:
        body = json.loads(error.body or "{}")
    except (TypeError, ValueError):
        return status
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        return status
    return f"{' '.join(message.split())} ({status})"
