"""kopf's diff base stays small whatever the spec: a large spec is kept as its digest, which
changes exactly when the spec does; a small one is kept whole, as kopf keeps it."""

from __future__ import annotations

import json

import kopf

from modelmon.controller.diffbase import DIGEST_KEY, INLINE_LIMIT, DigestingDiffBaseStorage, digest_large_spec


def body(features: int, schedule: str = "0 * * * *") -> kopf.Body:
    spec = {
        "schedule": schedule,
        "features": [{"name": f"feature_{n:05d}", "type": "numeric"} for n in range(features)],
    }
    return kopf.Body(
        {
            "apiVersion": "modelmon.io/v1alpha1",
            "kind": "ModelMonitor",
            "metadata": {"name": "wide", "namespace": "risk", "labels": {"team": "ml"}},
            "spec": spec,
            "status": {"health": "Unknown"},
        }
    )


def test_a_small_spec_is_kept_whole_as_kopf_keeps_it():
    storage = DigestingDiffBaseStorage(prefix="kopf.modelmon.io")
    plain = kopf.AnnotationsDiffBaseStorage(prefix="kopf.modelmon.io")
    assert storage.build(body=body(10)) == plain.build(body=body(10))


def test_a_9000_feature_spec_is_kept_as_a_digest_that_follows_the_spec():
    storage = DigestingDiffBaseStorage(prefix="kopf.modelmon.io")
    essence = storage.build(body=body(9000))
    assert len(json.dumps(essence)) < 512 < INLINE_LIMIT
    assert set(essence["spec"]) == {DIGEST_KEY, "bytes"} and essence["spec"]["bytes"] > 256 * 1024
    assert essence["metadata"] == {"labels": {"team": "ml"}}  # labels still compared as they are
    assert storage.build(body=body(9000)) == essence
    assert storage.build(body=body(9000, schedule="5 * * * *"))["spec"][DIGEST_KEY] != essence["spec"][DIGEST_KEY]


def test_the_limit_is_on_the_encoded_essence():
    essence = {"spec": {"x": "a" * 100}}
    assert digest_large_spec(essence, limit=200) is essence
    assert DIGEST_KEY in digest_large_spec(essence, limit=50)["spec"]


def test_the_essence_is_kopfs_own_without_copying_status_and_system_metadata():
    """The slim body kopf is given must not change the essence, or every monitor would look
    updated after an upgrade: compared with kopf's own on a body with everything a live one has."""
    raw = dict(body(10))
    raw["metadata"] = {
        **raw["metadata"],
        "uid": "u-1",
        "resourceVersion": "42",
        "generation": 3,
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
        "ownerReferences": [{"kind": "Team", "name": "ml", "uid": "u-0"}],
        "annotations": {
            "team.example/owner": "ml",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
            "kopf.modelmon.io/last-handled-configuration": '{"spec":{}}\n',
            "kopf.modelmon.io/kopf-managed": "yes",
        },
    }
    raw["status"] = {"health": "Critical", "lastCheck": {"features": [{"name": "f", "score": 0.5}]}}
    storage = DigestingDiffBaseStorage(prefix="kopf.modelmon.io")
    plain = kopf.AnnotationsDiffBaseStorage(prefix="kopf.modelmon.io")
    essence = storage.build(body=kopf.Body(raw))
    assert essence == plain.build(body=kopf.Body(raw))
    assert essence["metadata"] == {"labels": {"team": "ml"}, "annotations": {"team.example/owner": "ml"}}
    assert "status" not in essence
