"""Failures the attack run (#20) found silent, on the real control plane: the API server's own
reason kept in conditions and Events, a name too long for a label refused as an invalid spec,
a missing env Secret not Ready, a failed drift-check Job on the monitor's status.

kwok plays the kubelet (hack/k8s/kwok-stages.yaml): a pod annotated with
``kwok.modelmon.io/exit-code`` ends with that code, so a check Job can really fail under the
real Job controller.
"""

from __future__ import annotations

import kubernetes
import pytest

from modelmon.k8s import errors
from modelmon.manifests import checkjob
from support.monitors import condition, create_monitor, events_of, get_monitor, monitor_body, patch_monitor, ready
from support.waiting import wait_for

pytestmark = pytest.mark.cluster
NAMESPACE_PREFIX = "fail"


def with_condition(kube, namespace: str, name: str, kind: str, **expected: str):
    def seen():
        body = get_monitor(kube, namespace, name)
        found = condition(body, kind)
        return found if found and all(found.get(k) == v for k, v in expected.items()) else None

    return wait_for(seen, what=f"{kind} {expected} on {name}")


def test_the_api_servers_reason_names_the_field(kube, namespace):
    """What a 422 says is kept: the field and the rule, not "422 Unprocessable Entity"."""
    batch = kubernetes.client.BatchV1Api(kube)
    cronjob = {
        "metadata": {"name": "x-drift-check", "labels": {"modelmon.io/monitor": "m" * 99}},
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}
                }
            },
        },
    }
    with pytest.raises(kubernetes.client.ApiException) as raised:
        batch.create_namespaced_cron_job(namespace, cronjob)
    message = errors.api_message(raised.value)
    assert "metadata.labels" in message and "must be no more than 63 characters" in message, message
    assert message.endswith("(422 Unprocessable Entity)") and "\n" not in message


def test_a_quantity_the_api_server_refuses_is_reconcile_failed_with_its_reason(kube, operator, namespace):
    """1.2.3 matches the quantity pattern any schema can state, but Kubernetes cannot parse it:
    the CronJob is refused, and the monitor says why in the server's words."""
    create_monitor(kube, namespace, monitor_body("credit", checkJob={"resources": {"limits": {"cpu": "1.2.3"}}}))
    ready_condition = with_condition(kube, namespace, "credit", "Ready", reason="ReconcileFailed")
    assert ready_condition["status"] == "False"
    assert "quantities must match the regular expression" in ready_condition["message"], ready_condition
    assert wait_for(
        lambda: [
            e
            for e in events_of(kube, namespace, "credit")
            if e.reason == "ReconcileFailed" and "quantities must match" in e.message
        ],
        what="the ReconcileFailed Event",
    )


@pytest.mark.parametrize(
    ("check_job", "field"),
    [
        ({"resources": {"limits": {"cpu": "lots"}}}, "spec.checkJob.resources.limits.cpu"),
        ({"image": "Not An Image"}, "spec.checkJob.image"),
        ({"volumeClaim": "Data_Claim"}, "spec.checkJob.volumeClaim"),
    ],
)
def test_what_the_crd_bounds_is_refused_at_admission_naming_the_field(kube, namespace, check_job, field):
    with pytest.raises(kubernetes.client.ApiException) as raised:
        create_monitor(kube, namespace, monitor_body("credit", checkJob=check_job))
    assert raised.value.status == 422
    assert field in errors.api_message(raised.value), errors.api_message(raised.value)


def test_numbers_and_quantity_strings_are_admitted(kube, namespace):
    resources = {"limits": {"cpu": 2, "memory": "1.5Gi"}, "requests": {"cpu": "500m"}}
    create_monitor(kube, namespace, monitor_body("credit", checkJob={"resources": resources}))
    assert get_monitor(kube, namespace, "credit")["spec"]["checkJob"]["resources"] == resources


def test_a_name_too_long_for_a_label_is_an_invalid_spec_naming_metadata_name(kube, operator, namespace):
    name = "credit-" + "m" * 92  # 99 characters, admitted by the API server
    create_monitor(kube, namespace, monitor_body(name))
    ready_condition = with_condition(kube, namespace, name, "Ready", reason="InvalidSpec")
    assert ready_condition["status"] == "False"
    assert ready_condition["message"].startswith("metadata.name is 99 characters"), ready_condition
    batch = kubernetes.client.BatchV1Api(kube)
    assert batch.list_namespaced_cron_job(namespace).items == []  # nothing half-applied


def test_a_missing_env_secret_is_not_ready_and_names_the_field(kube, operator, namespace):
    env = [{"name": "AWS_SECRET_ACCESS_KEY", "secretKeyRef": {"name": "minio-keys", "key": "secret"}}]
    create_monitor(kube, namespace, monitor_body("credit", checkJob={"env": env}))
    ready_condition = with_condition(kube, namespace, "credit", "Ready", reason="MissingSecret")
    assert ready_condition["status"] == "False"
    assert ready_condition["message"] == (
        f"spec.checkJob.env[0].secretKeyRef: Secret {namespace}/minio-keys does "
        f"not exist; create it with the key 'secret'"
    )
    assert wait_for(
        lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "MissingSecret"],
        what="a MissingSecret Event",
    )


def test_a_failed_check_job_is_check_failed_on_the_monitor(kube, operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    labels = {"modelmon.io/monitor": "credit", checkjob.LABEL_COMPONENT: "drift-check"}
    job = {
        "metadata": {"name": "credit-check-crash", "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "kwok.modelmon.io/exit-code": "1",
                        "kwok.modelmon.io/termination-message": "OSError: [Errno 30] Read-only file system: '/x'",
                    },
                },
                "spec": {"restartPolicy": "Never", "containers": [{"name": "check", "image": "modelmon:test"}]},
            },
        },
    }
    kubernetes.client.BatchV1Api(kube).create_namespaced_job(namespace, job)
    failed = with_condition(kube, namespace, "credit", "CheckFailed", status="True")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"].startswith("check Job credit-check-crash failed (BackoffLimitExceeded")
    assert "spec.checkJob.image" in failed["message"]
    # what the pod's check container ended with (its termination message's last line) is quoted
    assert (
        "its pod never wrote a report and ended with: OSError: [Errno 30] Read-only file system: '/x'. "
        in failed["message"]
    )
    assert wait_for(
        lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "CheckFailed"],
        what="a CheckFailed Event",
    )
    assert get_monitor(kube, namespace, "credit")["status"]["health"] == "Unknown"


def test_a_spec_too_large_for_kopfs_annotation_is_reconciled_and_updated(kube, operator, namespace):
    """9,000 features (~330 KiB of spec, admitted by the API server) used to fail every patch of
    kopf's last-handled-configuration annotation ("Too long"): never Ready, a traceback per event."""
    features = [{"name": f"feature_{n:05d}", "type": "numeric"} for n in range(9000)]
    create_monitor(kube, namespace, monitor_body("wide", features=features))
    body = wait_for(lambda: ready(kube, namespace, "wide"), what="Ready=True for a 9,000-feature monitor")
    stored = body["metadata"]["annotations"]["kopf.modelmon.io/last-handled-configuration"]
    assert len(stored) < 4096 and "modelmon.io/sha256" in stored
    batch = kubernetes.client.BatchV1Api(kube)
    patch_monitor(kube, namespace, "wide", {"spec": {"schedule": "5 * * * *"}})
    wait_for(
        lambda: batch.read_namespaced_cron_job("wide-drift-check", namespace).spec.schedule == "5 * * * *",
        what="the spec change handled (the digest changed)",
    )
