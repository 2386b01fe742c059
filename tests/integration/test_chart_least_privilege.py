"""Least privilege of the rendered chart, asked of a real kube-apiserver with `kubectl auth can-i`
as the chart's ServiceAccounts (impersonation), and with real status patches as a check job's:

- the default install cannot get a Secret nobody named to it, in any namespace;
- a Secret named in rbac.secrets (or by a default alert sink) is readable, and only that one;
- a namespaced install (watchNamespaces) cannot act in namespaces it does not watch;
- a drift-check job's token can change its monitor's status.lastCheck and nothing else of it;
- training Jobs run only as a ServiceAccount the RetrainingJob's namespace allows.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import kubernetes
import pytest
import yaml

from modelmon.api import monitor as monitor_api
from modelmon.manifests import checkjob
from modelmon.metrics import OperatorMetrics
from modelmon.policies import training_accounts
from modelmon.settings import OperatorSettings
from modelmon_kits.emulation import operator_thread
from support.namespaces import fresh_namespace
from support.waiting import wait_for
from support.chart_cluster import (
    chart_admin,
    GROUP,
    PLURAL,
    RELEASE_NAMESPACE,
    VERSION,
    install_rbac,
    kubectl,
)
from support.monitors import monitor_body
from support.retraining import retraining_job_body
from unit.chart.chart_rendering import render

pytestmark = pytest.mark.cluster

RBAC_KINDS = (
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
)


@pytest.fixture(scope="module")
def admin(control_plane) -> kubernetes.client.ApiClient:
    return chart_admin(control_plane)


@pytest.fixture
def namespace(admin) -> Iterator[str]:
    with fresh_namespace(admin, prefix="lp") as name:
        yield name


def apply_release(control_plane: Any, values: dict[str, Any]) -> str:
    """The chart's rights and policies applied; returns the operator's user name."""
    documents = [d for d in render(values, namespace=RELEASE_NAMESPACE) if d["kind"] in RBAC_KINDS]
    documents.sort(key=lambda d: RBAC_KINDS.index(d["kind"]))
    kubectl(control_plane, "apply", "-f", "-", input=yaml.safe_dump_all(documents))
    account = next(d for d in documents if d["kind"] == "ServiceAccount")["metadata"]["name"]
    return f"system:serviceaccount:{RELEASE_NAMESPACE}:{account}"


def can_i(control_plane: Any, user: str, verb: str, resource: str, namespace: str | None) -> bool:
    where = ["-n", namespace] if namespace else ["--all-namespaces"]
    result = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "auth",
            "can-i",
            verb,
            resource,
            *where,
            f"--as={user}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() in ("yes", "no"), result.stdout + result.stderr
    return result.stdout.strip() == "yes"


def test_the_default_install_reads_only_the_secrets_it_is_told_of(control_plane, admin, namespace):
    values = {
        "fullnameOverride": "mm-lp",
        "rbac": {"create": True, "secrets": [{"namespace": namespace, "names": ["slack-webhook"]}]},
        "alerts": {
            "defaults": {
                "sinks": [{"name": "oncall", "slack": {"webhookUrlSecretRef": {"name": "oncall-slack", "key": "url"}}}]
            }
        },
    }
    operator = apply_release(control_plane, values)
    # Named: this Secret, in this namespace; the default sink's in the release namespace.
    assert can_i(control_plane, operator, "get", "secrets/slack-webhook", namespace)
    assert can_i(control_plane, operator, "get", "secrets/oncall-slack", RELEASE_NAMESPACE)
    # Nothing else: another Secret beside it, any Secret elsewhere, listing or watching.
    assert not can_i(control_plane, operator, "get", "secrets/unrelated", namespace)
    assert not can_i(control_plane, operator, "get", "secrets/unrelated", RELEASE_NAMESPACE)
    for elsewhere in ("kube-system", "default"):
        assert not can_i(control_plane, operator, "get", "secrets", elsewhere)
    assert not can_i(control_plane, operator, "get", "secrets", None)
    assert not can_i(control_plane, operator, "list", "secrets", namespace)
    assert not can_i(control_plane, operator, "watch", "secrets", namespace)
    # The control: with rbac.readSecrets (what the chart did by default before) every Secret.
    broad = apply_release(
        control_plane, {"fullnameOverride": "mm-lp-broad", "rbac": {"create": True, "readSecrets": True}}
    )
    assert can_i(control_plane, broad, "get", "secrets/unrelated", "kube-system")


def test_a_namespaced_install_cannot_act_where_it_does_not_watch(control_plane, admin, namespace):
    operator = apply_release(control_plane, {"fullnameOverride": "mm-lp-ns", "watchNamespaces": [namespace]})
    for verb, resource in (
        ("create", "jobs.batch"),
        ("patch", "deployments.apps"),
        ("create", "roles"),
        ("patch", "modelmonitors.modelmon.io/status"),
        ("list", "pods"),
        ("watch", "pods"),  # the drift-check pods (controller/check_pods.py)
    ):
        assert can_i(control_plane, operator, verb, resource, namespace), (verb, resource)
        assert not can_i(control_plane, operator, verb, resource, "kube-system"), (verb, resource)
        assert not can_i(control_plane, operator, verb, resource, "default"), (verb, resource)
        assert not can_i(control_plane, operator, verb, resource, None), (verb, resource)
    # Pods are only listed and watched: never read one by one, written or deleted.
    for verb in ("get", "patch", "delete", "create"):
        assert not can_i(control_plane, operator, verb, "pods", namespace), verb
    # Only read-only discovery remains cluster-wide.
    assert can_i(control_plane, operator, "list", "namespaces", None)
    assert not can_i(control_plane, operator, "get", "secrets", namespace)


def impersonating(admin: kubernetes.client.ApiClient, user: str) -> kubernetes.client.CustomObjectsApi:
    api = kubernetes.client.ApiClient(admin.configuration)
    api.set_default_header("Impersonate-User", user)
    return kubernetes.client.CustomObjectsApi(api)


def test_a_check_jobs_token_changes_only_the_check_result(control_plane, admin, namespace):
    operator = apply_release(control_plane, {"fullnameOverride": "mm-lp-check"})
    custom = kubernetes.client.CustomObjectsApi(admin)
    created = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("credit"))
    # The check job's account and Role exactly as the operator creates them.
    spec = monitor_api.parse_spec(created["spec"])
    uid = created["metadata"]["uid"]
    children = [
        m
        for m in checkjob.build_children(
            monitor="credit", namespace=namespace, uid=uid, spec=spec, image="modelmon:test"
        )
        if m["kind"] != "CronJob"
    ]
    kubectl(control_plane, "apply", "-f", "-", input=yaml.safe_dump_all(children))
    checker = f"system:serviceaccount:{namespace}:{checkjob.account_name('credit')}"
    # What the operator writes (its own account: not limited by the policy).
    as_operator = impersonating(admin, operator)
    as_operator.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        "credit",
        {"status": {"health": "Healthy", "alerts": [], "retraining": {"samplesSinceLast": 5}}},
    )
    as_checker = impersonating(admin, checker)

    # The check result: allowed (RBAC on the status subresource, the policy passes it).
    result = {"time": "2026-12-01T00:00:00Z", "durationSeconds": 1.5, "referenceRows": 200, "currentRows": 200}
    patched = as_checker.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, "credit", {"status": {"lastCheck": result}}
    )
    assert patched["status"]["lastCheck"]["currentRows"] == 200

    # Anything else of the status: refused by the admission policy, naming the field.
    for forged in (
        {"health": "Critical"},
        {"alertLifecycleSeen": "forged"},
        {"retraining": {"samplesSinceLast": 0}},
        {"retraining": None},
        {"conditions": []},
    ):
        with pytest.raises(kubernetes.client.ApiException) as refused:
            as_checker.patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, PLURAL, "credit", {"status": forged}
            )
        assert refused.value.status in (403, 422), refused.value
        assert f"not status.{next(iter(forged))}" in refused.value.body
    # The spec and other monitors: refused by RBAC.
    with pytest.raises(kubernetes.client.ApiException) as refused:
        as_checker.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, "credit", {"spec": {"schedule": "* * * * *"}}
        )
    assert refused.value.status == 403
    other = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("other"))
    with pytest.raises(kubernetes.client.ApiException) as refused:
        as_checker.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, PLURAL, "other", {"status": {"lastCheck": result}}
        )
    assert refused.value.status == 403
    body = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")
    assert body["status"]["health"] == "Healthy" and body["status"]["retraining"] == {"samplesSinceLast": 5}
    assert other["metadata"]["name"] == "other"
    assert not can_i(control_plane, checker, "get", "secrets", namespace)
    assert not can_i(control_plane, checker, "create", "jobs.batch", namespace)


def retraining_job(name: str, account: str | None) -> dict[str, Any]:
    result = json.dumps(
        {
            "modelUri": "s3://models/credit/2/model.onnx",
            "version": "2",
            "sha256": "ab" * 32,
            "metrics": {"accuracy": 0.9},
        }
    )
    pod: dict[str, Any] = {"containers": [{"name": "train", "image": "registry.invalid/trainer:1"}]}
    if account:
        pod["serviceAccountName"] = account
    return retraining_job_body(name, pod, annotations={"kwok.modelmon.io/termination-message": result})


def test_training_jobs_run_only_as_an_account_the_namespace_allows(control_plane, admin, namespace):
    """The operator, as the chart's account, refuses a training Job that would run as a
    ServiceAccount the namespace has not allowed, with a condition naming the field and the fix."""
    identity = install_rbac(control_plane, admin, {})
    core, custom = kubernetes.client.CoreV1Api(admin), kubernetes.client.CustomObjectsApi(admin)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "powerful"}})
    core.create_namespaced_service_account(
        namespace,
        {"metadata": {"name": "trainer", "annotations": {training_accounts.ANNOTATION: training_accounts.ALLOWED}}},
    )
    settings = OperatorSettings(check_image="modelmon:test", retraining_poll_seconds=1)

    def finished(name: str) -> dict[str, Any]:
        return wait_for(
            lambda: (
                (b := custom.get_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", name))
                and (b.get("status") or {}).get("phase") in ("Succeeded", "Failed")
                and b
            ),
            what=f"RetrainingJob {name} finished",
            timeout=90,
        )

    def training_jobs() -> list[str]:
        return [j.metadata.name for j in kubernetes.client.BatchV1Api(admin).list_namespaced_job(namespace).items]

    with operator_thread.running_operator(identity, settings=settings, metrics=OperatorMetrics()):
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("credit"))
        custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "retrainingjobs", retraining_job("as-powerful", "powerful")
        )
        refused = finished("as-powerful")
        assert refused["status"]["phase"] == "Failed"
        condition = next(c for c in refused["status"]["conditions"] if c.get("reason") == "ServiceAccountNotAllowed")
        assert condition["message"].startswith(f"{training_accounts.FIELD}: ServiceAccount {namespace}/powerful")
        assert "kubectl annotate serviceaccount powerful" in condition["message"]
        assert training_jobs() == []
        # The allowed account, and the namespace's default account, train.
        for name, account in (("as-trainer", "trainer"), ("as-default", None)):
            custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, "retrainingjobs", retraining_job(name, account)
            )
            assert finished(name)["status"]["phase"] == "Succeeded", name
    accounts = {
        j.spec.template.spec.service_account_name
        for j in kubernetes.client.BatchV1Api(admin).list_namespaced_job(namespace).items
    }
    assert accounts == {"trainer", None} or accounts == {"trainer", "default"}
