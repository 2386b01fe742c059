"""The Kubernetes API client, configured once: in-cluster, else the kubeconfig.

``use()`` swaps the client for a block (tests run the check job's code as its
ServiceAccount by impersonation this way).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import kubernetes
from kubernetes.client import ApiClient

_client: ApiClient | None = None


def api_client() -> ApiClient:
    global _client
    if _client is None:
        try:
            kubernetes.config.load_incluster_config()
        except kubernetes.config.ConfigException:
            kubernetes.config.load_kube_config()
        _client = ApiClient()
    return _client


def reset() -> None:
    """Forget the configured client (the next call loads the configuration again)."""
    global _client
    _client = None


@contextlib.contextmanager
def use(replacement: ApiClient) -> Iterator[None]:
    global _client
    previous, _client = _client, replacement
    try:
        yield
    finally:
        _client = previous


_typed: dict[tuple[int, str], Any] = {}


def _typed_api(kind: Any) -> Any:
    """Typed API objects are cached per client: building one per call cost ~10% of the
    operator's CPU at 1,000 monitors (bench/operator_scale.py)."""
    owner = api_client()
    key = (id(owner), kind.__name__)
    cached = _typed.get(key)
    if cached is None or cached.api_client is not owner:
        cached = _typed[key] = kind(owner)
    return cached


def custom_objects() -> kubernetes.client.CustomObjectsApi:
    return _typed_api(kubernetes.client.CustomObjectsApi)


def core() -> kubernetes.client.CoreV1Api:
    return _typed_api(kubernetes.client.CoreV1Api)


def batch() -> kubernetes.client.BatchV1Api:
    return _typed_api(kubernetes.client.BatchV1Api)


def rbac() -> kubernetes.client.RbacAuthorizationV1Api:
    return _typed_api(kubernetes.client.RbacAuthorizationV1Api)
