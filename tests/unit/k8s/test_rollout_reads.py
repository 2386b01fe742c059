"""A rollout's reads of Deployments and Services (plain JSON) and the writes they decide (#16):
defaults where Kubernetes leaves a field out, ownership by uid, and the same requests as before."""

from __future__ import annotations

from typing import Any

import pytest

from modelmon.k8s import rollout

OWNER = "uid-of-the-retrainingjob"


def deployment(
    *, replicas: int | None = 2, owner: str | None = OWNER, status: dict[str, int] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "credit-canary", "namespace": "risk", "generation": 3}
    if owner:
        meta["ownerReferences"] = [{"uid": "someone-else"}, {"uid": owner}]
    body: dict[str, Any] = {"metadata": meta, "spec": {} if replicas is None else {"replicas": replicas}}
    if status:
        body["status"] = status
    return body


class FakeApps:
    """AppsV1Api as far as ensure_track and delete_track call it: records each request."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def create_namespaced_deployment(self, namespace: str, body: Any, **kwargs: Any) -> None:
        self.calls.append(("create", namespace, body, kwargs))

    def patch_namespaced_deployment(self, name: str, namespace: str, body: Any, **kwargs: Any) -> None:
        self.calls.append(("patch", name, namespace, body, kwargs))

    def delete_namespaced_deployment(self, name: str, namespace: str, **kwargs: Any) -> None:
        self.calls.append(("delete", name, namespace, kwargs))


@pytest.fixture
def apps(monkeypatch: pytest.MonkeyPatch) -> FakeApps:
    fake = FakeApps()
    monkeypatch.setattr(rollout, "_apps", lambda: fake)
    return fake


def live(monkeypatch: pytest.MonkeyPatch, body: dict[str, Any] | None) -> None:
    monkeypatch.setattr(rollout, "read_deployment", lambda namespace, name: body)


def test_a_new_deployment_reads_as_kubernetes_defaults_it():
    state = rollout.deployment_state(deployment(replicas=None, owner=None), handover={"MODEL": "v2"})
    assert (state.name, state.generation, state.observed_generation) == ("credit-canary", 3, 0)
    assert (state.replicas, state.updated, state.ready, state.available, state.current) == (1, 0, 0, 0, 0)
    assert state.handover == {"MODEL": "v2"} and state.owned


def test_status_counts_and_ownership_by_uid():
    counts = {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 1, "availableReplicas": 1}
    body = deployment(status=counts)
    state = rollout.deployment_state(body, handover={}, owner_uid=OWNER)
    assert (state.observed_generation, state.current, state.updated, state.ready, state.available) == (3, 3, 2, 1, 1)
    assert state.replicas == 2 and state.owned
    assert not rollout.deployment_state(body, handover={}, owner_uid="another-rollout").owned
    assert not rollout.deployment_state(deployment(owner=None), handover={}, owner_uid=OWNER).owned


def test_ensure_track_creates_a_missing_track(apps: FakeApps, monkeypatch: pytest.MonkeyPatch):
    live(monkeypatch, None)
    manifest = deployment(replicas=1)
    rollout.ensure_track(manifest, owner_uid=OWNER)
    assert apps.calls == [("create", "risk", manifest, {"field_manager": "modelmon"})]


def test_ensure_track_sets_only_the_replicas_of_its_own_track(apps: FakeApps, monkeypatch: pytest.MonkeyPatch):
    live(monkeypatch, deployment(replicas=1))
    rollout.ensure_track(deployment(replicas=3), owner_uid=OWNER)
    assert apps.calls == [("patch", "credit-canary", "risk", {"spec": {"replicas": 3}}, {"field_manager": "modelmon"})]


@pytest.mark.parametrize(
    "existing",
    [deployment(replicas=3), deployment(replicas=1, owner="someone")],
    ids=["already-at-its-replicas", "owned-by-someone-else"],
)
def test_ensure_track_leaves_alone(existing, apps: FakeApps, monkeypatch: pytest.MonkeyPatch):
    live(monkeypatch, existing)
    rollout.ensure_track(deployment(replicas=3), owner_uid=OWNER)
    assert apps.calls == []


def test_delete_track_deletes_only_its_own(apps: FakeApps, monkeypatch: pytest.MonkeyPatch):
    live(monkeypatch, deployment(owner="someone"))
    rollout.delete_track("risk", "credit-canary", owner_uid=OWNER)
    assert apps.calls == []
    live(monkeypatch, deployment())
    rollout.delete_track("risk", "credit-canary", owner_uid=OWNER)
    assert apps.calls == [("delete", "credit-canary", "risk", {"propagation_policy": "Background"})]


def test_the_selector_read_from_a_service(monkeypatch: pytest.MonkeyPatch):
    class Core:
        def read_namespaced_service(self, name: str, namespace: str) -> dict[str, Any]:
            return {"metadata": {"name": name}, "spec": {"selector": {"app": "credit", "track": "stable"}}}

    monkeypatch.setattr(rollout.client, "core", Core)
    monkeypatch.setattr(rollout, "_plain", lambda obj: obj)
    assert rollout.service_selector("risk", "credit") == {"app": "credit", "track": "stable"}


def test_steering_annotations_are_merge_patches_of_the_retrainingjob(monkeypatch: pytest.MonkeyPatch):
    patches = []

    class CustomObjects:
        def patch_namespaced_custom_object(self, *args: Any) -> None:
            patches.append(args)

    monkeypatch.setattr(rollout.client, "custom_objects", CustomObjects)
    rollout.set_annotation("risk", "credit-retrain", "modelmon.io/promote", "true")
    rollout.remove_annotations("risk", "credit-retrain", [])
    rollout.remove_annotations("risk", "credit-retrain", ["modelmon.io/promote", "modelmon.io/abort"])
    where = ("modelmon.io", "v1alpha1", "risk", "retrainingjobs", "credit-retrain")
    assert patches == [
        (*where, {"metadata": {"annotations": {"modelmon.io/promote": "true"}}}),
        (*where, {"metadata": {"annotations": {"modelmon.io/promote": None, "modelmon.io/abort": None}}}),
    ]
