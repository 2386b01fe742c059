"""Fixtures of the emulation tier: one emulated API per module, with the ModelMonitor CRD."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelmon.k8s import client
from modelmon_kits.emulation import EmulatedCluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmulatedCluster]:
    with EmulatedCluster(crds=[ROOT / "crds" / "modelmonitors.yaml"]) as emulated:
        yield emulated


@pytest.fixture
def namespace(cluster: EmulatedCluster) -> Iterator[str]:
    """A fresh namespace, with the product's Kubernetes client bound to the emulated API meanwhile."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    cluster.create_namespace(name)
    with client.use(cluster.api_client()):
        yield name
