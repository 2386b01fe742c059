"""Fixtures shared by every test tier; helpers (polling, ports, CRDs, monitors) are in tests/support.

``control_plane`` builds the real control plane's binaries if the cache lacks them, starts
etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback, and
yields the running ``ControlPlane`` (``.kubeconfig``: admin kubeconfig path, ``.server``:
https URL). If it cannot be built or started the fixture errors, loudly: a missing dependency
is a failure in CI, never a skip. Every test that uses it, directly or through another
fixture, is marked ``cluster`` (``pytest -m "not cluster"`` runs the rest).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HACK = Path(__file__).resolve().parents[1] / "hack"
if str(HACK) not in sys.path:
    sys.path.insert(0, str(HACK))

import control_plane as _control_plane  # noqa: E402 - hack/ is tooling, not a package


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_control_plane.ControlPlane]:
    workdir = tmp_path_factory.mktemp("control-plane")
    try:
        plane = _control_plane.start(workdir)
    except _control_plane.ControlPlaneError as error:
        pytest.fail(f"the real control plane did not start: {error}", pytrace=False)
    try:
        yield plane
    finally:
        plane.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "control_plane" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)
