"""Running the real operator (kopf, in its own thread and loop) against a test API server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import kopf
from kubernetes.client import ApiClient

from modelmon_kits.emulation import operator_thread
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings


class _KubeconfigCluster:
    """What modelmon_kits.emulation's operator runner needs of a cluster, for a real one."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api

    def connection_info(self) -> kopf.ConnectionInfo:
        config = self._api.configuration  # the admin kubeconfig, as the client loaded it
        return kopf.ConnectionInfo(server=config.host, ca_path=config.ssl_ca_cert,
                                   certificate_path=config.cert_file, private_key_path=config.key_file)

    def api_client(self) -> ApiClient:
        return self._api


@contextlib.contextmanager
def running_operator(*, api: ApiClient, settings: OperatorSettings, metrics: OperatorMetrics,
                     **extra: Any) -> Iterator[None]:
    """The same runner the demo and the scale benchmark use, against the real control plane."""
    with operator_thread.running_operator(_KubeconfigCluster(api), settings=settings,
                                          metrics=metrics, **extra):
        yield
