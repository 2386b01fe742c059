"""The operator against a real control plane: children, status, events, metrics, GC, RBAC.

kube-apiserver, controller-manager (garbage collector, jobs) and kwok come from the
``control_plane`` fixture; the operator runs in-process; the drift-check job's code runs
in-process too (kwok's pods run no containers), as the job's own ServiceAccount.
"""

from __future__ import annotations

import kubernetes
import pytest

from modelmon.k8s import client as k8s_client
from modelmon import check_job
from modelmon.manifests import checkjob
from support.monitors import (
    DATA,
    GROUP,
    PLURAL,
    VERSION,
    condition,
    create_monitor,
    events_of,
    get_monitor,
    impersonating,
    monitor_body,
    patch_monitor,
    put_data,
    ready,
)
from support.waiting import wait_for

pytestmark = pytest.mark.cluster


def test_monitor_gets_its_children_and_ready_status(kube, operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit"))
    body = wait_for(lambda: ready(kube, namespace, "credit"), what="Ready=True")
    assert body["status"]["health"] == "Unknown"
    assert body["status"]["checkCronJob"] == "credit-drift-check"
    batch, rbac = kubernetes.client.BatchV1Api(kube), kubernetes.client.RbacAuthorizationV1Api(kube)
    cron = batch.read_namespaced_cron_job("credit-drift-check", namespace)
    assert cron.spec.schedule == "*/30 * * * *"
    assert cron.spec.concurrency_policy == "Forbid"
    container = cron.spec.job_template.spec.template.spec.containers[0]
    assert container.args == ["check", "--monitor", f"{namespace}/credit"]
    assert container.security_context.read_only_root_filesystem is True
    assert cron.metadata.owner_references[0].uid == body["metadata"]["uid"]
    role = rbac.read_namespaced_role(checkjob.account_name("credit"), namespace)
    assert {tuple(r.resources) for r in role.rules} == {("modelmonitors",), ("modelmonitors/status",), ("configmaps",)}
    rbac.read_namespaced_role_binding(checkjob.account_name("credit"), namespace)
    kubernetes.client.CoreV1Api(kube).read_namespaced_service_account(checkjob.account_name("credit"), namespace)


def test_spec_change_patches_the_cronjob_and_a_no_op_changes_nothing(kube, operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    batch = kubernetes.client.BatchV1Api(kube)
    before = batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.resource_version
    patch_monitor(kube, namespace, "credit", {"metadata": {"labels": {"team": "risk"}}})
    wait_for(lambda: get_monitor(kube, namespace, "credit")["metadata"].get("annotations", {}).get(
        "kopf.modelmon.io/last-handled-configuration", "").find("risk") >= 0, what="the label change handled")
    assert batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.resource_version == before
    patch_monitor(kube, namespace, "credit", {"spec": {"schedule": "*/5 * * * *", "suspend": True}})
    cron = wait_for(lambda: (c := batch.read_namespaced_cron_job("credit-drift-check", namespace))
                    .spec.schedule == "*/5 * * * *" and c, what="schedule patched")
    assert cron.spec.suspend is True
    wait_for(lambda: ready(kube, namespace, "credit"), what="observedGeneration caught up")


def test_check_as_the_job_account_drives_health_conditions_events_and_metrics(kube, operator, namespace, control_plane,
                                                                               metrics):
    put_data(kube, namespace, current="current-drifted.csv")
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    as_job = impersonating(control_plane, namespace, checkjob.account_name("credit"))
    with k8s_client.use(as_job):
        outcome = check_job.run_monitor_check(namespace=namespace, name="credit")
    assert outcome.report is not None and outcome.report.dataset.drifted is True
    body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit"))["status"].get("health") == "Critical" and b,
                    what="health Critical")
    assert body["status"]["lastCheck"]["dataset"]["drifted"] is True
    assert body["status"]["driftedFeatures"] >= 3
    assert condition(body, "Drifted")["status"] == "True"
    assert condition(body, "DataQualityDegraded")["status"] == "True"
    assert condition(body, "Ready")["status"] == "True"
    warnings = wait_for(lambda: [e for e in events_of(kube, namespace, "credit") if e.type == "Warning"],
                        what="a Warning event")
    assert any(e.reason == "DriftDetected" for e in warnings)
    wait_for(lambda: metrics.registry.get_sample_value(
        "modelmon_monitor_health", {"namespace": namespace, "monitor": "credit", "state": "Critical"}) == 1.0,
        what="health served from the status the watch saw")
    income = metrics.registry.get_sample_value("modelmon_feature_drift_severity",
                                               {"namespace": namespace, "monitor": "credit", "feature": "income"})
    assert income and income > 50

    # The data recovers: the next check brings health back and a Normal event.
    core = kubernetes.client.CoreV1Api(kube)
    core.patch_namespaced_config_map("credit-data", namespace,
                                     {"data": {"current.csv": (DATA / "current-stable.csv").read_text()}})
    with k8s_client.use(as_job):
        check_job.run_monitor_check(namespace=namespace, name="credit", clock=lambda: 4102444800.0)
    wait_for(lambda: get_monitor(kube, namespace, "credit")["status"].get("health") in ("Healthy", "Warning"),
             what="recovery")
    assert wait_for(lambda: [e for e in events_of(kube, namespace, "credit") if e.type == "Normal"
                             and e.reason == "Recovered"], what="a Recovered event")


def test_job_account_is_minimal(kube, operator, namespace, control_plane):
    put_data(kube, namespace, current="current-stable.csv")
    create_monitor(kube, namespace, monitor_body("credit"))
    create_monitor(kube, namespace, monitor_body("other"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    as_job = impersonating(control_plane, namespace, checkjob.account_name("credit"))
    custom = kubernetes.client.CustomObjectsApi(as_job)
    custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")
    forbidden = [
        lambda: custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL),
        lambda: custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "other"),
        lambda: custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit",
                                                      {"spec": {"suspend": True}}),
        lambda: kubernetes.client.CoreV1Api(as_job).list_namespaced_secret(namespace),
        lambda: kubernetes.client.BatchV1Api(as_job).list_namespaced_job(namespace),
    ]
    for attempt in forbidden:
        with pytest.raises(kubernetes.client.ApiException) as raised:
            attempt()
        assert raised.value.status == 403


def test_unreadable_data_is_reported_as_data_unavailable(kube, operator, namespace, control_plane):
    create_monitor(kube, namespace, monitor_body("credit"))  # its ConfigMap does not exist
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    with k8s_client.use(impersonating(control_plane, namespace, checkjob.account_name("credit"))):
        outcome = check_job.run_monitor_check(namespace=namespace, name="credit")
    assert outcome.report is None and "credit-data" in outcome.last_check["error"]
    body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit")) and condition(b, "DataUnavailable") and b,
                    what="DataUnavailable")
    assert condition(body, "DataUnavailable")["status"] == "True"
    assert body["status"]["health"] == "Unknown"


def test_invalid_spec_is_reported_and_fixing_it_recovers(kube, operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit", schedule="0 25 * * *"))
    body = wait_for(lambda: (b := get_monitor(kube, namespace, "credit")) and condition(b, "Ready") and b,
                    what="a Ready condition")
    ready_condition = condition(body, "Ready")
    assert ready_condition["status"] == "False" and ready_condition["reason"] == "InvalidSpec"
    assert "spec.schedule" in ready_condition["message"]
    assert wait_for(lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "InvalidSpec"],
                    what="an InvalidSpec event")
    batch = kubernetes.client.BatchV1Api(kube)
    with pytest.raises(kubernetes.client.ApiException):
        batch.read_namespaced_cron_job("credit-drift-check", namespace)
    patch_monitor(kube, namespace, "credit", {"spec": {"schedule": "0 5 * * *"}})
    wait_for(lambda: ready(kube, namespace, "credit"), what="recovery after the fix")
    assert batch.read_namespaced_cron_job("credit-drift-check", namespace).spec.schedule == "0 5 * * *"


def test_check_now_starts_a_job_and_clears_the_annotation(kube, operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    patch_monitor(kube, namespace, "credit", {"metadata": {"annotations": {"modelmon.io/check-now": "1"}}})
    batch = kubernetes.client.BatchV1Api(kube)
    jobs = wait_for(lambda: batch.list_namespaced_job(namespace, label_selector="modelmon.io/monitor=credit").items,
                    what="a check Job")
    assert jobs[0].spec.template.spec.containers[0].args == ["check", "--monitor", f"{namespace}/credit"]
    wait_for(lambda: "modelmon.io/check-now" not in (get_monitor(kube, namespace, "credit")["metadata"]
                                                     .get("annotations") or {}), what="annotation cleared")


def test_deleted_cronjob_is_recreated_and_deleting_the_monitor_removes_children(kube, operator, namespace):
    create_monitor(kube, namespace, monitor_body("credit"))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    batch = kubernetes.client.BatchV1Api(kube)
    old = batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.uid
    batch.delete_namespaced_cron_job("credit-drift-check", namespace)
    wait_for(lambda: batch.read_namespaced_cron_job("credit-drift-check", namespace).metadata.uid != old,
             what="CronJob recreated")
    kubernetes.client.CustomObjectsApi(kube).delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")

    def gone():
        try:
            batch.read_namespaced_cron_job("credit-drift-check", namespace)
        except kubernetes.client.ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, timeout=90, what="garbage collection of the CronJob")
    rbac = kubernetes.client.RbacAuthorizationV1Api(kube)
    wait_for(lambda: not rbac.list_namespaced_role(namespace, label_selector="modelmon.io/monitor=credit").items,
             what="garbage collection of the Role")
