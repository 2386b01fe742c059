"""The training Job and the triggered RetrainingJob: valid against the official schemas, owned, hardened."""

from __future__ import annotations

import kubernetes_validate
import pytest

from modelmon.api.retraining import RetrainingJobSpec, RetrainingTemplate, TriggerRecord
from modelmon.manifests import training

K8S_VERSION = "1.33"
CONTAINER = {"name": "train", "image": "trainer:1", "args": ["--epochs", "3"]}


def spec(pod=None, job=None, metadata=None) -> RetrainingJobSpec:
    template = {"spec": {**(job or {}), "template": {"metadata": {"annotations": {"a": "b"}},
                                                     "spec": pod or {"containers": [dict(CONTAINER)]}}}}
    if metadata:
        template["metadata"] = metadata
    return RetrainingJobSpec.model_validate({"monitorRef": {"name": "credit"}, "reason": "drift", "jobTemplate": template})


def build(s=None, **changes):
    arguments = dict(name="credit-retrain-1a2b3c4d", namespace="ml", uid="u-1", spec=s or spec(), parent_version="1.4",
                     active_deadline_seconds=3600, backoff_limit=1)
    arguments.update(changes)
    return training.build_training_job(**arguments)


def test_validates_against_the_official_schema():
    kubernetes_validate.validate(build(), K8S_VERSION, strict=True)


def test_owned_named_and_labelled():
    job = build()
    meta = job["metadata"]
    assert meta["name"] == "credit-retrain-1a2b3c4d-train"
    assert meta["ownerReferences"] == [{"apiVersion": "modelmon.io/v1alpha1", "kind": "RetrainingJob",
                                        "name": "credit-retrain-1a2b3c4d", "uid": "u-1", "controller": True,
                                        "blockOwnerDeletion": True}]
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["modelmon.io/retrainingjob"] == "credit-retrain-1a2b3c4d" and labels["modelmon.io/monitor"] == "credit"
    assert job["spec"]["template"]["metadata"]["annotations"] == {"a": "b"}  # the user's, kept


def test_defaults_are_filled_in_and_hardened():
    job = build()
    assert (job["spec"]["activeDeadlineSeconds"], job["spec"]["backoffLimit"]) == (3600, 1)
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400  # a day, then the Job and its pods go
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    (container,) = pod["containers"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
    assert container["terminationMessagePolicy"] == "File"
    assert container["volumeMounts"] == [{"name": "modelmon-tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "modelmon-tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "MODELMON_MONITOR": "ml/credit", "MODELMON_RETRAINING_JOB": "ml/credit-retrain-1a2b3c4d",
        "MODELMON_REASON": "drift", "MODELMON_PARENT_VERSION": "1.4"}
    assert container["args"] == ["--epochs", "3"]


def test_the_templates_explicit_choices_win():
    pod = {"restartPolicy": "OnFailure", "serviceAccountName": "trainer", "automountServiceAccountToken": True,
           "securityContext": {"runAsUser": 1000},
           "containers": [{**CONTAINER, "securityContext": {"readOnlyRootFilesystem": False},
                           "env": [{"name": "MODELMON_REASON", "value": "mine"}],
                           "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}]}],
           "volumes": [{"name": "scratch", "emptyDir": {}}]}
    job = build(spec(pod=pod, job={"backoffLimit": 4, "activeDeadlineSeconds": 60, "ttlSecondsAfterFinished": 0}))
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    assert (job["spec"]["backoffLimit"], job["spec"]["activeDeadlineSeconds"]) == (4, 60)
    assert job["spec"]["ttlSecondsAfterFinished"] == 0
    built = job["spec"]["template"]["spec"]
    assert (built["restartPolicy"], built["automountServiceAccountToken"]) == ("OnFailure", True)
    assert built["securityContext"]["runAsUser"] == 1000 and built["securityContext"]["runAsNonRoot"] is True
    (container,) = built["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert [e["value"] for e in container["env"] if e["name"] == "MODELMON_REASON"] == ["mine"]
    assert built["volumes"] == [{"name": "scratch", "emptyDir": {}}]  # /tmp is the user's


def test_the_spec_is_not_mutated():
    s = spec()
    before = s.model_dump()
    build(s)
    build(s)
    assert s.model_dump() == before


def test_long_names_stay_within_label_limits():
    name = training.retraining_job_name("m" * 80, uid="u", key="drift/t")
    assert len(name) <= 57 and len(training.job_name(name)) <= 63


def test_retraining_job_names_are_deterministic_per_firing():
    first = training.retraining_job_name("credit", uid="u-1", key="drift/t1/first")
    assert first == training.retraining_job_name("credit", uid="u-1", key="drift/t1/first")
    assert first != training.retraining_job_name("credit", uid="u-1", key="drift/t2/first")
    assert first != training.retraining_job_name("credit", uid="u-2", key="drift/t1/first")
    assert first.startswith("credit-retrain-")


ROLLOUT = {"targetRef": {"name": "credit"}, "handover": {"env": {"sha256": "MODEL_SHA256"}},
           "strategy": {"canary": {"steps": [{"setWeight": 20}]}}}


def test_the_triggered_retraining_job_is_owned_by_the_monitor_and_valid():
    template = RetrainingTemplate.model_validate({
        "jobTemplate": {"spec": {"template": {"spec": {"containers": [CONTAINER]}}}},
        "validation": {"metrics": [{"name": "accuracy", "min": 0.8}]}, "rollout": ROLLOUT})
    rtj = training.build_retraining_job(monitor="credit", namespace="ml", uid="u-1", name="credit-retrain-x",
                                        template=template, reason="drift", priority="high")
    assert rtj["metadata"]["ownerReferences"][0] == {"apiVersion": "modelmon.io/v1alpha1", "kind": "ModelMonitor",
                                                     "name": "credit", "uid": "u-1", "controller": True,
                                                     "blockOwnerDeletion": True}
    assert rtj["spec"]["validation"] == {"metrics": [{"name": "accuracy", "min": 0.8}]}
    parsed = RetrainingJobSpec.model_validate(rtj["spec"])
    assert (parsed.reason, parsed.priority) == ("drift", "high")
    assert parsed.rollout is not None and parsed.rollout.model_dump(by_alias=True, exclude_defaults=True) == ROLLOUT
    assert "trigger" not in rtj["spec"]


def test_the_retraining_job_of_a_trigger_records_what_fired_it():
    template = RetrainingTemplate.model_validate({"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [CONTAINER]}}}}})
    fired = TriggerRecord(check_time="2026-03-10T11:00:00Z", features=["age"],
                          message="critical drift in the last check: age drifted")
    rtj = training.build_retraining_job(monitor="credit", namespace="ml", uid="u-1", name="credit-retrain-x",
                                        template=template, reason="drift", priority="high", trigger=fired)
    assert rtj["spec"]["trigger"] == {"checkTime": "2026-03-10T11:00:00Z", "features": ["age"],
                                      "message": "critical drift in the last check: age drifted"}
    assert RetrainingJobSpec.model_validate(rtj["spec"]).trigger == fired


@pytest.mark.parametrize(("template", "fragment"), [
    ({}, "containers must list the training container"),
    ({"spec": {"template": {"spec": {"containers": []}}}}, "containers must list the training container"),
    ({"spec": {"template": {"spec": {"containers": [{"name": "t"}]}}}}, "containers[0] needs a name and an image"),
])
def test_a_template_without_a_runnable_container_is_rejected(template, fragment):
    with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        RetrainingJobSpec.model_validate({"monitorRef": {"name": "c"}, "reason": "manual", "jobTemplate": template})


UNTARGETED = {key: value for key, value in ROLLOUT.items() if key != "targetRef"}


@pytest.mark.parametrize(("rollout", "deployment", "target"), [
    pytest.param(UNTARGETED, "credit-default", {"name": "credit-default"}, id="deploymentRef-is-the-default"),
    pytest.param(ROLLOUT, "credit-default", {"name": "credit"}, id="the-templates-targetRef-wins"),
])
def test_the_monitors_deployment_is_the_rollouts_default_target(rollout, deployment, target):
    template = RetrainingTemplate.model_validate({
        "jobTemplate": {"spec": {"template": {"spec": {"containers": [CONTAINER]}}}}, "rollout": rollout})
    rtj = training.build_retraining_job(monitor="credit", namespace="ml", uid="u-1", name="credit-retrain-x",
                                        template=template, reason="drift", priority="high", deployment=deployment)
    assert rtj["spec"]["rollout"]["targetRef"] == target
    assert RetrainingJobSpec.model_validate(rtj["spec"]).rollout.target_ref.name == target["name"]
    assert template.rollout == rollout  # the template itself is not changed


def test_without_a_rollout_the_deployment_adds_none():
    template = RetrainingTemplate.model_validate({"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [CONTAINER]}}}}})
    rtj = training.build_retraining_job(monitor="credit", namespace="ml", uid="u-1", name="credit-retrain-x",
                                        template=template, reason="drift", priority="high", deployment="credit-default")
    assert "rollout" not in rtj["spec"]
