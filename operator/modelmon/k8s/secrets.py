"""Reading one key of a Secret for the alert sinks (``alerting.delivery.Dispatcher``'s ``read_secret``).

Values are read when a notification is sent, never cached or logged: a rotated token takes
effect at the next attempt, and the operator holds no copy of credentials between sends.
Errors name the Secret and the key, and never the value. The operator needs ``get`` on each
Secret a sink names: the chart grants it per Secret (``rbac.secrets``, and the default sinks'
Secrets on its own), not on every Secret.
"""

from __future__ import annotations

import base64
import binascii

import kubernetes

from modelmon.k8s import client

#: Seconds; the client waits forever by default, and a hung read would stall a sink's queue.
REQUEST_TIMEOUT = 10


class SecretError(Exception):
    """A Secret or key that cannot be read; the message says which and why, never the value."""


def read_secret(namespace: str, name: str, key: str) -> str:
    """The UTF-8 value of ``key`` in Secret ``namespace/name``."""
    try:
        secret = client.core().read_namespaced_secret(name, namespace, _request_timeout=REQUEST_TIMEOUT)
    except kubernetes.client.ApiException as error:
        if error.status == 404:
            raise SecretError(f"Secret {namespace}/{name} does not exist") from None
        if error.status == 403:
            # The chart grants get only on the Secrets it is told of (docs/helm.md, "Secrets").
            raise SecretError(f"the operator may not read Secret {namespace}/{name}: list it in the chart's rbac.secrets "
                              f"(namespace {namespace}, names [{name}]) or bind a Role granting get on it") from None
        raise SecretError(f"reading Secret {namespace}/{name} failed: HTTP {error.status} {error.reason}") from None
    data = secret.data or {}
    if key not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise SecretError(f"Secret {namespace}/{name} has no key {key!r} (keys: {keys})")
    try:
        return base64.b64decode(data[key], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SecretError(f"Secret {namespace}/{name} key {key!r} is not UTF-8 text") from None
