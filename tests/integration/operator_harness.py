"""Running the real operator (kopf, in its own thread and loop) against a test API server."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import kopf
from kubernetes.client import ApiClient

from modelmon_kits.emulation import operator_thread
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

T = TypeVar("T")


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


def wait_for(probe: Callable[[], T | None], *, timeout: float = 60.0, interval: float = 0.25,
             what: str = "condition") -> T:
    """Poll until ``probe`` returns something truthy; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except Exception as error:  # the object may not exist yet
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")


def install_crd(kubeconfig: Any, path: Any, name: str) -> None:
    """``kubectl apply`` a committed CRD and wait until the API server serves it.

    Polls the CRD's Established condition through the API (a just-created object may not be
    visible to a ``kubectl wait`` yet), and fails with kubectl's own words if apply fails.
    """
    import subprocess

    import kubernetes

    applied = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "apply", "-f", str(path)],
                             capture_output=True, text=True)
    assert applied.returncode == 0, f"kubectl apply -f {path} failed: {applied.stdout}{applied.stderr}"
    extensions = kubernetes.client.ApiextensionsV1Api(
        kubernetes.config.new_client_from_config(config_file=str(kubeconfig)))

    def established() -> bool:
        crd = extensions.read_custom_resource_definition(name)
        return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])

    wait_for(established, timeout=90, what=f"CRD {name} Established")
