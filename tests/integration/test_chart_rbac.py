"""The chart's RBAC is enough: the real operator, logged in with a token of the chart's own
ServiceAccount bound only to the chart's rendered ClusterRole, reconciles a ModelMonitor end to
end on a real kube-apiserver (which enforces RBAC, including its escalation check when the
operator creates the drift-check job's Role), without a single 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kopf
import kubernetes
import pytest
import yaml

from modelmon.controller import handlers
from modelmon_kits.emulation import operator_thread
from modelmon.k8s import client as k8s_client
from modelmon import check_job
from modelmon.manifests import checkjob
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

from support.namespaces import fresh_namespace
from support.ports import free_port
from support.waiting import wait_for
from support.chart_cluster import (
    GROUP,
    PLURAL,
    RELEASE_NAMESPACE,
    VERSION,
    TokenCluster,
    chart_admin,
    condition,
    downward_api,
    get_monitor,
    install_rbac,
    kubectl,
    token_kubeconfig,
)
from support.monitors import monitor_body
from unit.chart.chart_rendering import render

ROOT = Path(__file__).resolve().parents[2]

DATA = ROOT / "examples" / "data"

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def admin(control_plane) -> kubernetes.client.ApiClient:
    return chart_admin(control_plane)


class Complaints(logging.Handler):
    """Warnings and errors of kopf and the operator that mean a right was missing.

    Objects that earlier tests left in namespaces still terminating (their RetrainingJobs
    keep kopf's finalizer) are resumed by each new operator, and a terminating namespace
    refuses new objects with 403: complaints about objects elsewhere are not this test's.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []
        self.namespaces: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not any(sign in message for sign in ("403", "Forbidden", "forbidden", "Not enough permissions")):
            return
        about = (getattr(record, "k8s_ref", None) or {}).get("namespace")
        ours = about in self.namespaces or any(namespace in message for namespace in self.namespaces)
        # kopf's own complaints about cluster-level rights (namespaces, CRDs) name no object
        # and no namespaced path.
        cluster_level = about is None and record.name.startswith("kopf.") and "/namespaces/" not in message
        if not (ours or cluster_level):
            return
        self.records.append(f"{record.name}: {message}")


@pytest.fixture
def complaints() -> Iterator[Complaints]:
    handler = Complaints()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture
def namespace(admin) -> Iterator[str]:
    with fresh_namespace(admin, prefix="rbac") as name:
        yield name


def test_the_chart_service_account_runs_a_monitor_end_to_end(control_plane, admin, namespace, complaints):
    complaints.namespaces.add(namespace)
    identity = install_rbac(control_plane, admin, {})
    as_operator = identity.api_client()
    # The token really is the chart's account, and it holds no more than the ClusterRole.
    with pytest.raises(kubernetes.client.ApiException) as refused:
        kubernetes.client.CoreV1Api(as_operator).list_namespaced_secret(namespace)
    assert refused.value.status == 403

    core, batch = kubernetes.client.CoreV1Api(admin), kubernetes.client.BatchV1Api(admin)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "credit-data"}, "data": {
        "reference.csv": (DATA / "reference.csv").read_text(),
        "current.csv": (DATA / "current-drifted.csv").read_text()}})
    metrics = OperatorMetrics()
    with operator_thread.running_operator(identity, settings=OperatorSettings(check_image="modelmon:test"),
                                          metrics=metrics):
        kubernetes.client.CustomObjectsApi(admin).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, monitor_body("credit"))

        # Children, including a Role the API server lets it create only if it holds those rights.
        body = wait_for(lambda: (b := get_monitor(admin, namespace, "credit")) and (c := condition(b, "Ready"))
                        and c["status"] == "True" and b, what="Ready=True", timeout=90)
        assert condition(body, "Ready")["reason"] == "Reconciled"
        account = checkjob.account_name("credit")
        role = kubernetes.client.RbacAuthorizationV1Api(admin).read_namespaced_role(account, namespace)
        assert {tuple(r.resources) for r in role.rules} == {("modelmonitors",), ("modelmonitors/status",),
                                                            ("configmaps",)}
        assert batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.owner_references

        # The check job's report drives health, conditions and Events through the operator.
        with k8s_client.use(admin):
            check_job.run_monitor_check(namespace=namespace, name="credit")
        body = wait_for(lambda: (b := get_monitor(admin, namespace, "credit"))["status"].get("health") == "Critical"
                        and b, what="health Critical")
        assert condition(body, "Drifted")["status"] == "True"
        wait_for(lambda: [e for e in core.list_namespaced_event(namespace).items
                          if e.involved_object.name == "credit" and e.reason == "DriftDetected"],
                 what="a DriftDetected Event posted by the operator's account")

        # Check-now: a Job created and the annotation removed (a patch of the monitor).
        kubernetes.client.CustomObjectsApi(admin).patch_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, "credit", {"metadata": {"annotations": {"modelmon.io/check-now": "1"}}})
        wait_for(lambda: batch.list_namespaced_job(namespace, label_selector="modelmon.io/monitor=credit").items,
                 what="a check-now Job")
        wait_for(lambda: "modelmon.io/check-now" not in (get_monitor(admin, namespace, "credit")["metadata"]
                                                         .get("annotations") or {}), what="annotation cleared")

        # A deleted CronJob is noticed through the operator's watch and recreated.
        old = batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.uid
        batch.delete_namespaced_cron_job("credit-drift-check", namespace)
        wait_for(lambda: batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.uid != old,
                 what="the CronJob recreated")
    assert complaints.records == []



def test_the_chart_service_account_trains_a_model(control_plane, admin, namespace, complaints):
    """A RetrainingJob's whole training path under the chart's rights: the queue lists Jobs,
    the training Job is created and watched, its pod's termination message is read, and the
    RetrainingJob's and the monitor's status are written."""
    complaints.namespaces.add(namespace)
    identity = install_rbac(control_plane, admin, {})
    custom = kubernetes.client.CustomObjectsApi(admin)
    result = json.dumps({"modelUri": "s3://models/credit/2/model.onnx", "version": "2", "sha256": "ab" * 32,
                         "metrics": {"accuracy": 0.9}})
    settings = OperatorSettings(check_image="modelmon:test", retraining_poll_seconds=1)
    with operator_thread.running_operator(identity, settings=settings, metrics=OperatorMetrics()):
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("credit"))
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "RetrainingJob", "metadata": {"name": "r1"},
            "spec": {"monitorRef": {"name": "credit"}, "reason": "manual", "jobTemplate": {"spec": {"template": {
                "metadata": {"annotations": {"kwok.modelmon.io/termination-message": result}},
                "spec": {"containers": [{"name": "train", "image": "registry.invalid/trainer:1"}]}}}}}})
        body = wait_for(lambda: (b := custom.get_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs",
                                                                         "r1"))
                        and (b.get("status") or {}).get("phase") in ("Succeeded", "Failed") and b,
                        what="the RetrainingJob finished", timeout=90)
        assert body["status"]["phase"] == "Succeeded", body["status"]
        assert body["status"]["model"]["version"] == "2"
        wait_for(lambda: ((get_monitor(admin, namespace, "credit").get("status") or {}).get("retraining") or {})
                 .get("last"), what="the monitor's status.retraining")
    assert complaints.records == []


@contextlib.contextmanager
def operator_watching(identity: TokenCluster, namespaces: list[str]) -> Iterator[None]:
    """The operator as `modelmon run --namespace NS...` runs it: kopf not cluster-wide.
    (The shared runner in modelmon_kits.emulation is cluster-wide only.)"""
    registry = kopf.OperatorRegistry()
    handlers.register(registry, settings=OperatorSettings(check_image="modelmon:test", namespaces=namespaces),
                      metrics=OperatorMetrics())

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return identity.connection_info()

    stop, ready = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(kopf.operator(registry=registry, standalone=True, clusterwide=False, namespaces=namespaces,
                                      stop_flag=stop, ready_flag=ready))
        except BaseException as error:  # reported below
            failure.append(error)
            ready.set()

    with k8s_client.process_wide(identity.api_client()):
        thread = threading.Thread(target=main, name="kopf-namespaced", daemon=True)
        thread.start()
        assert ready.wait(60) and not failure, f"the operator did not start: {failure}"
        try:
            yield
        finally:
            stop.set()
            thread.join(30)


def test_namespaced_install_reconciles_in_its_namespaces_and_nowhere_else(control_plane, admin, complaints):
    watched, other = f"rbac-{uuid.uuid4().hex[:8]}", f"rbac-{uuid.uuid4().hex[:8]}"
    complaints.namespaces.update({watched, other})
    core = kubernetes.client.CoreV1Api(admin)
    for name in (watched, other):
        core.create_namespace({"metadata": {"name": name}})
    try:
        # A separate release name: its Roles and ClusterRole differ from the cluster-wide test's.
        identity = install_rbac(control_plane, admin, {"watchNamespaces": [watched], "fullnameOverride": "mm-ns"})
        as_operator = identity.api_client()
        custom = kubernetes.client.CustomObjectsApi(as_operator)
        custom.list_namespaced_custom_object(GROUP, VERSION, watched, PLURAL)
        with pytest.raises(kubernetes.client.ApiException) as refused:
            custom.list_namespaced_custom_object(GROUP, VERSION, other, PLURAL)
        assert refused.value.status == 403
        with pytest.raises(kubernetes.client.ApiException) as refused:
            custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
        assert refused.value.status == 403

        with operator_watching(identity, [watched]):
            for name in (watched, other):
                kubernetes.client.CustomObjectsApi(admin).create_namespaced_custom_object(
                    GROUP, VERSION, name, PLURAL, monitor_body("credit"))
            wait_for(lambda: (c := condition(get_monitor(admin, watched, "credit"), "Ready")) and c["status"] == "True",
                     what="Ready=True in the watched namespace", timeout=90)
            kubernetes.client.BatchV1Api(admin).read_namespaced_cron_job("credit-drift-check", watched)
            # The unwatched namespace's monitor is left alone (and no right was needed there).
            assert "status" not in get_monitor(admin, other, "credit")
        assert complaints.records == []
    finally:
        for name in (watched, other):
            core.delete_namespace(name)


#: The order in which `helm install` creates kinds (Helm's InstallOrder, for the kinds we render).
HELM_ORDER = ["ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service",
              "Deployment", "PodDisruptionBudget"]


@contextlib.contextmanager
def restricted_release(control_plane: Any, admin: kubernetes.client.ApiClient,
                       values: dict[str, Any]) -> Iterator[tuple[str, kubernetes.client.CoreV1Api]]:
    """The rendered release applied as `helm install` would, in a namespace enforcing the
    restricted Pod Security Standard (the ServiceMonitor needs Prometheus Operator's CRDs)."""
    release_namespace = f"psa-{uuid.uuid4().hex[:8]}"
    core = kubernetes.client.CoreV1Api(admin)
    core.create_namespace({"metadata": {"name": release_namespace, "labels": {
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}}})
    try:
        documents = sorted((d for d in render({"fullnameOverride": "mm-psa", **values}, namespace=release_namespace)
                            if d["apiVersion"] != "monitoring.coreos.com/v1"
                            and d["kind"] not in ("CustomResourceDefinition", "ValidatingAdmissionPolicy",
                                                  "ValidatingAdmissionPolicyBinding")),
                           key=lambda d: HELM_ORDER.index(d["kind"]))
        kubectl(control_plane, "apply", "-f", "-", input=yaml.safe_dump_all(documents))
        yield release_namespace, core
    finally:
        core.delete_namespace(release_namespace)
        kubectl(control_plane, "delete", "clusterrole,clusterrolebinding", "mm-psa", "--ignore-not-found")


def operator_pods(core: kubernetes.client.CoreV1Api, namespace: str) -> list[Any]:
    return core.list_namespaced_pod(namespace, label_selector="app.kubernetes.io/instance=mm,"
                                                              "app.kubernetes.io/component=operator").items


def test_the_rendered_release_is_admitted_under_the_restricted_pod_security_standard(control_plane, admin):
    """Every rendered object, Deployment included, is accepted by a real kube-apiserver, and
    the operator's pod is created in a namespace that enforces the restricted standard."""
    values = {"podDisruptionBudget": {"enabled": True}, "dashboard": {"enabled": True},
              "operator": {"logFormat": "json"}}
    with restricted_release(control_plane, admin, values) as (namespace, core):
        pods = wait_for(lambda: len(operator_pods(core, namespace)) == 2 and operator_pods(core, namespace),
                        what="the operator's two pods (active and standby)")
        assert pods[0].spec.service_account_name == "mm-psa"
        assert pods[0].spec.containers[0].security_context.read_only_root_filesystem is True
        refused = [e.message for e in core.list_namespaced_event(namespace).items if "PodSecurity" in (e.message or "")]
        assert refused == []


def test_the_same_namespace_refuses_a_weakened_pod(control_plane, admin):
    """The control: PodSecurity admission is on, so the test above would catch a weakened pod."""
    weakened = {"securityContext": {"allowPrivilegeEscalation": True, "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}}
    with restricted_release(control_plane, admin, weakened) as (namespace, core):
        refused = wait_for(lambda: [e.message for e in core.list_namespaced_event(namespace).items
                                    if e.reason == "FailedCreate" and "violates PodSecurity" in (e.message or "")],
                           what="the pod refused by PodSecurity admission")
        assert "allowPrivilegeEscalation" in refused[0]
        assert operator_pods(core, namespace) == []


def impersonating(admin: kubernetes.client.ApiClient, user: str) -> kubernetes.client.ApiClient:
    api = kubernetes.client.ApiClient(admin.configuration)
    api.set_default_header("Impersonate-User", user)
    return api


def test_people_with_the_built_in_edit_role_may_apply_monitors_and_viewers_may_read_them(control_plane, admin,
                                                                                         namespace):
    install_rbac(control_plane, admin, {})
    rbac = kubernetes.client.RbacAuthorizationV1Api(admin)
    for user, role in (("alice", "edit"), ("bob", "view")):
        rbac.create_namespaced_role_binding(namespace, {
            "metadata": {"name": f"{user}-{role}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]})
    alice = kubernetes.client.CustomObjectsApi(impersonating(admin, "alice"))
    bob = kubernetes.client.CustomObjectsApi(impersonating(admin, "bob"))
    # The aggregation controller merges the chart's rules into edit and view.
    wait_for(lambda: alice.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("credit")),
             what="alice (edit) may create a ModelMonitor")
    assert [m["metadata"]["name"] for m in
            bob.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["items"]] == ["credit"]
    bob.list_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs")
    refusals = [
        lambda: bob.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("other")),
        lambda: alice.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, "credit",
                                                            {"status": {"health": "Healthy"}}),
    ]
    for attempt in refusals:
        with pytest.raises(kubernetes.client.ApiException) as refused:
            attempt()
        assert refused.value.status == 403


def http_get(url: str) -> tuple[int, str]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_the_deployments_own_command_runs_the_operator_its_probes_and_metrics(control_plane, admin, namespace,
                                                                              tmp_path):
    """The container's command exactly as the Deployment renders it (args and env), as the
    chart's account: the operator starts, its probe endpoint and /metrics answer on the
    ports the Deployment declares, a monitor is reconciled, and SIGTERM stops it in time."""
    metrics_port, health_port = free_port(), free_port()
    values = {"operator": {"metricsPort": metrics_port, "healthPort": health_port, "logFormat": "json"}}
    identity = install_rbac(control_plane, admin, values)
    container = next(d for d in render(values, namespace=RELEASE_NAMESPACE)
                     if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    probe = container["livenessProbe"]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith(("MODELMON_", "KUBECONFIG"))},
                   **{e["name"]: e["value"] if "value" in e else downward_api(e["valueFrom"]) for e in container["env"]},
                   "KUBECONFIG": str(token_kubeconfig(tmp_path / "operator.kubeconfig", identity)), "HOME": str(tmp_path)}
    entrypoint = shutil.which("modelmon")
    assert entrypoint, "the modelmon console script is installed with the package"
    log = (tmp_path / "operator.log").open("w+")
    process = subprocess.Popen([entrypoint, *container["args"]], env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = f"http://127.0.0.1:{ports[probe['port']]}{probe['path']}"

        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"the operator exited with {process.returncode}:\n{log.read()[-3000:]}", pytrace=False)
            try:
                if http_get(health)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"{health} did not answer within 60 s"
            time.sleep(0.25)
        status, exposition = http_get(f"http://127.0.0.1:{ports['metrics']}/metrics")
        assert status == 200 and "# TYPE modelmon_monitor_health gauge" in exposition
        kubernetes.client.CustomObjectsApi(admin).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, monitor_body("credit"))
        wait_for(lambda: (c := condition(get_monitor(admin, namespace, "credit"), "Ready")) and c["status"] == "True",
                 what="Ready=True from the operator process", timeout=90)
        process.send_signal(signal.SIGTERM)
        grace = next(d for d in render(values, namespace=RELEASE_NAMESPACE) if d["kind"] == "Deployment")[
            "spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert process.wait(grace) is not None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        log.seek(0)
        output = log.read()
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines), output[-2000:]  # --log-format=json
    # Refusals about objects in other modules' namespaces, still terminating, are not this test's.
    refused = [entry for entry in map(json.loads, lines) if "403" in entry["message"] or "Forbidden" in entry["message"]]
    def ours(entry: dict) -> bool:
        about = entry.get("object", {}).get("namespace")
        if about is not None:
            return bool(about == namespace)
        # Our own loggers name the object in the message ("... for NAMESPACE/NAME: 403"): a
        # refusal about another test module's (terminating) namespace is not this test's.
        others = set(re.findall(r"\b(?:rbac|t)-[0-9a-f]{8}\b", entry["message"])) - {namespace}
        return not others

    assert not [entry for entry in refused if ours(entry)], output[-3000:]
