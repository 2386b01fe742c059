"""Day two on the real control plane (#17): two full generations and an undo.

v1 (the spec's) -> drift against v1's reference -> v2 trained, validated, canaried (with analysis) and
promoted -> the monitor judges v2: the next check compares with v2's reference only (no drift, no new
retraining) -> drift against v2's reference -> v3 promoted -> ``modelmon rollout undo`` -> back to v2 by
the same rollout and analysis. Checked at each step: status.activeModel and previousModels, lineage, the
alerts, the RetrainingJobs started (no extra one), the Deployment's model. Then the monitor is deleted
and the garbage collector removes its RetrainingJobs and their training Jobs (ownerReferences).

The check job's code runs in this process (check_job.run_monitor_check) on local files, as the CronJob's
pod would on its volume; kwok plays the kubelet for the training pods and the model server's pods.
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path
from typing import Any

import kubernetes
import numpy as np
import pytest
from kubernetes.client.exceptions import ApiException

from modelmon import check_job, timestamps
from modelmon.cli import main as cli_main
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings

from operator_harness import running_operator
from support.monitors import create_monitor, deployment_monitor_body
from support.waiting import wait_for

GROUP, VERSION = "modelmon.io", "v1alpha1"
IMAGE = "registry.invalid/modelmon/credit-server:1"  # never pulled: kwok plays the kubelet
TRAINER = "registry.invalid/modelmon/trainer:1"
MESSAGE = "kwok.modelmon.io/termination-message"
SETTINGS = OperatorSettings(check_image="modelmon:test", retraining_poll_seconds=1)
NAMESPACE_PREFIX = "am"

GENERATED_CRDS = True  # both kinds, as the models generate them (conftest.kube)
pytestmark = pytest.mark.cluster


def objects(kube):
    return kubernetes.client.CustomObjectsApi(kube)


def write_data(path: Path, *, centre: float, rows: int = 600, seed: int = 1) -> None:
    """A numeric feature around ``centre``; predictions right on 95 % of the rows (accuracy above every baseline)."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, rows)
    pred = np.where(np.arange(rows) % 20 == 0, 1 - label, label)
    lines = [
        "x,pred,label",
        *(f"{x:.5f},{p},{t}" for x, p, t in zip(rng.normal(centre, 1.0, rows), pred, label, strict=True)),
    ]
    path.write_text("\n".join(lines) + "\n")


def trained(version: str, reference: Path) -> str:
    return json.dumps(
        {
            "modelUri": f"s3://models/credit/{version}/model.onnx",
            "version": version,
            "sha256": version[0] * 64,
            "metrics": {"accuracy": 0.9},
            "reference": reference.as_uri(),
        }
    )


def template(prometheus, version: str, reference: Path) -> dict[str, Any]:
    return {
        "jobTemplate": {
            "spec": {
                "template": {
                    "metadata": {"annotations": {MESSAGE: trained(version, reference)}},
                    "spec": {"containers": [{"name": "train", "image": TRAINER}]},
                }
            }
        },
        "validation": {"metrics": [{"name": "accuracy", "minDeltaFromBaseline": -0.05}]},
        "rollout": {
            "container": "server",
            "handover": {"env": {"uri": "MODEL_URI", "version": "MODEL_VERSION"}},
            "strategy": {"canary": {"steps": [{"setWeight": 50}, {"analysis": {"template": "quality"}}]}},
            "analysisTemplates": [
                {
                    "name": "quality",
                    "interval": "1s",
                    "count": 1,
                    "metrics": [
                        {
                            "name": "accuracy",
                            "min": 0.9,
                            "prometheus": {"address": prometheus.address, "query": 'model_accuracy{track="canary"}'},
                        }
                    ],
                }
            ],
            "progressDeadline": "2m",
        },
    }


def create_target(kube, namespace):
    labels = {"app": "credit"}
    env = [
        {"name": "MODEL_URI", "value": "s3://models/credit/1.0/model.onnx"},
        {"name": "MODEL_VERSION", "value": "1.0"},
    ]
    kubernetes.client.AppsV1Api(kube).create_namespaced_deployment(
        namespace,
        {
            "metadata": {"name": "credit"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "server", "image": IMAGE, "env": env}]},
                },
            },
        },
    )
    wait_for(
        lambda: (
            (
                kubernetes.client.AppsV1Api(kube).read_namespaced_deployment("credit", namespace).status.ready_replicas
                or 0
            )
            == 2
        ),
        what="the model's Deployment ready",
        timeout=90,
    )


def model_env(kube, namespace) -> dict[str, str]:
    deployment = kubernetes.client.AppsV1Api(kube).read_namespaced_deployment("credit", namespace)
    return {e.name: e.value for e in deployment.spec.template.spec.containers[0].env}


def monitor(kube, namespace) -> dict[str, Any]:
    return objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, "modelmonitors", "credit")


def rtjs(kube, namespace) -> list[dict[str, Any]]:
    return objects(kube).list_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs")["items"]


def set_template(kube, namespace, body: dict[str, Any]) -> None:
    objects(kube).patch_namespaced_custom_object(
        GROUP, VERSION, namespace, "modelmonitors", "credit", {"spec": {"retraining": {"template": body}}}
    )


def promoted(kube, namespace, version: str) -> dict[str, Any]:
    return wait_for(
        lambda: (lambda s: s if (s.get("activeModel") or {}).get("version") == version else None)(
            monitor(kube, namespace).get("status") or {}
        ),
        what=f"model {version} active",
        timeout=180,
    )


def finished(kube, namespace, name: str) -> dict[str, Any]:
    def done():
        body = objects(kube).get_namespaced_custom_object(GROUP, VERSION, namespace, "retrainingjobs", name)
        return body if (body.get("status") or {}).get("phase") in ("Succeeded", "Failed", "RolledBack") else None

    return wait_for(done, what=f"RetrainingJob {name} finished", timeout=180)


def new_rtj(kube, namespace, known: set[str]) -> dict[str, Any]:
    def fresh_ones() -> list[dict[str, Any]] | str:
        found = [r for r in rtjs(kube, namespace) if r["metadata"]["name"] not in known]
        # when none comes, the failure shows what the trigger decided instead
        return found or ""

    try:
        fresh = wait_for(fresh_ones, what="a new RetrainingJob", timeout=120)
    except AssertionError as error:
        decided = (monitor(kube, namespace).get("status") or {}).get("retraining")
        raise AssertionError(f"{error}; the monitor's retraining status: {decided}") from None
    assert len(fresh) == 1, [r["metadata"]["name"] for r in fresh]
    return fresh[0]


def firing(status: dict[str, Any], kind: str) -> list[str]:
    return [a["subject"] for a in status.get("alerts") or [] if a["type"] == kind and a["state"] == "firing"]


def test_two_generations_then_undo_and_the_monitor_follows(kube, namespace, prometheus, exporter, tmp_path):
    exporter.accuracy.labels("canary").set(0.95)
    prometheus.wait_for_value('model_accuracy{track="canary"}', 0.95)
    ref1, ref2, ref3, current = (tmp_path / n for n in ("ref-1.csv", "ref-2.csv", "ref-3.csv", "current.csv"))
    write_data(ref1, centre=0.0, seed=1)
    write_data(ref2, centre=3.0, seed=2)
    write_data(ref3, centre=6.0, seed=3)
    create_target(kube, namespace)
    create_monitor(
        kube,
        namespace,
        deployment_monitor_body(
            "credit",
            version="1.0",
            features=[{"name": "x", "type": "numeric"}],
            reference={"uri": ref1.as_uri()},
            current={"uri": current.as_uri()},
            performance={
                "task": "classification",
                "predictionColumn": "pred",
                "targetColumn": "label",
                "baseline": {"accuracy": 0.8},
            },
            retraining={
                "enabled": True,
                "cooldown": "1s",
                "minNewSamples": 0,
                "template": template(prometheus, "2.0", ref2),
            },
        ),
    )
    check = lambda: check_job.run_monitor_check(namespace=namespace, name="credit")  # noqa: E731 - the CronJob's pod

    with running_operator(api=kube, settings=SETTINGS, metrics=OperatorMetrics()):
        wait_for(lambda: (monitor(kube, namespace).get("status") or {}).get("conditions"), what="monitor reconciled")

        # generation 1 -> 2: production data moved to around 3; v1's reference is around 0
        write_data(current, centre=3.0, seed=4)
        assert check().last_check["dataset"]["drifted"] is True
        r2 = new_rtj(kube, namespace, set())
        assert r2["spec"]["reason"] == "drift"
        wait_for(lambda: firing(monitor(kube, namespace)["status"], "drift"), what="a drift alert about v1")
        assert finished(kube, namespace, r2["metadata"]["name"])["status"]["phase"] == "Succeeded"
        status = promoted(kube, namespace, "2.0")
        r2_status = finished(kube, namespace, r2["metadata"]["name"])["status"]
        assert r2_status["lineage"] == {"parentVersion": "1.0"}
        assert r2_status["rollout"]["analysisRuns"][0]["phase"] == "Successful"
        active = status["activeModel"]
        assert (active["version"], active["retrainingJob"]) == ("2.0", r2["metadata"]["name"])
        assert active["reference"]["uri"] == ref2.as_uri() and active["baseline"] == {"accuracy": 0.9}
        assert [p["version"] for p in status["previousModels"]] == ["1.0"]
        condition = next(c for c in status["conditions"] if c["type"] == "ActiveModel")
        assert (condition["status"], condition["reason"]) == ("True", "Promoted")
        resolved = wait_for(
            lambda: (lambda s: s if s.get("alerts") and not firing(s, "drift") else None)(
                monitor(kube, namespace)["status"]
            ),
            what="the alerts about v1 resolved",
        )
        assert resolved["alertPromotionSeen"] == f"{r2['metadata']['name']}@{active['promotedAt']}"
        told = [
            e.message
            for e in kubernetes.client.CoreV1Api(kube).list_namespaced_event(namespace).items
            if e.reason == "AlertResolved"
        ]
        assert any("drift/x" in m for m in told), told
        assert model_env(kube, namespace)["MODEL_VERSION"] == "2.0"
        assert monitor(kube, namespace)["spec"]["model"]["version"] == "1.0", "the spec is never written"
        # the old (drifted) check judged v1: it starts nothing, though the cooldown is over
        wait_for(
            lambda: "promotion" in ((monitor(kube, namespace)["status"].get("retraining") or {}).get("decision") or ""),
            what="the trigger's decision after promotion",
        )

        # the same production data, now judged against v2's reference: no drift, no retraining
        outcome = check()
        assert outcome.last_check["dataset"]["drifted"] is False
        assert outcome.last_check["referenceRows"] == 600
        decided = wait_for(
            lambda: (lambda r: r if r.get("lastCountedCheck") == outcome.last_check["time"] else None)(
                monitor(kube, namespace)["status"].get("retraining") or {}
            ),
            what="the check counted",
        )
        assert decided["decision"] == "no trigger fired"
        assert len(rtjs(kube, namespace)) == 1

        # generation 2 -> 3: production moves to around 6; the trainer now reports v3. The cooldown (1 s) runs
        # from the promotion: a check inside it is held, and the trigger is next asked at the next check
        promoted_at = timestamps.parse_time(active["promotedAt"])
        assert promoted_at is not None
        cooldown_over = promoted_at + datetime.timedelta(seconds=1.2)
        time.sleep(max(0.0, (cooldown_over - timestamps.now()).total_seconds()))
        set_template(kube, namespace, template(prometheus, "3.0", ref3))
        write_data(current, centre=6.0, seed=5)
        assert check().last_check["dataset"]["drifted"] is True
        r3 = new_rtj(kube, namespace, {r2["metadata"]["name"]})
        status = promoted(kube, namespace, "3.0")
        r3_status = finished(kube, namespace, r3["metadata"]["name"])["status"]
        assert r3_status["lineage"] == {"parentVersion": "2.0"}, "the parent is the promoted model, not the spec's"
        assert r3_status["previousModel"] == {"name": "credit", "version": "2.0"}
        assert [p["version"] for p in status["previousModels"]] == ["2.0", "1.0"]
        assert status["previousModels"][0]["reference"]["uri"] == ref2.as_uri()
        assert model_env(kube, namespace)["MODEL_VERSION"] == "3.0"
        assert check_job.read_spec(namespace=namespace, name="credit").reference.uri == ref3.as_uri()

        # undo, as a person would: back to v2 by the same rollout and analysis
        assert cli_main(["rollout", "undo", "credit", "-n", namespace]) == 0
        undo = new_rtj(kube, namespace, {r2["metadata"]["name"], r3["metadata"]["name"]})
        assert undo["spec"]["reason"] == "undo" and undo["spec"]["restore"]["model"]["version"] == "2.0"
        status = promoted(kube, namespace, "2.0")
        undo_status = finished(kube, namespace, undo["metadata"]["name"])["status"]
        assert undo_status["phase"] == "Succeeded" and "jobName" not in undo_status, "no training for an undo"
        assert undo_status["rollout"]["analysisRuns"][0]["phase"] == "Successful"
        assert undo_status["lineage"] == {"parentVersion": "3.0"}
        assert status["activeModel"]["retrainingJob"] == undo["metadata"]["name"]
        assert status["activeModel"]["reference"]["uri"] == ref2.as_uri()
        assert [p["version"] for p in status["previousModels"]] == ["3.0", "1.0"]
        assert model_env(kube, namespace) == {"MODEL_URI": "s3://models/credit/2.0/model.onnx", "MODEL_VERSION": "2.0"}
        assert "modelmon.io/undo" not in (monitor(kube, namespace)["metadata"].get("annotations") or {})
        assert check_job.read_spec(namespace=namespace, name="credit").reference.uri == ref2.as_uri()
        assert len(rtjs(kube, namespace)) == 3, "nothing else started"

        # a person's commit of a new reference wins over the active model
        objects(kube).patch_namespaced_custom_object(
            GROUP, VERSION, namespace, "modelmonitors", "credit", {"spec": {"reference": {"uri": ref3.as_uri()}}}
        )
        wait_for(
            lambda: any(
                c["type"] == "ActiveModel" and c["reason"] == "SpecOverrides"
                for c in monitor(kube, namespace)["status"]["conditions"]
            ),
            what="SpecOverrides",
        )
        assert check_job.read_spec(namespace=namespace, name="credit").reference.uri == ref3.as_uri()

        # deleting the monitor: the garbage collector removes its RetrainingJobs, then their training Jobs
        names = [r["metadata"]["name"] for r in rtjs(kube, namespace)]
        objects(kube).delete_namespaced_custom_object(GROUP, VERSION, namespace, "modelmonitors", "credit")
        wait_for(lambda: rtjs(kube, namespace) == [], what="RetrainingJobs collected", timeout=90)
        batch = kubernetes.client.BatchV1Api(kube)

        def jobs_gone() -> bool:
            for name in names:
                try:
                    batch.read_namespaced_job(f"{name}-train", namespace)
                    return False
                except ApiException as error:
                    if error.status != 404:
                        raise
            return True

        wait_for(jobs_gone, what="training Jobs collected", timeout=90)
