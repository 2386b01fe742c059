"""The emulated API behaves like kube-apiserver where the operator depends on it.

The emulator runs in its own thread, so these are plain synchronous tests with the
official ``kubernetes`` client; the last one runs the real operator against it.
"""

from __future__ import annotations

import functools
import json
import threading
import urllib.error
import urllib.request
import uuid
from typing import Any

import kubernetes
import pytest
from kubernetes.client import ApiException

from modelmon_kits.emulation import running_operator
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings
from support import waiting

wait_for = functools.partial(waiting.wait_for, timeout=30.0, interval=0.1)  # the emulator answers at once

GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.api_client()


@pytest.fixture
def namespace(cluster):
    name = f"t-{uuid.uuid4().hex[:8]}"
    cluster.create_namespace(name)
    return name


def monitor_body(name: str, **spec: Any) -> dict[str, Any]:
    base = {"model": {"name": "credit", "version": "1"}, "schedule": "*/30 * * * *",
            "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
            "current": {"configMapKeyRef": {"name": "credit-data", "key": "current.csv"}}}
    base.update(spec)
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": name}, "spec": base}


def custom(api):
    return kubernetes.client.CustomObjectsApi(api)


def create_monitor(api, namespace, body):
    return custom(api).create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)


def get_monitor(api, namespace, name):
    return custom(api).get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)


def patch_monitor(api, namespace, name, patch):
    return custom(api).patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name, patch)


def patch_status(api, namespace, name, patch):
    return custom(api).patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, name, patch)


def json_patch(api, path, ops):
    """A JSON patch as kopf sends it (the generated client picks merge-patch for custom objects)."""
    request = urllib.request.Request(f"{api.configuration.host}{path}", data=json.dumps(ops).encode(), method="PATCH",
                                     headers={"Content-Type": "application/json-patch+json"})
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return {"code": error.code, **json.load(error)}


# --- server-owned metadata ----------------------------------------------------------------

def test_create_sets_uid_creation_timestamp_generation_and_resource_version(api, namespace):
    created = create_monitor(api, namespace, monitor_body("m1"))
    meta = created["metadata"]
    assert uuid.UUID(meta["uid"])
    assert meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1
    assert meta["resourceVersion"]
    assert get_monitor(api, namespace, "m1")["metadata"] == meta


def test_every_write_gets_a_fresh_resource_version_and_no_op_writes_none(api, namespace):
    seen = {create_monitor(api, namespace, monitor_body("m1"))["metadata"]["resourceVersion"]}
    for value in ("a", "b", "c"):
        seen.add(patch_monitor(api, namespace, "m1", {"metadata": {"labels": {"x": value}}})["metadata"]["resourceVersion"])
    seen.add(patch_status(api, namespace, "m1", {"status": {"health": "Healthy"}})["metadata"]["resourceVersion"])
    assert len(seen) == 5
    again = patch_monitor(api, namespace, "m1", {"metadata": {"labels": {"x": "c"}}})
    assert again["metadata"]["resourceVersion"] in seen  # nothing changed, nothing written


def test_generate_name(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    first = core.create_namespaced_config_map(namespace, {"metadata": {"generateName": "data-"}})
    second = core.create_namespaced_config_map(namespace, {"metadata": {"generateName": "data-"}})
    assert first.metadata.name.startswith("data-") and len(first.metadata.name) == len("data-") + 5
    assert first.metadata.name != second.metadata.name
    assert core.read_namespaced_config_map(first.metadata.name, namespace).metadata.uid == first.metadata.uid


def test_creating_twice_is_409_already_exists(api, namespace):
    create_monitor(api, namespace, monitor_body("m1"))
    with pytest.raises(ApiException) as caught:
        create_monitor(api, namespace, monitor_body("m1"))
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["reason"] == "AlreadyExists"


# --- generation ------------------------------------------------------------------------------

def test_generation_bumps_on_spec_changes_only(api, namespace):
    create_monitor(api, namespace, monitor_body("m1"))
    assert patch_monitor(api, namespace, "m1", {"spec": {"schedule": "0 * * * *"}})["metadata"]["generation"] == 2
    assert patch_monitor(api, namespace, "m1", {"metadata": {"annotations": {"a": "b"}}})["metadata"]["generation"] == 2
    assert patch_status(api, namespace, "m1", {"status": {"health": "Warning"}})["metadata"]["generation"] == 2
    assert patch_monitor(api, namespace, "m1", {"spec": {"schedule": "0 * * * *"}})["metadata"]["generation"] == 2
    assert patch_monitor(api, namespace, "m1", {"spec": {"suspend": True}})["metadata"]["generation"] == 3


# --- status subresource ---------------------------------------------------------------------

def test_status_through_the_main_endpoint_is_dropped(api, namespace):
    body = monitor_body("m1")
    body["status"] = {"health": "Critical"}
    assert "status" not in create_monitor(api, namespace, body)
    patched = patch_monitor(api, namespace, "m1", {"status": {"health": "Critical"}, "metadata": {"labels": {"a": "b"}}})
    assert "status" not in patched and patched["metadata"]["labels"] == {"a": "b"}
    patch_status(api, namespace, "m1", {"status": {"health": "Healthy"}})
    patch_monitor(api, namespace, "m1", {"status": {"health": "Critical"}})
    assert get_monitor(api, namespace, "m1")["status"] == {"health": "Healthy"}


def test_spec_and_metadata_through_status_are_dropped(api, namespace):
    create_monitor(api, namespace, monitor_body("m1"))
    patched = patch_status(api, namespace, "m1", {"status": {"health": "Healthy"},
                                                  "spec": {"schedule": "1 1 * * *"},
                                                  "metadata": {"labels": {"sneaky": "yes"}}})
    assert patched["status"] == {"health": "Healthy"}
    live = get_monitor(api, namespace, "m1")
    assert live["spec"]["schedule"] == "*/30 * * * *"
    assert "labels" not in live["metadata"]
    assert live["metadata"]["generation"] == 1


def test_json_patch_on_status_with_a_resource_version_test(api, namespace):
    """kopf writes status this way: a JSON patch to /status guarded by a resourceVersion test."""
    created = create_monitor(api, namespace, monitor_body("m1"))
    rv = created["metadata"]["resourceVersion"]
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
           {"op": "add", "path": "/status", "value": {"health": "Unknown"}}]
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}/m1/status"
    assert json_patch(api, path, ops)["status"] == {"health": "Unknown"}
    stale = json_patch(api, path, ops)  # the same test again: the version is stale now
    assert stale["code"] == 422 and stale["reason"] == "Invalid"


# --- optimistic concurrency ---------------------------------------------------------------------

def test_stale_resource_version_in_a_patch_or_replace_is_409(api, namespace):
    created = create_monitor(api, namespace, monitor_body("m1"))
    stale = created["metadata"]["resourceVersion"]
    fresh = patch_monitor(api, namespace, "m1", {"spec": {"suspend": True}})
    with pytest.raises(ApiException) as caught:
        patch_monitor(api, namespace, "m1", {"metadata": {"resourceVersion": stale}, "spec": {"suspend": False}})
    assert caught.value.status == 409
    with pytest.raises(ApiException) as caught:
        custom(api).replace_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1", created)
    assert caught.value.status == 409
    current = dict(fresh, spec=dict(fresh["spec"], suspend=False))
    replaced = custom(api).replace_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1", current)
    assert replaced["spec"]["suspend"] is False and replaced["metadata"]["generation"] == 3
    assert replaced["metadata"]["uid"] == created["metadata"]["uid"]


def test_status_update_retries_on_conflict_like_the_check_job(api, namespace):
    created = create_monitor(api, namespace, monitor_body("m1"))
    patch_monitor(api, namespace, "m1", {"metadata": {"labels": {"bump": "1"}}})
    with pytest.raises(ApiException) as caught:
        patch_status(api, namespace, "m1", {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
                                            "status": {"health": "Healthy"}})
    assert caught.value.status == 409


# --- deletion, finalizers, garbage collection ---------------------------------------------------

def _owned_config_map(owner: dict[str, Any], name: str) -> dict[str, Any]:
    meta = owner["metadata"]
    return {"metadata": {"name": name, "ownerReferences": [
        {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
         "controller": True, "blockOwnerDeletion": True}]}}


def test_deleting_an_owner_deletes_its_children(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    owner = create_monitor(api, namespace, monitor_body("m1"))
    other = create_monitor(api, namespace, monitor_body("m2"))
    core.create_namespaced_config_map(namespace, _owned_config_map(owner, "child"))
    grandchild_owner = core.read_namespaced_config_map("child", namespace)
    core.create_namespaced_config_map(namespace, _owned_config_map(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "child", "uid": grandchild_owner.metadata.uid}},
        "grandchild"))
    core.create_namespaced_config_map(namespace, _owned_config_map(other, "unrelated"))
    custom(api).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1")
    names = {cm.metadata.name for cm in core.list_namespaced_config_map(namespace).items}
    assert names == {"unrelated"}


def test_a_child_with_another_live_owner_survives(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    first = create_monitor(api, namespace, monitor_body("m1"))
    second = create_monitor(api, namespace, monitor_body("m2"))
    shared = _owned_config_map(first, "shared")
    shared["metadata"]["ownerReferences"] += _owned_config_map(second, "x")["metadata"]["ownerReferences"]
    shared["metadata"]["ownerReferences"][1]["controller"] = False
    core.create_namespaced_config_map(namespace, shared)
    custom(api).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1")
    survivor = core.read_namespaced_config_map("shared", namespace)
    assert [ref.uid for ref in survivor.metadata.owner_references] == [second["metadata"]["uid"]]


def test_finalizers_hold_deletion_and_children_go_when_released(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    body = monitor_body("m1")
    body["metadata"]["finalizers"] = ["modelmon.io/finalizer"]
    owner = create_monitor(api, namespace, body)
    core.create_namespaced_config_map(namespace, _owned_config_map(owner, "child"))
    custom(api).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1")
    held = get_monitor(api, namespace, "m1")
    assert held["metadata"]["deletionTimestamp"]
    assert core.read_namespaced_config_map("child", namespace)
    patch_monitor(api, namespace, "m1", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as caught:
        get_monitor(api, namespace, "m1")
    assert caught.value.status == 404
    assert core.list_namespaced_config_map(namespace).items == []


def test_orphan_propagation_keeps_children(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    owner = create_monitor(api, namespace, monitor_body("m1"))
    core.create_namespaced_config_map(namespace, _owned_config_map(owner, "child"))
    custom(api).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1", propagation_policy="Orphan")
    assert not core.read_namespaced_config_map("child", namespace).metadata.owner_references


# --- namespaces, discovery, watches ---------------------------------------------------------------

def test_namespaces_are_discoverable_listable_and_required(api, cluster):
    core = kubernetes.client.CoreV1Api(api)
    resources = {r.name: r for r in core.get_api_resources().resources}
    assert not resources["namespaces"].namespaced
    core.create_namespace({"metadata": {"name": "made-here"}})
    assert {"default", "made-here"} <= {ns.metadata.name for ns in core.list_namespace().items}
    assert core.read_namespace("made-here").status.phase == "Active"
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})
    assert caught.value.status == 404
    core.create_namespaced_config_map("made-here", {"metadata": {"name": "x"}})
    core.delete_namespace("made-here")
    assert "made-here" not in {ns.metadata.name for ns in core.list_namespace().items}
    assert cluster.objects("v1/configmaps", "made-here") == []


def test_crd_resources_are_discovered_with_the_status_subresource(api):
    with urllib.request.urlopen(f"{api.configuration.host}/apis/{GROUP}/{VERSION}") as response:
        listing = json.load(response)
    by_name = {r["name"]: r for r in listing["resources"]}
    assert by_name[PLURAL]["namespaced"] is True and by_name[PLURAL]["kind"] == "ModelMonitor"
    assert "modelmonitors/status" in by_name
    assert {"list", "watch", "get", "create", "patch", "update", "delete"} <= set(by_name[PLURAL]["verbs"])
    crd = kubernetes.client.ApiextensionsV1Api(api).read_custom_resource_definition(f"{PLURAL}.{GROUP}")
    assert {c.type: c.status for c in crd.status.conditions}["Established"] == "True"


def test_a_watch_sees_existing_objects_then_every_change(api, namespace):
    events: list[tuple[str, str, str]] = []
    started = threading.Event()

    def watch():
        stream = kubernetes.watch.Watch()
        for event in stream.stream(custom(api).list_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL,
                                   timeout_seconds=5):
            started.set()
            meta = event["object"]["metadata"]
            events.append((event["type"], meta["name"], meta["resourceVersion"]))
            if event["type"] == "DELETED":
                stream.stop()

    create_monitor(api, namespace, monitor_body("before"))
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    assert started.wait(5)
    create_monitor(api, namespace, monitor_body("m1"))
    patch_monitor(api, namespace, "m1", {"spec": {"suspend": True}})
    custom(api).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "m1")
    thread.join(10)
    assert [(kind, name) for kind, name, _ in events] == [
        ("ADDED", "before"), ("ADDED", "m1"), ("MODIFIED", "m1"), ("DELETED", "m1")]
    versions = [int(rv) for _, _, rv in events[1:]]
    assert versions == sorted(versions) and len(set(versions)) == 3


def test_label_selectors_on_lists(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    for name, labels in (("a", {"app": "x", "tier": "1"}), ("b", {"app": "x"}), ("c", {"app": "y"})):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name, "labels": labels}})

    def names(selector):
        return sorted(cm.metadata.name for cm in core.list_namespaced_config_map(namespace, label_selector=selector).items)

    assert names("app=x") == ["a", "b"]
    assert names("app!=x") == ["c"]
    assert names("tier") == ["a"]
    assert names("app=x,!tier") == ["b"]


# --- the real operator -------------------------------------------------------------------------------

def _ready(api, namespace, name):
    body = get_monitor(api, namespace, name)
    conditions = {c["type"]: c for c in (body.get("status") or {}).get("conditions") or []}
    ready = conditions.get("Ready")
    if ready and ready["status"] == "True" and body["status"].get("observedGeneration") == body["metadata"]["generation"]:
        return body
    return None


def test_the_real_operator_reconciles_a_monitor(cluster, api, namespace):
    settings = OperatorSettings(check_image="modelmon:test")
    with running_operator(cluster, settings=settings, metrics=OperatorMetrics()):
        create_monitor(api, namespace, monitor_body("credit"))
        body = wait_for(lambda: _ready(api, namespace, "credit"), what="Ready=True")
        uid = body["metadata"]["uid"]
        assert body["metadata"]["generation"] == 1
        batch, core = kubernetes.client.BatchV1Api(api), kubernetes.client.CoreV1Api(api)
        rbac = kubernetes.client.RbacAuthorizationV1Api(api)
        cronjobs = batch.list_namespaced_cron_job(namespace).items
        accounts = [a for a in core.list_namespaced_service_account(namespace).items if a.metadata.owner_references]
        roles = rbac.list_namespaced_role(namespace).items
        bindings = rbac.list_namespaced_role_binding(namespace).items
        for children in (cronjobs, accounts, roles, bindings):
            assert len(children) == 1
            assert children[0].metadata.owner_references[0].uid == uid
        assert cronjobs[0].spec.schedule == "*/30 * * * *"

        # A spec change bumps the generation; the operator patches the CronJob and catches up.
        patch_monitor(api, namespace, "credit", {"spec": {"schedule": "0 * * * *"}})
        wait_for(lambda: batch.read_namespaced_cron_job(cronjobs[0].metadata.name, namespace).spec.schedule
                 == "0 * * * *", what="CronJob patched")
        body = wait_for(lambda: _ready(api, namespace, "credit"), what="Ready=True at generation 2")
        assert body["metadata"]["generation"] == body["status"]["observedGeneration"] == 2

        # Deleting the monitor takes its children with it (garbage collection).
        custom(api).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")
        wait_for(lambda: not batch.list_namespaced_cron_job(namespace).items, what="CronJob collected")
        assert not rbac.list_namespaced_role(namespace).items


def test_a_new_monitor_is_written_once_by_the_operator_per_stanza(cluster, api, namespace):
    """Scale (#19): a new monitor costs the operator one metadata patch (kopf's diff base) and one
    status patch carrying Ready and the first alert record together; a separate write of the
    record made one more request and one more watch event for every monitor."""
    versions: list[dict[str, Any]] = []
    stream = urllib.request.urlopen(  # noqa: S310 - the emulator on loopback
        f"{cluster.url}/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}?watch=true", timeout=30
    )

    def follow() -> None:
        try:
            for line in stream:
                if line.strip():
                    versions.append(json.loads(line)["object"])
        except (OSError, ValueError):  # the stream times out after the test
            return

    threading.Thread(target=follow, daemon=True).start()
    with running_operator(cluster, settings=OperatorSettings(check_image="modelmon:test"), metrics=OperatorMetrics()):
        create_monitor(api, namespace, monitor_body("credit"))
        body = wait_for(lambda: _ready(api, namespace, "credit"), what="Ready=True")
        assert body["status"]["alerts"] == [] and body["status"]["alertLifecycleSeen"]
        threading.Event().wait(2)  # anything written late would show up by now
    assert len(versions) == 3, [(sorted(v.get("status") or {}), sorted(v["metadata"].get("annotations") or {}), v["metadata"].get("finalizers")) for v in versions]
    assert "status" not in versions[1] and versions[2]["status"] == body["status"]
