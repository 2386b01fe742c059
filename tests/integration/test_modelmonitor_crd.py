"""The committed CRD on a real kube-apiserver: accepted, Established, defaulting, the CEL rules
rejecting cross-field mistakes with 422, unknown fields pruned or rejected, printer columns
and `kubectl explain` descriptions.

Needs the ``control_plane`` fixture (tests/integration/conftest.py: an object with a
``kubeconfig`` path).
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest

from support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds" / "modelmonitors.yaml"
GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"

pytestmark = pytest.mark.cluster

MINIMAL: dict[str, Any] = {"model": {"name": "credit"}, "reference": {"uri": "file:///data/ref.csv"},
                           "current": {"uri": "file:///data/cur.csv"}}


class Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args],
                                capture_output=True, text=True, check=False, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result


@pytest.fixture(scope="module")
def cluster(control_plane: Any) -> Any:
    return control_plane


@pytest.fixture(scope="module")
def kubectl(cluster: Any) -> Kubectl:
    run = Kubectl(Path(cluster.kubeconfig))
    run("apply", "-f", str(CRDS))
    run("wait", "--for=condition=Established", f"crd/{PLURAL}.{GROUP}", "--timeout=60s")
    return run


@pytest.fixture(scope="module")
def custom(cluster: Any, kubectl: Kubectl) -> Iterator[kubernetes.client.CustomObjectsApi]:
    api = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig))
    with api:
        yield kubernetes.client.CustomObjectsApi(api)


@pytest.fixture
def namespace(kubectl: Kubectl) -> Iterator[str]:
    name = f"crd-{uuid.uuid4().hex[:8]}"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


def body(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": name}, "spec": spec}


def create(custom: kubernetes.client.CustomObjectsApi, namespace: str, spec: dict[str, Any],
           **options: Any) -> dict[str, Any]:
    name = f"m-{uuid.uuid4().hex[:6]}"
    created: dict[str, Any] = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                                     body(name, spec), **options)
    return created


def test_the_crd_is_established(kubectl: Kubectl):
    crd = json.loads(kubectl("get", "crd", f"{PLURAL}.{GROUP}", "-o", "json").stdout)
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions["Established"] == "True" and conditions["NamesAccepted"] == "True"
    assert crd["status"]["acceptedNames"]["shortNames"] == ["mm"]


def test_a_valid_monitor_is_stored_with_its_defaults(custom: Any, namespace: str):
    created = create(custom, namespace, MINIMAL)
    spec = created["spec"]
    assert spec["schedule"] == "0 * * * *" and spec["suspend"] is False
    assert spec["drift"]["bins"] == 10 and spec["drift"]["numericMethod"] == "auto"
    assert spec["checkJob"] == {"activeDeadlineSeconds": 600, "backoffLimit": 2, "env": []}


def test_the_examples_are_accepted(kubectl: Kubectl, namespace: str):
    for example in sorted((ROOT / "examples").glob("*/modelmonitor.yaml")):
        kubectl("apply", "-n", namespace, "-f", str(example))


RULES = {
    "distance-thresholds-decreasing": (
        {"drift": {"thresholds": {"psi": {"moderate": 0.5, "significant": 0.25, "critical": 0.1}}}},
        "distance cut points must increase"),
    "pvalue-thresholds-increasing": (
        {"drift": {"thresholds": {"ks": {"moderate": 0.001, "significant": 0.01, "critical": 0.05}}}},
        "p-values and must decrease"),
    "unknown-threshold-method": (
        {"drift": {"thresholds": {"euclid": {"moderate": 1, "significant": 2, "critical": 3}}}},
        "keys must be one of"),
    "uri-and-configmap": (
        {"reference": {"uri": "file:///r.csv", "configMapKeyRef": {"name": "d", "key": "r.csv"}}},
        "set exactly one of uri or configMapKeyRef"),
    "uri-and-inference-service": (
        {"current": {"uri": "file:///c.csv", "inferenceService": {"name": "credit"}}},
        "set exactly one of uri, configMapKeyRef or inferenceService"),
    "inference-service-as-csv": (
        {"current": {"inferenceService": {"name": "credit"}, "format": "csv"}},
        "the collector writes parquet"),
    "duration-without-column": (
        {"current": {"uri": "file:///c.csv", "window": {"duration": "1h"}}},
        "window.duration needs window.timestampColumn"),
    "sink-with-two-kinds": (
        {"alerts": {"sinks": [{"name": "x", "webhook": {"urlSecretRef": {"name": "s", "key": "u"}},
                               "slack": {"webhookUrlSecretRef": {"name": "s", "key": "u"}}}]}},
        "exactly one of alertmanager, slack, webhook or email"),
    "sink-names-twice": (
        {"alerts": {"sinks": [{"name": "x", "webhook": {"urlSecretRef": {"name": "s", "key": "u"}}},
                              {"name": "x", "webhook": {"urlSecretRef": {"name": "t", "key": "u"}}}]}},
        "Duplicate value"),
    "performance-window-rows-and-duration": (
        {"performance": {"task": "classification", "predictionColumn": "p", "targetColumn": "y",
                         "baseline": {"accuracy": 0.6}, "timestampColumn": "t",
                         "windows": [{"rows": 50, "duration": "1h"}]}},
        "exactly one of rows or duration"),
}


@pytest.mark.parametrize("changes, message", RULES.values(), ids=RULES.keys())
def test_cel_rules_reject_cross_field_mistakes_with_422(custom: Any, namespace: str, changes: dict[str, Any],
                                                        message: str):
    with pytest.raises(kubernetes.client.ApiException) as caught:
        create(custom, namespace, MINIMAL | changes)
    assert caught.value.status == 422
    assert message in json.loads(caught.value.body)["message"]


def test_integer_thresholds_pass_the_rules(custom: Any, namespace: str):
    # JSON integers in `number` fields must compare as numbers in CEL
    thresholds = {"psi": {"moderate": 1, "significant": 2, "critical": 3},
                  "chi2": {"moderate": 1, "significant": 0.5, "critical": 0.1}}
    assert create(custom, namespace, MINIMAL | {"drift": {"thresholds": thresholds}})["spec"]["drift"]["thresholds"]


def test_an_unknown_field_is_rejected_strictly_or_pruned(custom: Any, namespace: str):
    misspelled = MINIMAL | {"drift": {"driftShares": 0.3}}
    with pytest.raises(kubernetes.client.ApiException) as caught:
        create(custom, namespace, misspelled, field_validation="Strict")
    assert caught.value.status == 400  # kube-apiserver answers BadRequest to strict field validation
    assert 'unknown field "spec.drift.driftShares"' in json.loads(caught.value.body)["message"]
    stored = create(custom, namespace, misspelled, field_validation="Ignore")
    assert "driftShares" not in stored["spec"]["drift"] and stored["spec"]["drift"]["driftShare"] == 0.5


def test_kubectl_get_shows_the_printer_columns(kubectl: Kubectl, custom: Any, namespace: str):
    name = create(custom, namespace, MINIMAL)["metadata"]["name"]
    custom.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, name, {"status": {
        "health": "Warning", "driftedFeatures": 2,
        "lastCheck": {"time": "2026-01-01T00:00:00Z", "durationSeconds": 1.5}}})
    header, *rows = kubectl("get", "mm", "-n", namespace).stdout.splitlines()
    assert re.split(r"\s{2,}", header.strip()) == ["NAME", "HEALTH", "DRIFTED", "LAST CHECK", "MODEL", "ACTIVE", "AGE"]
    [row] = [re.split(r"\s{2,}", r.strip()) for r in rows]
    assert row[:3] == [name, "Warning", "2"] and row[4] == "credit"
    # -o wide adds the link to the last check's report (spec.history.reportURL)
    custom.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, name, {"status": {
        "lastCheck": {"time": "2026-01-01T00:00:00Z", "durationSeconds": 1.5,
                      "history": {"reportURL": "https://reports.example/r.html"}}}})
    header, *rows = kubectl("get", "mm", "-n", namespace, "-o", "wide").stdout.splitlines()
    assert "REPORT" in re.split(r"\s{2,}", header.strip())
    assert "https://reports.example/r.html" in rows[0]
    assert kubectl("get", "ml", "-n", namespace, "-o", "name").stdout.strip() == f"modelmonitor.{GROUP}/{name}"


def test_kubectl_explain_shows_the_descriptions(kubectl: Kubectl):
    def explained() -> str:
        result = kubectl("explain", "modelmonitor.spec.drift", check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    text = " ".join(eventually(explained, what="the CRD's OpenAPI to be published").split())  # unwrapped
    assert "Drift methods and thresholds." in text
    assert "driftShare" in text and "share of judged features drifted" in text
    thresholds = kubectl("explain", "modelmonitor.spec.drift.thresholds").stdout
    assert "Per-method overrides of the default cut points." in thresholds


def test_a_duration_window_may_rest_on_time_partitions(custom: Any, namespace: str):
    # The CEL rule on spec.current: a duration needs a timestamp column or the source's timePartitions.
    current = {"uri": "s3://ml-logs/credit/", "timePartitions": {}, "window": {"duration": "6h"}}
    created = create(custom, namespace, MINIMAL | {"current": current})
    assert created["spec"]["current"]["timePartitions"] == {"dateKey": "date", "hourKey": "hour"}
    stored = create(custom, namespace, MINIMAL | {"current": {"uri": "file:///data/c.csv"}})
    assert "window" not in stored["spec"]["current"]  # the rule holds without a window at all


def test_an_inference_service_source_stands_alone_with_its_partitions(custom: Any, namespace: str):
    # spec.current.inferenceService: the collector's dataset, whose date/hour partitions prune a duration window
    current = {"inferenceService": {"name": "credit"}, "window": {"duration": "6h"}}
    created = create(custom, namespace, MINIMAL | {"current": current})
    assert created["spec"]["current"]["inferenceService"] == {"name": "credit", "component": "predictor"}
