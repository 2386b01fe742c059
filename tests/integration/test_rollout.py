"""Rollouts against the real control plane (the Deployment and ReplicaSet controllers, kwok's
nodes making pods Ready) and a real Prometheus scraping an exporter whose values the test sets.

Each test creates the target Deployment and its Service, then a RetrainingJob whose status it
sets to RollingOut with the new model (what the retraining controller does after validation),
then starts the operator: from there the rollout controller alone drives it.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import kubernetes
import prometheus_client
import pytest

from modelmon.cli import main as cli_main
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

from operator_harness import running_operator
from support.clients import apps, core, objects
from support.waiting import wait_for

GROUP, VERSION = "modelmon.io", "v1alpha1"
IMAGE = "registry.invalid/modelmon/credit-server:1"  # never pulled: kwok plays the kubelet
OLD = {"MODEL_URI": "s3://models/credit/1/model.onnx", "MODEL_VERSION": "1"}
NEW_MODEL = {"uri": "s3://models/credit/2/model.onnx", "version": "2", "sha256": "ab" * 32, "metrics": {"accuracy": 0.9}}
SETTINGS = OperatorSettings(check_image="modelmon:test", retraining_poll_seconds=1)

NAMESPACE_PREFIX = "ro"

GENERATED_CRDS = True  # both kinds, as the models generate them (conftest.kube)
pytestmark = pytest.mark.cluster


@pytest.fixture
def metrics():
    return OperatorMetrics()


def plain(kube, obj):
    return kube.sanitize_for_serialization(obj)


def create_target(kube, namespace, *, replicas=2):
    labels = {"app": "credit"}
    env = [{"name": "LOG_LEVEL", "value": "info"}, *({"name": k, "value": v} for k, v in OLD.items())]
    apps(kube).create_namespaced_deployment(namespace, {
        "metadata": {"name": "credit", "labels": {"team": "risk"}, "annotations": {"owner": "risk-team"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": {**labels, "tier": "serving"}},
            "spec": {"containers": [{"name": "server", "image": IMAGE, "env": env,
                                     "ports": [{"containerPort": 8080}]}]}}}})
    core(kube).create_namespaced_service(namespace, {
        "metadata": {"name": "credit"}, "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}})
    wait_for(lambda: (apps(kube).read_namespaced_deployment("credit", namespace).status.ready_replicas or 0)
             == replicas, what="target Deployment ready", timeout=90)
    return plain(kube, apps(kube).read_namespaced_deployment("credit", namespace))


def start_rollout(kube, namespace, rollout, *, name="credit-retrain"):
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "RetrainingJob", "metadata": {"name": name},
            "spec": {"monitorRef": {"name": "credit"}, "reason": "manual",
                     "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                         {"name": "train", "image": "registry.invalid/train:1"}]}}}},
                     "rollout": rollout}}
    objects(kube).create_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", body)
    # What the retraining controller writes once the new model is validated.
    objects(kube).patch_namespaced_custom_object_status(GROUP, VERSION, namespace, "retrainingjobs", name, {
        "status": {"phase": "RollingOut", "reason": "RolloutRequested", "message": "validated; rolling out",
                   "model": NEW_MODEL, "previousModel": {"name": "credit", "version": "1"}}})


def rtj(kube, namespace, name="credit-retrain"):
    return objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", name)


def final_phase(kube, namespace, name="credit-retrain"):
    phase = (rtj(kube, namespace, name).get("status") or {}).get("phase")
    return phase if phase in ("Succeeded", "RolledBack", "Failed") else None


def env_of(deployment):
    return {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def events_of(kube, namespace, name="credit-retrain"):
    items = core(kube).list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items
    return [(e.reason, e.message) for e in sorted(items, key=lambda e: e.metadata.creation_timestamp)]


def quality_template(address, query, *, minimum=0.9, count=2):
    return {"name": "quality", "interval": "1s", "count": count,
            "metrics": [{"name": "accuracy", "min": minimum,
                         "prometheus": {"address": address, "query": query}}]}


def canary_rollout(prometheus, **extra):
    rollout = {"targetRef": {"name": "credit"}, "container": "server",
               "handover": {"env": {"uri": "MODEL_URI", "version": "MODEL_VERSION"}},
               "strategy": {"canary": {"steps": [{"setWeight": 34}, {"analysis": {"template": "quality"}},
                                                 {"setWeight": 50}]}},
               "analysisTemplates": [quality_template(prometheus.address, 'model_accuracy{track="canary"}')],
               "progressDeadline": "2m"}
    rollout.update(extra)
    return rollout


def test_a_good_canary_is_promoted_and_the_target_carries_the_new_model(kube, namespace, prometheus, exporter,
                                                                         metrics):
    exporter.accuracy.labels("canary").set(0.93)
    prometheus.wait_for_value('model_accuracy{track="canary"}', 0.93)
    before = create_target(kube, namespace)
    start_rollout(kube, namespace, canary_rollout(prometheus))
    seen: dict[str, Any] = {}
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        def canary_serving():
            deployment = plain(kube, apps(kube).read_namespaced_deployment("credit-canary", namespace))
            seen["canary"] = deployment
            return (deployment["status"].get("readyReplicas") or 0) >= 1
        wait_for(canary_serving, what="canary Deployment ready", timeout=90)
        pods = core(kube).list_namespaced_pod(namespace, label_selector="app=credit").items
        assert any(p.metadata.labels.get("modelmon.io/track") == "canary" for p in pods), \
            "the Service's selector (app=credit) selects the canary's pods"
        wait_for(lambda: final_phase(kube, namespace), what="rollout finished", timeout=180)
    body = rtj(kube, namespace)
    status = body["status"]
    assert status["phase"] == "Succeeded", status
    assert status["reason"] == "RolledOut"
    rollout = status["rollout"]
    assert rollout["phase"] == "Succeeded" and rollout["weight"] == 50
    run = rollout["analysisRuns"][0]
    assert run["phase"] == "Successful" and run["rounds"] == 2
    assert [m["value"] for m in run["measurements"]] == [0.93, 0.93]

    canary = seen["canary"]
    assert canary["metadata"]["ownerReferences"][0]["uid"] == body["metadata"]["uid"]
    assert canary["spec"]["template"]["metadata"]["labels"] == {
        "app": "credit", "tier": "serving", "modelmon.io/track": "canary", "modelmon.io/rollout": "credit-retrain"}
    assert env_of(canary)["MODEL_URI"] == NEW_MODEL["uri"] and env_of(canary)["LOG_LEVEL"] == "info"

    after = plain(kube, apps(kube).read_namespaced_deployment("credit", namespace))
    assert env_of(after) == {"LOG_LEVEL": "info", "MODEL_URI": NEW_MODEL["uri"], "MODEL_VERSION": "2"}
    assert after["status"]["updatedReplicas"] == 2 and after["status"]["availableReplicas"] == 2
    # nothing but the hand-over changed: GitOps sees only the declared field move
    for path in (("metadata", "labels"), ("spec", "replicas"), ("spec", "selector"),
                 ("spec", "template", "metadata")):
        assert _get(after, path) == _get(before, path), path
    revision = "deployment.kubernetes.io/revision"  # the Deployment controller's own bookkeeping
    assert {k: v for k, v in after["metadata"]["annotations"].items() if k != revision} == {"owner": "risk-team"}
    managers = {(m["manager"], m["operation"]) for m in after["metadata"]["managedFields"]}
    assert ("modelmon", "Update") in managers, "Argo CD can trust the field manager (managedFieldsManagers)"
    container_before = dict(before["spec"]["template"]["spec"]["containers"][0], env=None)
    container_after = dict(after["spec"]["template"]["spec"]["containers"][0], env=None)
    assert container_after == container_before
    wait_for(lambda: _gone(kube, namespace, "credit-canary"), what="canary deleted", timeout=30)

    reasons = [reason for reason, _ in events_of(kube, namespace)]
    for reason in ("RolloutStarted", "WeightSet", "WeightReached", "AnalysisStarted", "AnalysisSuccessful",
                   "Promoting", "RolledOut"):
        assert reason in reasons, reasons
    succeeded = f'modelmon_rollout_phase{{namespace="{namespace}",phase="Succeeded",retrainingjob="credit-retrain"}} 1.0'
    exposed = wait_for(lambda: (text := prometheus_client.generate_latest(metrics.registry).decode())
                       and succeeded in text and text, what="the rollout's phase served from its status")
    assert (f'modelmon_rollout_analysis_measurements_total{{metric="accuracy",namespace="{namespace}",'
            f'result="successful",retrainingjob="credit-retrain"}} 2.0') in exposed


def test_a_bad_canary_is_rolled_back_and_the_target_is_untouched(kube, namespace, prometheus, exporter, metrics):
    exporter.accuracy.labels("bad").set(0.61)
    prometheus.wait_for_value('model_accuracy{track="bad"}', 0.61)
    before = create_target(kube, namespace)
    rollout = canary_rollout(prometheus, analysisTemplates=[
        quality_template(prometheus.address, 'model_accuracy{track="bad"}')])
    start_rollout(kube, namespace, rollout)
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: final_phase(kube, namespace), what="rollout finished", timeout=180)
        wait_for(lambda: _gone(kube, namespace, "credit-canary"), what="canary deleted", timeout=30)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "RolledBack" and status["reason"] == "AnalysisFailed", status
    assert "0.61 is below min 0.9" in status["rollout"]["analysisRuns"][0]["measurements"][0]["message"]
    assert "serves the previous model" in status["message"]
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["Complete"] == ("False", "AnalysisFailed")
    after = plain(kube, apps(kube).read_namespaced_deployment("credit", namespace))
    assert after["metadata"]["generation"] == before["metadata"]["generation"], "the target was never patched"
    assert env_of(after) == env_of(before)
    assert ("RollingBack" in [r for r, _ in events_of(kube, namespace)]
            or any("rolling back" in m for _, m in events_of(kube, namespace)))


def test_no_data_pauses_and_a_person_decides_with_the_cli(kube, namespace, prometheus, metrics):
    create_target(kube, namespace, replicas=1)
    rollout = canary_rollout(prometheus, analysisTemplates=[
        quality_template(prometheus.address, 'model_accuracy{track="nobody"}', count=1)])
    start_rollout(kube, namespace, rollout)
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: (rtj(kube, namespace)["status"].get("rollout") or {}).get("pausedReason")
                 == "AnalysisInconclusive", what="paused on no data", timeout=120)
        paused = {c["type"]: c for c in rtj(kube, namespace)["status"]["conditions"]}["Paused"]
        assert (paused["status"], paused["reason"]) == ("True", "AnalysisInconclusive")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli_main(["rollout", "status", "credit-retrain", "-n", namespace]) == 0
        text = out.getvalue()
        assert "PAUSED (AnalysisInconclusive)" in text and "no series" in text and "Inconclusive" in text
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli_main(["rollout", "abort", "credit-retrain", "-n", namespace]) == 0
        wait_for(lambda: final_phase(kube, namespace), what="aborted rollout finished", timeout=60)
    body = rtj(kube, namespace)
    assert body["status"]["phase"] == "RolledBack" and body["status"]["reason"] == "Aborted"
    assert "modelmon.io/abort" not in (body["metadata"].get("annotations") or {}), "the annotation is consumed"
    paused = {c["type"]: c for c in body["status"]["conditions"]}["Paused"]
    assert (paused["status"], paused["reason"]) == ("False", "RollingBack")
    assert env_of(plain(kube, apps(kube).read_namespaced_deployment("credit", namespace)))["MODEL_VERSION"] == "1"


def blue_green_rollout(prometheus, query, **blue_green):
    return {"targetRef": {"name": "credit"}, "handover": {"env": {}},
            "strategy": {"blueGreen": {"activeService": "credit", "postPromotionAnalysis": "quality",
                                       "scaleDownDelay": "1s", **blue_green}},
            "analysisTemplates": [quality_template(prometheus.address, query, count=3)],
            "progressDeadline": "2m"}


def test_blue_green_switches_the_service_and_back_on_post_promotion_failure(kube, namespace, prometheus, exporter,
                                                                            metrics):
    exporter.accuracy.labels("green").set(0.4)
    prometheus.wait_for_value('model_accuracy{track="green"}', 0.4)
    before = create_target(kube, namespace)
    start_rollout(kube, namespace, blue_green_rollout(prometheus, 'model_accuracy{track="green"}'))
    switched = {"modelmon.io/track": "preview", "modelmon.io/rollout": "credit-retrain"}
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: core(kube).read_namespaced_service("credit", namespace).spec.selector == switched,
                 what="active Service switched to the preview", timeout=120)
        preview = plain(kube, apps(kube).read_namespaced_deployment("credit-preview", namespace))
        assert "app" not in preview["spec"]["template"]["metadata"]["labels"], \
            "the preview's pods lack the active Service's own key, so they got no traffic before the switch"
        assert preview["spec"]["selector"]["matchLabels"] == switched
        wait_for(lambda: final_phase(kube, namespace), what="rollout finished", timeout=120)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "RolledBack" and status["reason"] == "AnalysisFailed", status
    assert core(kube).read_namespaced_service("credit", namespace).spec.selector == {"app": "credit"}
    assert status["rollout"]["originalSelectors"] == {"credit": {"app": "credit"}}
    wait_for(lambda: _gone(kube, namespace, "credit-preview"), what="preview deleted", timeout=30)
    after = plain(kube, apps(kube).read_namespaced_deployment("credit", namespace))
    assert after["metadata"]["generation"] == before["metadata"]["generation"] and env_of(after) == env_of(before)
    reasons = [r for r, _ in events_of(kube, namespace)]
    assert "ServiceSwitched" in reasons and "AnalysisFailed" in reasons and "RolledBack" in reasons


def test_blue_green_good_model_is_promoted_and_the_service_restored(kube, namespace, prometheus, exporter, metrics):
    exporter.accuracy.labels("blue-good").set(0.97)
    prometheus.wait_for_value('model_accuracy{track="blue-good"}', 0.97)
    create_target(kube, namespace)
    core(kube).create_namespaced_service(namespace, {"metadata": {"name": "credit-preview"}, "spec": {
        "selector": {"app": "credit"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    start_rollout(kube, namespace, blue_green_rollout(prometheus, 'model_accuracy{track="blue-good"}',
                                                      previewService="credit-preview"))
    switched = {"modelmon.io/track": "preview", "modelmon.io/rollout": "credit-retrain"}
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: core(kube).read_namespaced_service("credit-preview", namespace).spec.selector == switched,
                 what="the preview Service selects the new model", timeout=90)
        wait_for(lambda: final_phase(kube, namespace), what="rollout finished", timeout=180)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "Succeeded", status
    assert status["rollout"]["originalSelectors"] == {"credit": {"app": "credit"}, "credit-preview": {"app": "credit"}}
    assert core(kube).read_namespaced_service("credit", namespace).spec.selector == {"app": "credit"}
    assert core(kube).read_namespaced_service("credit-preview", namespace).spec.selector == {"app": "credit"}
    after = plain(kube, apps(kube).read_namespaced_deployment("credit", namespace))
    assert env_of(after)["MODEL_VERSION"] == "2" and after["status"]["availableReplicas"] == 2
    assert _gone(kube, namespace, "credit-preview")


def _get(body, path):
    for key in path:
        body = (body or {}).get(key)
    return body


def _gone(kube, namespace, name):
    try:
        apps(kube).read_namespaced_deployment(name, namespace)
    except kubernetes.client.ApiException as error:
        return error.status == 404
    return False


def test_an_operator_restart_mid_pause_resumes_from_status(kube, namespace, prometheus, exporter, metrics):
    exporter.accuracy.labels("resume").set(0.95)
    prometheus.wait_for_value('model_accuracy{track="resume"}', 0.95)
    create_target(kube, namespace, replicas=1)
    rollout = canary_rollout(prometheus, analysisTemplates=[
        quality_template(prometheus.address, 'model_accuracy{track="resume"}')])
    rollout["strategy"]["canary"]["steps"] = [{"setWeight": 50}, {"pause": {}}, {"analysis": {"template": "quality"}}]
    start_rollout(kube, namespace, rollout)
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: (rtj(kube, namespace)["status"].get("rollout") or {}).get("pausedReason") == "Paused",
                 what="paused at step 2", timeout=90)
    paused = rtj(kube, namespace)["status"]["rollout"]
    # while no operator runs, a person promotes; a new operator process picks it up from status
    objects(kube).patch_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", "credit-retrain",
                                                 {"metadata": {"annotations": {"modelmon.io/promote": "true"}}})
    with running_operator(api=kube, settings=SETTINGS, metrics=OperatorMetrics()):
        wait_for(lambda: final_phase(kube, namespace), what="rollout finished after the restart", timeout=120)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "Succeeded", status
    assert status["rollout"]["startedAt"] == paused["startedAt"], "resumed, not restarted"
    assert [r["phase"] for r in status["rollout"]["analysisRuns"]] == ["Successful"]
    reasons = [r for r, _ in events_of(kube, namespace)]
    assert reasons.count("RolloutStarted") == 1 and reasons.count("WeightSet") == 1, "no step ran twice"
    assert "Promoted" in reasons


def test_retry_restarts_a_rolled_back_rollout(kube, namespace, prometheus, exporter, metrics):
    exporter.accuracy.labels("flaky").set(0.5)
    prometheus.wait_for_value('model_accuracy{track="flaky"}', 0.5)
    create_target(kube, namespace, replicas=1)
    rollout = canary_rollout(prometheus, analysisTemplates=[
        quality_template(prometheus.address, 'model_accuracy{track="flaky"}', count=1)])
    start_rollout(kube, namespace, rollout)
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: final_phase(kube, namespace) == "RolledBack", what="first attempt rolled back", timeout=120)
        exporter.accuracy.labels("flaky").set(0.96)  # the metric's source was fixed
        prometheus.wait_for_value('model_accuracy{track="flaky"}', 0.96)
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli_main(["rollout", "retry", "credit-retrain", "-n", namespace]) == 0
        wait_for(lambda: rtj(kube, namespace)["status"]["phase"] == "RollingOut", what="rolling out again",
                 timeout=30)
        wait_for(lambda: final_phase(kube, namespace), what="second attempt finished", timeout=120)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "Succeeded", status
    assert [r["phase"] for r in status["rollout"]["analysisRuns"]] == ["Failed", "Successful"]
    assert env_of(plain(kube, apps(kube).read_namespaced_deployment("credit", namespace)))["MODEL_VERSION"] == "2"


def test_a_missing_target_fails_with_a_message_naming_the_field(kube, namespace, prometheus, metrics):
    start_rollout(kube, namespace, canary_rollout(prometheus, targetRef={"name": "no-such-deployment"}))
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: final_phase(kube, namespace), what="rollout failed", timeout=60)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "Failed" and status["reason"] == "TargetNotFound"
    assert "no-such-deployment (spec.rollout.targetRef) does not exist" in status["message"]
    assert apps(kube).list_namespaced_deployment(namespace).items == []


def test_a_model_monitor_of_the_canary_is_evidence_only_after_the_run_started(kube, namespace, prometheus, metrics):
    import datetime

    create_target(kube, namespace, replicas=1)
    objects(kube).create_namespaced_custom_object(GROUP, VERSION, namespace, "modelmonitors", {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": "credit-canary"},
        "spec": {"model": {"name": "credit", "version": "2"}, "schedule": "0 0 1 1 *",
                 "reference": {"uri": "file:///data/ref.csv"}, "current": {"uri": "file:///data/canary.csv"},
                 "performance": {"task": "classification", "predictionColumn": "pred", "targetColumn": "label",
                                 "baseline": {"accuracy": 0.9}}}})
    rollout = canary_rollout(prometheus, analysisTemplates=[{
        "name": "quality", "interval": "2s", "count": 5, "inconclusiveLimit": 5,
        "metrics": [{"name": "canary-accuracy", "min": 0.85,
                     "modelMonitor": {"name": "credit-canary", "measure": "performance.accuracy"}}]}])
    start_rollout(kube, namespace, rollout)
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        def measured():
            runs = (rtj(kube, namespace)["status"].get("rollout") or {}).get("analysisRuns") or []
            return runs and runs[0]["measurements"]
        first = wait_for(measured, what="a first measurement", timeout=90)[0]
        assert first["result"] == "Inconclusive" and "no check since the analysis started" in first["message"]
        finished = datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        objects(kube).patch_namespaced_custom_object_status(GROUP, VERSION, namespace, "modelmonitors",
                                                            "credit-canary", {"status": {"lastCheck": {
            "time": finished, "durationSeconds": 1.0, "currentRows": 500, "performance": {
                "task": "classification", "labelled": 500, "unlabelled": 0, "severity": "ok", "metrics": [
                    {"metric": "accuracy", "window": "last 500", "samples": 500, "value": 0.91, "baseline": 0.9,
                     "severity": "ok"}]}}}})
        wait_for(lambda: final_phase(kube, namespace), what="rollout finished", timeout=120)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "Succeeded", status
    run = status["rollout"]["analysisRuns"][0]
    assert run["phase"] == "Successful" and run["counts"]["canary-accuracy"]["successful"] >= 1
    assert run["counts"]["canary-accuracy"]["inconclusive"] >= 1
    assert [m["value"] for m in run["measurements"] if m["result"] == "Successful"][0] == 0.91


def test_from_training_to_serving_without_a_hand_written_status(kube, namespace, prometheus, exporter, metrics):
    """The whole loop: kwok runs the training Job (its pod reports the result), the retraining
    controller validates it and hands over at RollingOut, the rollout controller promotes it."""
    import json

    exporter.accuracy.labels("trained").set(0.92)
    prometheus.wait_for_value('model_accuracy{track="trained"}', 0.92)
    create_target(kube, namespace)
    objects(kube).create_namespaced_custom_object(GROUP, VERSION, namespace, "modelmonitors", {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": "credit"},
        "spec": {"model": {"name": "credit", "version": "1"}, "schedule": "0 0 1 1 *",
                 "reference": {"uri": "file:///data/ref.csv"}, "current": {"uri": "file:///data/cur.csv"}}})
    trained = {"modelUri": "s3://models/credit/3/model.onnx", "version": "3", "sha256": "cd" * 32,
               "metrics": {"accuracy": 0.92}}
    rollout = canary_rollout(prometheus, analysisTemplates=[
        quality_template(prometheus.address, 'model_accuracy{track="trained"}')])
    objects(kube).create_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "RetrainingJob", "metadata": {"name": "credit-retrain"},
        "spec": {"monitorRef": {"name": "credit"}, "reason": "manual",
                 "validation": {"metrics": [{"name": "accuracy", "min": 0.9}]},
                 "jobTemplate": {"spec": {"template": {
                     "metadata": {"annotations": {"kwok.modelmon.io/termination-message": json.dumps(trained)}},
                     "spec": {"containers": [{"name": "train", "image": "registry.invalid/train:1"}]}}}},
                 "rollout": rollout}})
    with running_operator(api=kube, settings=SETTINGS, metrics=metrics):
        wait_for(lambda: final_phase(kube, namespace), what="trained, validated and rolled out", timeout=240)
    status = rtj(kube, namespace)["status"]
    assert status["phase"] == "Succeeded" and status["reason"] == "RolledOut", status
    assert status["model"]["version"] == "3" and status["rollout"]["phase"] == "Succeeded"
    after = plain(kube, apps(kube).read_namespaced_deployment("credit", namespace))
    assert env_of(after) == {"LOG_LEVEL": "info", "MODEL_URI": "s3://models/credit/3/model.onnx",
                             "MODEL_VERSION": "3"}
    reasons = [r for r, _ in events_of(kube, namespace)]
    # (Events carry whole seconds: their order within a second is not known)
    assert {"JobCreated", "TrainingFinished", "RolloutRequested", "RolloutStarted", "RolledOut"} <= set(reasons)


@pytest.mark.parametrize(("rollout", "fragments"), [
    ({"handover": {"env": {}, "image": "reg/x:{version}"}}, ["spec.rollout.handover", "exactly one of env, image"]),
    ({"strategy": {"canary": {"steps": [{"setWeight": 10, "pause": {}}]}}},
     ["spec.rollout.strategy.canary.steps[0]", "exactly one of setWeight, pause, analysis"]),
    ({"strategy": {}}, ["spec.rollout.strategy", "exactly one of canary, blueGreen"]),
    ({"progressDeadline": "soon"}, ["spec.rollout.progressDeadline"]),
], ids=["handover", "step", "strategy", "duration"])
def test_the_api_server_rejects_a_bad_rollout_naming_the_field(kube, namespace, rollout, fragments):
    base = {"targetRef": {"name": "credit"}, "handover": {"env": {}},
            "strategy": {"canary": {"steps": [{"setWeight": 10}]}}}
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "RetrainingJob", "metadata": {"name": "bad"},
            "spec": {"monitorRef": {"name": "credit"}, "reason": "manual",
                     "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                         {"name": "train", "image": "registry.invalid/train:1"}]}}}},
                     "rollout": {**base, **rollout}}}
    with pytest.raises(kubernetes.client.ApiException) as refused:
        objects(kube).create_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", body)
    assert refused.value.status == 422
    for fragment in fragments:
        assert fragment in refused.value.body, refused.value.body
