"""Fixtures of the control-plane tests (the control plane itself is tests/conftest.py's).

``kube``: the admin client, shared with the operator's threads, with the ModelMonitor CRD
installed from crds/, or every CRD as the models generate it when the module sets
``GENERATED_CRDS = True``. ``exporter``, ``prometheus``: a metrics exporter and a real
Prometheus scraping it, for rollout analyses (rollout_servers.py).
``metrics``, ``operator``: the real operator for the module. ``namespace``: a fresh one per
test whose default ServiceAccount exists, deleted afterwards; its name starts with the
module's ``NAMESPACE_PREFIX`` (``t`` if it sets none).
"""

from __future__ import annotations

import os
from pathlib import Path

import kubernetes
import pytest

from modelmon.k8s import client as k8s_client
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings
from operator_harness import running_operator
from rollout_servers import Exporter, running_prometheus
from support.crds import install_crd, install_generated_crds
from support.namespaces import fresh_namespace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kube(control_plane, request):
    os.environ["KUBECONFIG"] = str(control_plane.kubeconfig)
    k8s_client.reset()
    kubernetes.config.load_kube_config(config_file=str(control_plane.kubeconfig))
    api = kubernetes.client.ApiClient()
    k8s_client.configure(api)  # the operator's threads and the test's share the admin client
    with k8s_client.use(api):
        if getattr(request.module, "GENERATED_CRDS", False):
            install_generated_crds(control_plane.kubeconfig)
        else:
            install_crd(control_plane.kubeconfig, ROOT / "crds" / "modelmonitors.yaml", "modelmonitors.modelmon.io")
        yield api


@pytest.fixture(scope="module")
def exporter():
    server = Exporter()
    yield server
    server.close()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, exporter):
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), exporter) as server:
        yield server


@pytest.fixture(scope="module")
def metrics():
    return OperatorMetrics()


@pytest.fixture(scope="module")
def operator(kube, metrics):
    with running_operator(api=kube, settings=OperatorSettings(check_image="modelmon:test"), metrics=metrics):
        yield


@pytest.fixture
def namespace(kube, request):
    with fresh_namespace(kube, prefix=getattr(request.module, "NAMESPACE_PREFIX", "t")) as name:
        yield name
