"""The drift-check CronJob and its RBAC: valid against the official schemas, hardened, minimal."""

import kubernetes_validate
import pydantic
import pytest

from modelmon.api import monitor as api
from modelmon.manifests import checkjob
from modelmon.manifests.naming import child_name

K8S_VERSION = "1.33"


def spec(**extra):
    raw = {"model": {"name": "credit"}, "schedule": "*/10 * * * *",
           "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
           "current": {"uri": "file:///data/current.csv"}}
    raw.update(extra)
    return api.parse_spec(raw)


def children(**extra):
    return {m["kind"]: m for m in checkjob.build_children(monitor="credit", namespace="ml", uid="u-1", spec=spec(**extra),
                                                          image="modelmon:test")}


@pytest.mark.parametrize("kind", ["ServiceAccount", "Role", "RoleBinding", "CronJob"])
def test_validates_against_official_schema(kind):
    kubernetes_validate.validate(children(checkJob={"volumeClaim": "data"})[kind], K8S_VERSION, strict=True)


def test_job_from_cronjob_validates():
    job = checkjob.build_job_from_cronjob(children()["CronJob"], name="credit-check-abc")
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    assert job["metadata"]["ownerReferences"][0]["name"] == "credit"


def test_cronjob_runs_the_check_of_this_monitor_hardened():
    cron = children()["CronJob"]
    assert cron["spec"]["schedule"] == "*/10 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["startingDeadlineSeconds"] > 0
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 600 and job["backoffLimit"] == 2
    pod = job["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == ["check", "--monitor", "ml/credit"]
    assert container["image"] == "modelmon:test"
    ctx = container["securityContext"]
    assert ctx == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                   "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["serviceAccountName"] == checkjob.account_name("credit")
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_suspend_and_image_override():
    cron = children(suspend=True, checkJob={"image": "mine:1"})["CronJob"]
    assert cron["spec"]["suspend"] is True
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "mine:1"


def test_every_child_is_owned_by_the_monitor():
    for manifest in children().values():
        (owner,) = manifest["metadata"]["ownerReferences"]
        assert owner == {"apiVersion": "modelmon.io/v1alpha1", "kind": "ModelMonitor", "name": "credit",
                         "uid": "u-1", "controller": True, "blockOwnerDeletion": True}


def test_role_grants_only_reading_this_monitor_and_patching_its_status():
    rules = children()["Role"]["rules"]
    assert rules == [
        {"apiGroups": ["modelmon.io"], "resources": ["modelmonitors"], "resourceNames": ["credit"], "verbs": ["get"]},
        {"apiGroups": ["modelmon.io"], "resources": ["modelmonitors/status"], "resourceNames": ["credit"],
         "verbs": ["get", "patch"]},
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["credit-data"], "verbs": ["get"]},
    ]


def test_role_also_reads_a_ground_truth_configmap():
    truth = {"configMapKeyRef": {"name": "labels", "key": "labels.csv"}}
    rules = children(performance={"task": "classification", "predictionColumn": "prediction",
                                  "targetColumn": "label",
                                  "baseline": {"accuracy": 0.65}, "groundTruth": {**truth, "idColumn": "id"}})["Role"]["rules"]
    assert rules[-1] == {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["credit-data", "labels"],
                         "verbs": ["get"]}


def test_secret_env_reaches_the_check_container_by_reference_only():
    env = [{"name": "AWS_ACCESS_KEY_ID", "secretKeyRef": {"name": "minio", "key": "access"}},
           {"name": "AWS_SECRET_ACCESS_KEY", "secretKeyRef": {"name": "minio", "key": "secret"}}]
    container = children(checkJob={"env": env})["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"][0]
    assert container["env"][1:] == [
        {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": "minio", "key": "access"}}},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "minio", "key": "secret"}}}]
    with pytest.raises(Exception, match="twice"):
        spec(checkJob={"env": env + env[:1]})
    with pytest.raises(Exception, match="MODELMON_MONITOR"):
        spec(checkJob={"env": [{"name": "MODELMON_MONITOR", "secretKeyRef": {"name": "x", "key": "y"}}]})
    with pytest.raises(pydantic.ValidationError):
        spec(checkJob={"env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "plain"}]})  # values only from Secrets


def test_names_are_deterministic_and_bounded():
    long = "m" * 80
    assert child_name(long, "drift-check") == child_name(long, "drift-check")
    assert len(checkjob.cronjob_name(long)) <= 52
    assert child_name("a" * 80, "x") != child_name("a" * 79 + "b", "x")
