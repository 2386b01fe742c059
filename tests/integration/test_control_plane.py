"""Proofs that the test control plane (hack/control_plane.py) is a real Kubernetes API.

A CRD with a structural schema, a status subresource, printer columns and CEL rules is
enforced by kube-apiserver (422 naming the field, unknown fields pruned, status only through
/status, generation bumped on spec changes only); kube-scheduler, kube-controller-manager
and kwok's fake nodes make a Deployment Available and run a CronJob's Jobs to completion;
the garbage collector deletes owned children; RBAC and service-account tokens apply.
"""

from __future__ import annotations

import functools
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes
import pytest
from kubernetes.client.exceptions import ApiException

from support import waiting

pytestmark = pytest.mark.cluster

GROUP, VERSION, PLURAL, KIND = "proofs.modelmon.io", "v1", "widgets", "Widget"
CRD_NAME = f"{PLURAL}.{GROUP}"
IMAGE = "registry.invalid/modelmon/proof:1"  # never pulled: kwok plays the kubelet
#: Until the probe passes; an API error (the object not there yet) counts as "not yet" too.
eventually = functools.partial(waiting.eventually, retry_on=(AssertionError, ApiException))

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": CRD_NAME},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": KIND, "shortNames": ["wdg"]},
        "versions": [{
            "name": VERSION, "served": True, "storage": True,
            "subresources": {"status": {}},
            "additionalPrinterColumns": [
                {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                {"name": "Mode", "type": "string", "jsonPath": ".spec.mode"},
                {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            ],
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer", "minimum": 1, "maximum": 10},
                            "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
                            "low": {"type": "integer"},
                            "high": {"type": "integer"},
                        },
                        "x-kubernetes-validations": [{
                            "rule": "!has(self.low) || !has(self.high) || self.low <= self.high",
                            "message": "low must not exceed high",
                            "fieldPath": ".low",
                        }],
                    },
                    "status": {
                        "type": "object",
                        "properties": {"phase": {"type": "string"}, "count": {"type": "integer"}},
                    },
                },
            }},
        }],
    },
}


def condition(obj: Any, kind: str) -> str | None:
    for item in (obj.status.conditions or []) if obj.status else []:
        if item.type == kind:
            return str(item.status)
    return None


@pytest.fixture(scope="module")
def api(control_plane: Any) -> Iterator[kubernetes.client.ApiClient]:
    client = kubernetes.config.new_client_from_config(config_file=str(control_plane.kubeconfig))
    with client:
        yield client


@pytest.fixture(scope="module")
def kubectl(control_plane: Any) -> Callable[..., str]:
    def run(*args: str, stdin: str | None = None) -> str:
        result = subprocess.run(["kubectl", "--kubeconfig", str(control_plane.kubeconfig), *args],
                                input=stdin, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout
    return run


@pytest.fixture(scope="module")
def namespace(api: kubernetes.client.ApiClient) -> Iterator[str]:
    """A fresh namespace; it also holds the every-minute CronJob, created first so that its
    tick overlaps the other proofs (see test_cronjob_ticks_and_its_job_completes)."""
    core, batch = kubernetes.client.CoreV1Api(api), kubernetes.client.BatchV1Api(api)
    name = f"proofs-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    eventually(lambda: core.read_namespaced_service_account("default", name), what="default SA")
    batch.create_namespaced_cron_job(name, cronjob("ticker", schedule="* * * * *"))
    yield name
    core.delete_namespace(name)


@pytest.fixture(scope="module")
def widgets(api: kubernetes.client.ApiClient, kubectl: Callable[..., str],
            namespace: str) -> Iterator[kubernetes.client.CustomObjectsApi]:
    extensions = kubernetes.client.ApiextensionsV1Api(api)
    extensions.create_custom_resource_definition(CRD)

    def established() -> None:
        crd = extensions.read_custom_resource_definition(CRD_NAME)
        assert any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])
    eventually(established, what="CRD Established")
    yield kubernetes.client.CustomObjectsApi(api)
    extensions.delete_custom_resource_definition(CRD_NAME)


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "metadata": {"name": name}, "spec": spec}


def cronjob(name: str, *, schedule: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
        "spec": {
            "schedule": schedule, "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": IMAGE, "command": ["true"]}],
            }}}},
        },
    }


def create_widget(widgets: kubernetes.client.CustomObjectsApi, namespace: str,
                  body: dict[str, Any]) -> dict[str, Any]:
    # CRD discovery can trail Established by a moment.
    return eventually(lambda: widgets.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body),
                      timeout=10, what="the Widget API")


def rejection(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ApiException) as caught:
        call()
    body = json.loads(caught.value.body)
    return caught.value.status, body["message"] + json.dumps(body.get("details", {}))


# --------------------------------------------------------------------------- CRDs


def test_crd_schema_rejects_invalid_objects_naming_the_field(widgets, namespace):
    def create(body: dict[str, Any]) -> Any:
        return widgets.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    create_widget(widgets, namespace, widget("probe", size=1))

    status, message = rejection(lambda: create(widget("too-big", size=11)))
    assert status == 422 and "spec.size" in message and "10" in message, message

    status, message = rejection(lambda: create(widget("bad-mode", size=1, mode="warp")))
    assert status == 422 and "spec.mode" in message and "fast" in message, message

    status, message = rejection(lambda: create(widget("no-size", mode="slow")))
    assert status == 422 and "spec.size" in message and "Required" in message, message

    status, message = rejection(lambda: create(widget("crossed", size=1, low=5, high=2)))  # CEL
    assert status == 422 and "spec.low" in message and "low must not exceed high" in message, message


def test_crd_prunes_unknown_fields_and_applies_defaults(widgets, namespace):
    created = create_widget(widgets, namespace, widget("pruned", size=3, colour="red", nested={"a": 1}))
    stored = widgets.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "pruned")
    assert stored["spec"] == {"size": 3, "mode": "fast"} == created["spec"]


def test_status_subresource_and_generation(widgets, namespace):
    body = widget("phased", size=2)
    body["status"] = {"phase": "Sneaked"}
    created = create_widget(widgets, namespace, body)
    assert "status" not in created or "phase" not in created["status"]  # dropped on create
    assert created["metadata"]["generation"] == 1

    patched = widgets.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, "phased", {"status": {"phase": "Ready", "count": 2},
                                                       "spec": {"size": 9}})
    assert patched["status"] == {"phase": "Ready", "count": 2}
    assert patched["spec"]["size"] == 2 and patched["metadata"]["generation"] == 1  # spec untouched

    patched = widgets.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "phased", {"spec": {"size": 4}, "status": {"phase": "Lost"}})
    assert patched["spec"]["size"] == 4 and patched["metadata"]["generation"] == 2
    assert patched["status"]["phase"] == "Ready"  # status untouched by the main endpoint

    stale = dict(patched, spec={"size": 5})
    stale["metadata"] = dict(patched["metadata"], resourceVersion=created["metadata"]["resourceVersion"])
    status, _ = rejection(lambda: widgets.replace_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "phased", stale))
    assert status == 409


def test_kubectl_get_shows_the_printer_columns(widgets, namespace, kubectl):
    create_widget(widgets, namespace, widget("printed", size=7, mode="slow"))
    widgets.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "printed",
                                                  {"status": {"phase": "Shiny"}})
    lines = kubectl("get", "widgets", "printed", "-n", namespace).splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "MODE", "PHASE", "AGE"]
    assert lines[1].split()[:4] == ["printed", "7", "slow", "Shiny"]
    assert "printed" in kubectl("get", "wdg", "-n", namespace, "-o", "name")  # short name


# --------------------------------------------------------------------------- workloads


def test_deployment_becomes_available_on_kwok_nodes(api, namespace):
    apps, core = kubernetes.client.AppsV1Api(api), kubernetes.client.CoreV1Api(api)
    labels = {"app": "served-model"}
    apps.create_namespaced_deployment(namespace, {
        "metadata": {"name": "served-model"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "server", "image": IMAGE,
                                     "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}}]},
        }},
    })

    def available() -> Any:
        deployment = apps.read_namespaced_deployment("served-model", namespace)
        assert condition(deployment, "Available") == "True", deployment.status
        assert deployment.status.available_replicas == 2 and deployment.status.ready_replicas == 2
        return deployment
    deployment = eventually(available, timeout=60, what="Deployment Available")
    assert deployment.status.observed_generation == deployment.metadata.generation

    pods = core.list_namespaced_pod(namespace, label_selector="app=served-model").items
    assert len(pods) == 2
    for pod in pods:
        assert pod.status.phase == "Running" and pod.spec.node_name.startswith("kwok-node-")
        assert pod.metadata.owner_references[0].kind == "ReplicaSet"
        assert pod.spec.service_account_name == "default"  # ServiceAccount admission
        assert any(v.projected for v in pod.spec.volumes or [])  # its projected token volume


def test_job_created_from_a_cronjob_runs_to_completion(api, namespace, kubectl):
    batch = kubernetes.client.BatchV1Api(api)
    batch.create_namespaced_cron_job(namespace, cronjob("nightly", schedule="0 3 * * *"))
    kubectl("create", "job", "nightly-manual", "--from=cronjob/nightly", "-n", namespace)

    def complete() -> Any:
        job = batch.read_namespaced_job("nightly-manual", namespace)
        assert condition(job, "Complete") == "True", job.status
        return job
    job = eventually(complete, timeout=60, what="Job Complete")
    assert job.status.succeeded == 1
    assert job.metadata.owner_references[0].kind == "CronJob"


def test_job_pods_report_exit_codes_and_termination_messages(api, namespace):
    """hack/k8s/kwok-stages.yaml: annotations on a Job's pods say how its containers end."""
    batch, core = kubernetes.client.BatchV1Api(api), kubernetes.client.CoreV1Api(api)
    result = json.dumps({"modelUri": "s3://models/credit/7", "metrics": {"accuracy": 0.91}})

    def job(name: str, annotations: dict[str, str]) -> dict[str, Any]:
        return {"metadata": {"name": name}, "spec": {"backoffLimit": 0, "template": {
            "metadata": {"annotations": annotations},
            "spec": {"restartPolicy": "Never",
                     "containers": [{"name": "train", "image": IMAGE}]}}}}
    batch.create_namespaced_job(namespace, job("trained", {
        "kwok.modelmon.io/termination-message": result, "kwok.modelmon.io/run-duration": "1s"}))
    batch.create_namespaced_job(namespace, job("crashed", {"kwok.modelmon.io/exit-code": "3"}))

    def finished(name: str, kind: str) -> Any:
        found = batch.read_namespaced_job(name, namespace)
        assert condition(found, kind) == "True", found.status
        return found
    trained = eventually(lambda: finished("trained", "Complete"), timeout=60, what="Job Complete")
    eventually(lambda: finished("crashed", "Failed"), timeout=60, what="Job Failed")

    (pod,) = core.list_namespaced_pod(namespace, label_selector="job-name=trained").items
    terminated = pod.status.container_statuses[0].state.terminated
    assert (pod.status.phase, terminated.exit_code, terminated.message) == ("Succeeded", 0, result)
    assert (trained.status.completion_time - trained.status.start_time).total_seconds() >= 1
    (pod,) = core.list_namespaced_pod(namespace, label_selector="job-name=crashed").items
    terminated = pod.status.container_statuses[0].state.terminated
    assert (pod.status.phase, terminated.exit_code, terminated.reason) == ("Failed", 3, "Error")


# --------------------------------------------------------------------------- garbage collection


def owned_configmap(name: str, owner: dict[str, Any], *, api_version: str, kind: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "ownerReferences": [{
        "apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
        "data": {"k": "v"}}


def gone(read: Callable[[], Any]) -> None:
    try:
        read()
    except ApiException as error:
        assert error.status == 404
        return
    raise AssertionError("still there")


def test_foreground_deletion_waits_for_owned_children(api, namespace):
    core = kubernetes.client.CoreV1Api(api)
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}}).to_dict()
    core.create_namespaced_config_map(namespace, owned_configmap(
        "child-of-configmap", {"metadata": {"name": "owner", "uid": owner["metadata"]["uid"]}},
        api_version="v1", kind="ConfigMap"))
    core.delete_namespaced_config_map("owner", namespace, propagation_policy="Foreground")
    eventually(lambda: gone(lambda: core.read_namespaced_config_map("child-of-configmap", namespace)),
               timeout=30, what="the child ConfigMap to be collected")
    eventually(lambda: gone(lambda: core.read_namespaced_config_map("owner", namespace)),
               timeout=30, what="the owner to go after its child")


# --------------------------------------------------------------------------- identity


def test_service_account_tokens_are_issued_and_rbac_applies(api, control_plane, namespace):
    core = kubernetes.client.CoreV1Api(api)
    token = core.create_namespaced_service_account_token("default", namespace, {
        "spec": {"expirationSeconds": 600}}).status.token
    configuration = kubernetes.client.Configuration()
    configuration.host = control_plane.server
    configuration.ssl_ca_cert = str(control_plane.ca_file)
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with kubernetes.client.ApiClient(configuration) as as_account:
        review = kubernetes.client.AuthenticationV1Api(as_account).create_self_subject_review({})
        assert review.status.user_info.username == f"system:serviceaccount:{namespace}:default"
        status, message = rejection(lambda: kubernetes.client.CoreV1Api(as_account)
                                    .list_namespaced_secret(namespace))
        assert status == 403 and "cannot list resource" in message, message


# --------------------------------------------------------------------------- late: GC of CR children, the cron tick


def test_children_of_a_custom_resource_are_garbage_collected(api, widgets, namespace):
    """Late in the module: the garbage collector notices a new CRD at its next discovery
    sync (every 30 s in kube-controller-manager), as in any cluster."""
    core = kubernetes.client.CoreV1Api(api)
    owner = create_widget(widgets, namespace, widget("parent", size=1))
    core.create_namespaced_config_map(namespace, owned_configmap(
        "child-of-widget", owner, api_version=f"{GROUP}/{VERSION}", kind=KIND))
    widgets.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "parent")
    # The garbage collector learns of a new CRD at its next discovery resync (every 30 s),
    # so a child of a brand-new kind can wait that long before its owner's deletion is seen.
    eventually(lambda: gone(lambda: core.read_namespaced_config_map("child-of-widget", namespace)),
               timeout=90, what="the child ConfigMap to be collected")





def test_cronjob_ticks_and_its_job_completes(api, namespace):
    """The `ticker` CronJob (every minute) was created with the namespace: its first Job
    comes at the next minute boundary, so this waits at most ~60 s less the earlier proofs."""
    batch = kubernetes.client.BatchV1Api(api)

    def succeeded() -> Any:
        cron = batch.read_namespaced_cron_job("ticker", namespace)
        assert cron.status.last_successful_time is not None, cron.status
        return cron
    cron = eventually(succeeded, timeout=90, what="the CronJob's first successful run")
    jobs = [j for j in batch.list_namespaced_job(namespace).items
            if j.metadata.owner_references and j.metadata.owner_references[0].name == "ticker"]
    assert jobs and all(condition(j, "Complete") == "True" for j in jobs)
    assert cron.status.last_schedule_time is not None
