"""apply_child sends its manifests as plain JSON (no typed models) and keeps its contract:
create, leave an equal child alone, patch one that differs, and raise the API's error with
its status (the reconciler classifies it), all through the calling thread's client."""

from __future__ import annotations

import kubernetes
import pytest

from modelmon.api import monitor as api
from modelmon.k8s import apply, client
from modelmon.manifests import checkjob
from modelmon_kits.emulation import EmulatedCluster
from support.monitors import monitor_body

SPEC = monitor_body("credit")["spec"]


def children(namespace: str, **spec: object) -> list[dict]:
    parsed = api.parse_spec({**SPEC, **spec})
    return checkjob.build_children(monitor="credit", namespace=namespace, uid="u-1", spec=parsed, image="modelmon:t")


def test_created_then_unchanged_then_patched(namespace: str) -> None:
    assert [apply.apply_child(m) for m in children(namespace)] == ["created"] * 4
    assert [apply.apply_child(m) for m in children(namespace)] == ["unchanged"] * 4

    changed = children(namespace, schedule="*/5 * * * *")
    assert [apply.apply_child(m) for m in changed] == ["unchanged", "unchanged", "unchanged", "patched"]
    cronjob = changed[-1]
    live = client.batch().read_namespaced_cron_job(cronjob["metadata"]["name"], namespace)
    assert live.spec.schedule == "*/5 * * * *"
    assert live.metadata.labels[checkjob.LABEL_MONITOR] == "credit"
    assert live.metadata.owner_references[0].uid == "u-1"


def test_a_deleted_child_is_created_again(namespace: str) -> None:
    manifests = children(namespace)
    for manifest in manifests:
        apply.apply_child(manifest)
    client.batch().delete_namespaced_cron_job(manifests[-1]["metadata"]["name"], namespace)
    assert apply.apply_child(manifests[-1]) == "created"


def test_an_api_error_keeps_its_status(cluster: EmulatedCluster) -> None:
    with client.use(cluster.api_client()), pytest.raises(kubernetes.client.ApiException) as raised:
        apply.apply_child(children("no-such-namespace")[0])
    assert raised.value.status == 404
    assert "no-such-namespace" in raised.value.body
