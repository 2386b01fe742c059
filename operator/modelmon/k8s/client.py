"""The Kubernetes API client, configured once: in-cluster, else the kubeconfig.

``use()`` swaps the client for a block (tests run the check job's code as its
ServiceAccount by impersonation this way).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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


def custom_objects() -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(api_client())


def core() -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(api_client())


def batch() -> kubernetes.client.BatchV1Api:
    return kubernetes.client.BatchV1Api(api_client())


def rbac() -> kubernetes.client.RbacAuthorizationV1Api:
    return kubernetes.client.RbacAuthorizationV1Api(api_client())
