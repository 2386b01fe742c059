"""The canary/preview Deployment cloned from the target, and the guarded hand-over patch."""

from __future__ import annotations

import copy

import jsonpatch
import pytest

from modelmon.manifests import rollout as manifests

TARGET = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "credit", "namespace": "ml", "uid": "t-1",
                 "labels": {"team": "risk", "app.kubernetes.io/instance": "credit-argocd-app"},
                 "annotations": {"argocd.argoproj.io/tracking-id": "x"}, "resourceVersion": "7", "generation": 3},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "credit"}}, "minReadySeconds": 5,
             "template": {"metadata": {"labels": {"app": "credit", "tier": "serving"}},
                          "spec": {"containers": [
                              {"name": "sidecar", "image": "envoy:1"},
                              {"name": "server", "image": "reg/credit:1",
                               "env": [{"name": "LOG", "value": "info"},
                                       {"name": "MODEL_URI", "valueFrom": {"configMapKeyRef": {"name": "m",
                                                                                             "key": "uri"}}}]}]}}},
    "status": {"readyReplicas": 3},
}
OWNER = {"apiVersion": "modelmon.io/v1alpha1", "kind": "RetrainingJob", "metadata": {"name": "r", "uid": "u-1"}}
VALUES = {"env:MODEL_URI": "s3://m/2", "env:MODEL_VERSION": "2"}


def test_model_container_by_name_or_first_and_a_clear_error():
    assert manifests.model_container(TARGET, "server")[0] == 1
    assert manifests.model_container(TARGET, None)[0] == 0
    error = manifests.model_container(TARGET, "serve")
    assert error == ("Deployment credit has no container 'serve' (spec.rollout.container); "
                     "it has ['sidecar', 'server']")


def test_current_values_read_env_and_image():
    container = TARGET["spec"]["template"]["spec"]["containers"][1]
    assert manifests.current_values(container, ["env:LOG", "env:MODEL_VERSION", "image"]) == {
        "env:LOG": "info", "env:MODEL_VERSION": "", "image": "reg/credit:1"}


def test_handover_patch_touches_only_the_model_values_and_is_guarded():
    patch = manifests.handover_patch(TARGET, index=1, values=VALUES)
    assert patch == [
        {"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "server"},
        {"op": "test", "path": "/spec/template/spec/containers/1/env/1/name", "value": "MODEL_URI"},
        {"op": "replace", "path": "/spec/template/spec/containers/1/env/1",
         "value": {"name": "MODEL_URI", "value": "s3://m/2"}},
        {"op": "add", "path": "/spec/template/spec/containers/1/env/-",
         "value": {"name": "MODEL_VERSION", "value": "2"}}]
    patched = jsonpatch.apply_patch(TARGET, patch)
    changed = copy.deepcopy(patched)
    changed["spec"]["template"]["spec"]["containers"][1]["env"] = TARGET["spec"]["template"]["spec"]["containers"][1][
        "env"]
    assert changed == TARGET, "nothing but the container's env moved"
    assert patched["spec"]["template"]["spec"]["containers"][1]["env"] == [
        {"name": "LOG", "value": "info"}, {"name": "MODEL_URI", "value": "s3://m/2"},
        {"name": "MODEL_VERSION", "value": "2"}], "valueFrom is replaced, not left beside the value"
    assert manifests.handover_patch(patched, index=1, values=VALUES) == [], "idempotent"


def test_handover_patch_of_a_container_without_env_and_of_the_image():
    assert manifests.handover_patch(TARGET, index=0, values={"env:MODEL_VERSION": "2"}) == [
        {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "sidecar"},
        {"op": "add", "path": "/spec/template/spec/containers/0/env", "value": []},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "MODEL_VERSION",
                                                                                  "value": "2"}}]
    patch = manifests.handover_patch(TARGET, index=1, values={"image": "reg/credit:2"})
    assert patch[1] == {"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "reg/credit:2"}


def test_a_patch_computed_on_a_stale_deployment_is_refused():
    patch = manifests.handover_patch(TARGET, index=1, values=VALUES)
    moved = copy.deepcopy(TARGET)
    moved["spec"]["template"]["spec"]["containers"].reverse()  # someone reordered the containers meanwhile
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(moved, patch)


def test_canary_keeps_the_service_labels_and_adds_the_track():
    canary = manifests.build_track(target=TARGET, track="canary", replicas=1, rollout="r", owner=OWNER,
                                   container_index=1, values=VALUES)
    assert canary["metadata"]["name"] == "credit-canary"
    assert canary["metadata"]["ownerReferences"] == [{"apiVersion": "modelmon.io/v1alpha1", "kind": "RetrainingJob",
                                                      "name": "r", "uid": "u-1", "controller": True,
                                                      "blockOwnerDeletion": True}]
    mark = {"modelmon.io/track": "canary", "modelmon.io/rollout": "r"}
    assert canary["spec"]["template"]["metadata"]["labels"] == {"app": "credit", "tier": "serving", **mark}
    assert canary["spec"]["selector"] == {"matchLabels": {"app": "credit", **mark}}
    assert canary["spec"]["replicas"] == 1 and canary["spec"]["minReadySeconds"] == 5
    server = canary["spec"]["template"]["spec"]["containers"][1]
    assert server["env"] == [{"name": "LOG", "value": "info"}, {"name": "MODEL_URI", "value": "s3://m/2"},
                             {"name": "MODEL_VERSION", "value": "2"}]
    assert "resourceVersion" not in canary["metadata"] and "status" not in canary
    assert canary["metadata"]["labels"] == {**mark, "app.kubernetes.io/managed-by": "modelmon"}, \
        "no label of the target's (a GitOps tool tracking by label would claim the canary)"
    assert "annotations" not in canary["metadata"]
    assert TARGET["spec"]["template"]["metadata"]["labels"] == {"app": "credit", "tier": "serving"}, "not mutated"


def test_preview_hides_the_active_service_keys():
    preview = manifests.build_track(target=TARGET, track="preview", replicas=3, rollout="r", owner=OWNER,
                                    container_index=1, values=VALUES, hidden_keys=frozenset({"app"}))
    assert preview["spec"]["template"]["metadata"]["labels"] == {
        "tier": "serving", "modelmon.io/track": "preview", "modelmon.io/rollout": "r"}
    assert preview["spec"]["selector"]["matchLabels"] == {"modelmon.io/track": "preview", "modelmon.io/rollout": "r"}


def test_long_names_are_shortened_deterministically():
    name = manifests.track_name("a" * 60, "canary")
    assert len(name) <= 52 and name.endswith("-canary") and name == manifests.track_name("a" * 60, "canary")
