"""A fresh namespace on the real control plane, ready for pods (its default ServiceAccount exists)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import kubernetes

from support.waiting import wait_for


@contextlib.contextmanager
def fresh_namespace(api: kubernetes.client.ApiClient, *, prefix: str) -> Iterator[str]:
    """``PREFIX-xxxxxxxx``, deleted when the block ends."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": name}})
    try:
        wait_for(
            lambda: core.read_namespaced_service_account("default", name), what=f"default ServiceAccount in {name}"
        )
        yield name
    finally:
        core.delete_namespace(name)
