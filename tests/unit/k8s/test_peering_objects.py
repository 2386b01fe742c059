"""The operator creates its peering objects at start: one cluster-wide, or one per watched
namespace; an existing one is kept; missing CRDs are reported with the fix, not a traceback."""

from __future__ import annotations

import logging
from typing import Any

import kubernetes
import pytest

from modelmon.k8s import peering


class FakeCustomObjects:
    def __init__(self, status: int | None = None) -> None:
        self.status, self.created = status, []

    def _create(self, *args: Any) -> None:
        if self.status:
            raise kubernetes.client.ApiException(status=self.status, reason="Nope")
        self.created.append(args)

    def create_cluster_custom_object(self, *args: Any) -> None:
        self._create(*args)

    def create_namespaced_custom_object(self, *args: Any) -> None:
        self._create(*args)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeCustomObjects:
    fake = FakeCustomObjects()
    monkeypatch.setattr(peering.client, "custom_objects", lambda: fake)
    return fake


def test_cluster_wide_one_cluster_kopf_peering(api: FakeCustomObjects) -> None:
    peering.ensure_peering_objects("modelmon", [])
    ((group, version, plural, body),) = api.created
    assert (group, version, plural) == ("kopf.dev", "v1", "clusterkopfpeerings")
    assert body == {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "modelmon"}}


def test_namespaced_one_kopf_peering_per_watched_namespace(api: FakeCustomObjects) -> None:
    peering.ensure_peering_objects("modelmon", ["team-a", "team-b"])
    assert [(a[2], a[3], a[4]["kind"]) for a in api.created] == [
        ("team-a", "kopfpeerings", "KopfPeering"),
        ("team-b", "kopfpeerings", "KopfPeering"),
    ]


def test_an_existing_object_is_kept(api: FakeCustomObjects) -> None:
    api.status = 409
    peering.ensure_peering_objects("modelmon", [])  # no error


def test_missing_crds_say_how_to_install_them(api: FakeCustomObjects, caplog: pytest.LogCaptureFixture) -> None:
    api.status = 404
    with caplog.at_level(logging.ERROR, logger="modelmon.peering"):
        peering.ensure_peering_objects("modelmon", [])
    (record,) = caplog.records
    assert "crds.install=true" in record.getMessage() and record.exc_info is None
