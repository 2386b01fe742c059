"""``format: date-time`` on the CRDs' times, on the real API server: it refuses a time that is not one
(naming the field), and it accepts every ModelMonitor and RetrainingJob status the operator wrote during
the demo (tests/unit/gitops/fixtures), so the format can never make the operator's own patches fail."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes
import pytest

from support.crds import install_generated_crds
from support.namespaces import fresh_namespace

FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "gitops" / "fixtures"
GROUP, VERSION = "modelmon.io", "v1alpha1"
PLURALS = {"ModelMonitor": "modelmonitors", "RetrainingJob": "retrainingjobs"}


@pytest.fixture(scope="module")
def objects(control_plane):
    install_generated_crds(control_plane.kubeconfig)
    api = kubernetes.config.new_client_from_config(config_file=str(control_plane.kubeconfig))
    with fresh_namespace(api, prefix="times") as namespace:
        yield kubernetes.client.CustomObjectsApi(api), namespace


def put(objects, namespace, body):
    custom, plural = objects, PLURALS[body["kind"]]
    name = body["metadata"]["name"]
    custom.create_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        plural,
        {"apiVersion": body["apiVersion"], "kind": body["kind"], "metadata": {"name": name}, "spec": body["spec"]},
    )
    return custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, plural, name, {"status": body["status"]}
    )


def test_the_operators_statuses_are_accepted(objects):
    custom, namespace = objects
    for index, path in enumerate(sorted(FIXTURES.glob("*.json"))):
        body = json.loads(path.read_text())
        if not body.get("status"):
            continue
        body["metadata"]["name"] = f"f{index}"
        stored = put(custom, namespace, body)
        assert stored["status"] == body["status"], path.name


def test_a_time_that_is_not_one_is_refused_naming_the_field(objects):
    custom, namespace = objects
    body = json.loads((FIXTURES / "modelmonitor-Healthy-ReadyTrue.json").read_text())
    body["metadata"]["name"] = "bad-time"
    body["status"]["lastCheck"]["time"] = "yesterday at noon"
    with pytest.raises(kubernetes.client.ApiException) as refused:
        put(custom, namespace, body)
    assert refused.value.status == 422 and "status.lastCheck.time" in refused.value.body
