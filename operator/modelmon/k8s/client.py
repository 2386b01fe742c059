"""The Kubernetes API client, configured once: in-cluster, else the kubeconfig.

``use()`` swaps the client for a block in the calling thread only (tests run the check
job's code as its ServiceAccount by impersonation this way, while the operator's threads
keep their own identity).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import kubernetes
from kubernetes.client import ApiClient

_client: ApiClient | None = None
_thread = threading.local()


def api_client() -> ApiClient:
    global _client
    override: ApiClient | None = getattr(_thread, "client", None)
    if override is not None:
        return override
    if _client is None:
        try:
            kubernetes.config.load_incluster_config()
        except kubernetes.config.ConfigException:
            # KUBECONFIG read now, not when the kubernetes package was imported.
            kubernetes.config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
        _client = ApiClient()
    return _client


def configure(replacement: ApiClient) -> None:
    """Use ``replacement`` process-wide (every thread without its own ``use()`` block)."""
    global _client
    _client = replacement


@contextlib.contextmanager
def process_wide(replacement: ApiClient) -> Iterator[None]:
    """``configure(replacement)`` for a block, then restore what was there."""
    global _client
    previous, _client = _client, replacement
    try:
        yield
    finally:
        _client = previous


def reset() -> None:
    """Forget the configured client (the next call loads the configuration again)."""
    global _client
    _client = None


@contextlib.contextmanager
def use(replacement: ApiClient) -> Iterator[None]:
    previous = getattr(_thread, "client", None)
    _thread.client = replacement
    try:
        yield
    finally:
        _thread.client = previous


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


def request_json(method: str, path: str, body: Any = None, *, content_type: str = "application/json") -> Any:
    """One API request with a plain JSON body and answer, through the configured client (its
    host, credentials, impersonation headers and connection pool), raising ``ApiException`` on a
    status outside 2xx as the typed APIs do.

    The typed APIs of the kubernetes client validate every argument with pydantic and convert
    the body to and from its model classes: for a CronJob that cost more CPU than the request
    itself (bench/operator_scale.py, py-spy: a quarter of the operator's CPU at 1,000 monitors
    went to creating the four children). Our manifests are already the JSON the server takes.
    """
    owner = api_client()
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    request = owner.param_serialize(method, path, header_params=headers, body=body, auth_settings=["BearerToken"])
    response = owner.call_api(*request)
    data = response.read()
    if not 200 <= response.status <= 299:
        raise kubernetes.client.ApiException.from_response(
            http_resp=response, body=data.decode("utf-8", errors="replace"), data=None
        )
    return json.loads(data) if data else None
