"""The rule for a training Job's ServiceAccount: the namespace's default, or one it allows."""

from __future__ import annotations

from modelmon.policies.training_accounts import ANNOTATION, refusal, requested_account


def test_no_account_named_means_the_namespaces_default_which_is_allowed():
    assert requested_account({"containers": []}) == "default"
    assert refusal("default", "team-a", {}) is None


def test_the_deprecated_alias_is_read_too():
    assert requested_account({"serviceAccount": "trainer"}) == "trainer"
    assert requested_account({"serviceAccountName": "trainer", "serviceAccount": "other"}) == "trainer"


def test_an_account_is_allowed_only_with_the_namespaces_annotation():
    assert refusal("trainer", "team-a", {ANNOTATION: "allowed"}) is None
    refused = refusal("trainer", "team-a", {})
    assert refused is not None
    assert refused.startswith("spec.jobTemplate.spec.template.spec.serviceAccountName: ServiceAccount team-a/trainer")
    assert f"kubectl annotate serviceaccount trainer -n team-a {ANNOTATION}=allowed" in refused
    assert refusal("trainer", "team-a", {ANNOTATION: "yes"}) is not None


def test_a_missing_account_is_named():
    assert refusal("ghost", "team-a", None) == (
        "spec.jobTemplate.spec.template.spec.serviceAccountName: ServiceAccount team-a/ghost does not exist"
    )
