"""The end-to-end tier's cluster: ``real_cluster`` (session).

It builds what the cache lacks -- the control plane, kubelet, kube-proxy and helm from Go
modules, the images from the repository's Dockerfiles (hack/images.py) -- and starts the
control plane with one real node (hack/node.py) whose containerd holds those images. If
anything cannot be built or started the fixture fails, loudly: never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from .e2e_support import Cluster  # first: puts hack/ on sys.path

import control_plane as _control_plane
import images as _images
import node as _node


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        built = _images.build()
        plane = _control_plane.start(tmp_path_factory.mktemp("real-cluster"), real_node=True,
                                     images=[(b.archive, b.reference) for b in built], timeout=180)
    except (_control_plane.ControlPlaneError, _images.ImageError, _node.NodeError) as error:
        pytest.fail(f"the real cluster did not start: {error}", pytrace=False)
    env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig),
           "PATH": f"{_control_plane.bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
           "HELM_CACHE_HOME": str(plane.workdir / "helm" / "cache"),
           "HELM_CONFIG_HOME": str(plane.workdir / "helm" / "config"),
           "HELM_DATA_HOME": str(plane.workdir / "helm" / "data")}
    try:
        yield Cluster(plane=plane, images=built, env=env)
    finally:
        plane.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed step reports what a person would look at: pods, Events, the operator's log."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    cluster = getattr(item, "funcargs", {}).get("real_cluster")
    if report.failed and call.when == "call" and isinstance(cluster, Cluster):
        report.sections.append(("cluster state", cluster.diagnose()))
