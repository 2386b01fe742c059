"""A platform team's first day, on a real node: install the chart, apply the quickstart, see
Healthy, see Critical after the data drifts, upgrade, uninstall.

Each step is what the README's "Installing on a cluster" tells a person to type, in that
order; the steps share one cluster and run in file order (a later step needs the earlier).
The operator and the drift checks run the image built from this repository's Dockerfile, in
real containers under the chart's securityContext; the model server is the examples' image.
"""

from __future__ import annotations

import csv
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .e2e_support import ROOT, Cluster, wait_for

NAMESPACE = "modelmon-system"
pytestmark = pytest.mark.e2e


def _pod_ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def _health(cluster: Cluster) -> str:
    return cluster.kubectl("get", "mm", "credit-default", "-o", "jsonpath={.status.health}")


def _service_url(cluster: Cluster, namespace: str, name: str, path: str) -> str:
    service = cluster.get("service", name, "-n", namespace)
    port = service["spec"]["ports"][0]["port"]
    return f"http://{service['spec']['clusterIP']}:{port}{path}"


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def _data_rows(name: str) -> int:
    with open(ROOT / "examples" / "data" / name, newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _claim_folder(cluster: Cluster, claim: str) -> Path:
    """Where a claim's files are on this node (the harness's volumes are hostPath directories)."""
    volume = cluster.get("pvc", claim)["spec"]["volumeName"]
    return Path(cluster.get("pv", volume)["spec"]["hostPath"]["path"])


def _check_now(cluster: Cluster, stamp: str) -> None:
    cluster.kubectl("annotate", "mm", "credit-default", f"modelmon.io/check-now={stamp}", "--overwrite")


def test_helm_install_brings_the_operator_up(real_cluster: Cluster) -> None:
    cluster = real_cluster
    cluster.helm("install", "modelmon", "charts/modelmon", "--namespace", NAMESPACE, "--create-namespace")
    cluster.kubectl("-n", NAMESPACE, "rollout", "status", "deployment/modelmon", "--timeout=240s", timeout=260)

    pods = cluster.get("pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/name=modelmon")["items"]
    # Two replicas by default: one active, one standby (kopf peering, tests/integration/test_chart_ha.py).
    assert len(pods) == 2 and all(_pod_ready(p) for p in pods), cluster.diagnose()
    pod = pods[0]
    assert pod["spec"]["nodeName"] == "modelmon-node"  # the real node, not a fake one
    status = pod["status"]["containerStatuses"][0]
    # The container runs the image built from this repository's Dockerfile, as imported.
    assert status["imageID"].endswith(cluster.image_id("modelmon")), status
    security = pod["spec"]["containers"][0]["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["runAsNonRoot"] is True
    # Its process really runs as the unprivileged user on the node.
    uid = cluster.kubectl("-n", NAMESPACE, "exec", pod["metadata"]["name"], "--", "id", "-u").strip()
    assert uid == "65532"
    # One image, the product only: neither the demo kit nor the emulator it runs on.
    probe = ("import importlib.util as u; "
             "print(sorted(m for m in ('modelmon', 'modelmon_kits', 'kmock') if u.find_spec(m)))")
    shipped = cluster.kubectl("-n", NAMESPACE, "exec", pod["metadata"]["name"], "--", "python3", "-c", probe)
    assert shipped.strip() == "['modelmon']"


UNPULLABLE = """
apiVersion: modelmon.io/v1alpha1
kind: ModelMonitor
metadata:
  name: unpullable
spec:
  model: {name: unpullable, version: "1"}
  schedule: "0 0 1 1 *"
  reference: {configMapKeyRef: {name: unpullable-reference, key: reference.csv}}
  current: {configMapKeyRef: {name: unpullable-current, key: current.csv}}
  features: [{name: age, type: numeric}]
  checkJob: {image: "localhost:1/absent:1"}
"""


def test_an_unpullable_check_image_turns_ready_false_within_a_minute(real_cluster: Cluster) -> None:
    """The real kubelet cannot pull localhost:1/absent:1 (nothing listens there): the monitor says
    so on Ready (ImagePullFailed, naming the image and the field) long before the Job gives up."""
    cluster = real_cluster
    cluster.kubectl("apply", "-f", "-", input=UNPULLABLE)
    try:
        cluster.kubectl("wait", "--for=condition=Ready", "mm/unpullable", "--timeout=60s", timeout=80)
        started = time.monotonic()
        cluster.kubectl("annotate", "mm", "unpullable", f"modelmon.io/check-now={int(time.time())}")

        def told() -> dict[str, Any] | None:
            conditions = cluster.get("mm", "unpullable").get("status", {}).get("conditions", [])
            ready = next((c for c in conditions if c["type"] == "Ready"), {})
            return ready if ready.get("reason") == "ImagePullFailed" else None

        ready = wait_for("Ready False with ImagePullFailed", told, timeout=90, cluster=cluster)
        took = time.monotonic() - started
        assert ready["status"] == "False"
        assert "cannot pull image 'localhost:1/absent:1'" in ready["message"], ready
        assert "Fix spec.checkJob.image" in ready["message"], ready
        assert took < 60, took

        def backed_off() -> bool:
            pods = cluster.get("pods", "-l", "modelmon.io/monitor=unpullable")["items"]
            states = [s.get("state", {}).get("waiting", {}).get("reason") for p in pods
                      for s in p["status"].get("containerStatuses", [])]
            return "ImagePullBackOff" in states

        # The kubelet rewrites the pod on every retry: the Event was posted once all the same.
        wait_for("the kubelet's back-off", backed_off, timeout=60, cluster=cluster)
        time.sleep(2)
        events = [e for e in cluster.get("events")["items"]
                  if e["involvedObject"]["name"] == "unpullable" and e["reason"] == "ImagePullFailed"]
        assert len(events) == 1 and events[0].get("count", 1) == 1, events
        assert events[0]["type"] == "Warning" and events[0]["message"] == ready["message"]
        print(f"Ready=False {took:.1f} s after check-now")
    finally:
        cluster.kubectl("delete", "mm", "unpullable", "--ignore-not-found", "--timeout=60s", timeout=80)


def test_operator_metrics_are_scraped_through_its_service(real_cluster: Cluster) -> None:
    service = next(s for s in real_cluster.get("services", "-n", NAMESPACE)["items"]
                   if any(p.get("name") == "metrics" for p in s["spec"]["ports"]))
    url = _service_url(real_cluster, NAMESPACE, service["metadata"]["name"], "/metrics")
    body = wait_for(f"metrics at {url}", lambda: _fetch(url), timeout=60, cluster=real_cluster)
    assert "modelmon_" in body, body[:2000]


def test_quickstart_applies_as_shipped_and_serves_the_model(real_cluster: Cluster) -> None:
    cluster = real_cluster
    cluster.kubectl("apply", "-f", "examples/classifier/")
    cluster.kubectl("rollout", "status", "deployment/credit-default", "--timeout=180s", timeout=200)
    url = _service_url(cluster, "default", "credit-default", "/version")
    answer = wait_for(f"the model server at {url}", lambda: _fetch(url), timeout=60, cluster=cluster)
    assert '"modelVersion": "1.4.0"' in answer
    # The operator reconciled the monitor into its CronJob on the real cluster.
    wait_for("the drift-check CronJob", lambda: cluster.get("cronjobs")["items"], timeout=60, cluster=cluster)


def test_first_check_runs_in_a_hardened_pod_and_reports_healthy(real_cluster: Cluster) -> None:
    cluster = real_cluster
    _check_now(cluster, str(int(time.time())))
    cluster.kubectl("wait", "--for=jsonpath={.status.health}=Healthy", "mm/credit-default", "--timeout=240s",
                    timeout=260)
    jobs = cluster.get("jobs", "-l", "app.kubernetes.io/managed-by=modelmon")["items"]
    assert jobs, cluster.diagnose()
    names = {j["metadata"]["name"] for j in jobs}

    def finished_check_pods() -> list[dict[str, Any]]:
        # The check writes status before its container exits: the pod finishes a moment later.
        pods = [p for p in cluster.get("pods")["items"] if p["metadata"].get("labels", {}).get("job-name") in names]
        return pods if pods and all(p["status"]["phase"] == "Succeeded" for p in pods) else []

    check_pod = wait_for("the check pod to succeed", finished_check_pods, timeout=60, cluster=cluster)[0]
    container = check_pod["spec"]["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert check_pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert check_pod["status"]["containerStatuses"][0]["imageID"].endswith(cluster.image_id("modelmon"))
    # `kubectl logs` of a finished pod works on this node.
    cluster.kubectl("logs", check_pod["metadata"]["name"])
    # It read the quickstart's ConfigMaps whole: every row of the example files.
    last = cluster.get("mm", "credit-default")["status"]["lastCheck"]
    assert last["referenceRows"] == _data_rows("reference.csv")
    assert last["currentRows"] == _data_rows("current-stable.csv")


def test_drifted_data_turns_the_monitor_critical(real_cluster: Cluster) -> None:
    cluster = real_cluster
    cluster.sh("kubectl create configmap credit-default-current "
               "--from-file=current.csv=examples/data/current-drifted.csv --dry-run=client -o yaml "
               "| kubectl apply -f -")
    _check_now(cluster, f"{int(time.time())}-drifted")
    cluster.kubectl("wait", "--for=jsonpath={.status.health}=Critical", "mm/credit-default", "--timeout=240s",
                    timeout=260)
    table = cluster.kubectl("get", "mm")
    assert "Critical" in table.splitlines()[1], table
    drifted = int(cluster.kubectl("get", "mm", "credit-default", "-o", "jsonpath={.status.driftedFeatures}"))
    assert drifted >= 1

    # Each check (the Healthy one before, this Critical one) was recorded on the quickstart's history
    # claim, and this one's HTML report published beside it, by the non-root, read-only-root check pod.
    history = cluster.get("mm", "credit-default")["status"]["lastCheck"]["history"]
    assert "error" not in history, history
    claim = _claim_folder(cluster, "credit-default-history")
    page = (claim / "credit-default" / history["report"]).read_text()
    assert "<title>Drift report: ModelMonitor credit-default</title>" in page and page.count("<svg") >= 8
    shown = cluster.run("modelmon", "history", "--monitor", "default/credit-default", "--mount", str(claim)).stdout
    assert "Healthy" in shown and "Critical" in shown, shown


def test_helm_upgrade_to_a_changed_value_rolls_the_operator(real_cluster: Cluster) -> None:
    cluster = real_cluster
    before = cluster.get("deployment", "modelmon", "-n", NAMESPACE)
    cluster.helm("upgrade", "modelmon", "charts/modelmon", "--namespace", NAMESPACE, "--reuse-values",
                 "--set", "operator.logFormat=json")
    cluster.kubectl("-n", NAMESPACE, "rollout", "status", "deployment/modelmon", "--timeout=240s", timeout=260)
    after = cluster.get("deployment", "modelmon", "-n", NAMESPACE)
    assert after["metadata"]["generation"] > before["metadata"]["generation"]
    args = after["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--log-format=json" in args, args
    # The new operator pod picks the monitor up: a check it did not see before lands.
    _check_now(cluster, f"{int(time.time())}-after-upgrade")
    first = cluster.get("mm", "credit-default")["status"]["lastCheck"]["time"]
    wait_for("a check after the upgrade",
             lambda: cluster.get("mm", "credit-default")["status"]["lastCheck"]["time"] != first,
             timeout=240, cluster=cluster)
    logs = cluster.kubectl("-n", NAMESPACE, "logs", "deployment/modelmon", "--tail=20")
    assert logs.strip().splitlines()[-1].startswith("{"), logs  # JSON lines now


def test_helm_uninstall_leaves_what_the_docs_say(real_cluster: Cluster) -> None:
    cluster = real_cluster
    cluster.helm("uninstall", "modelmon", "--namespace", NAMESPACE, "--wait")
    wait_for("the operator's pods to go",
             lambda: not cluster.get("pods", "-n", NAMESPACE)["items"], timeout=120, cluster=cluster)
    assert cluster.run("kubectl", "-n", NAMESPACE, "get", "deployment", "modelmon", check=False).returncode != 0
    # Kept (helm.sh/resource-policy: keep on the CRD templates): the CRDs, so the monitors and their status stay.
    crds = cluster.kubectl("get", "crd", "-o", "name")
    assert "modelmonitors.modelmon.io" in crds and "retrainingjobs.modelmon.io" in crds
    assert _health(cluster) == "Critical"
    # Deleting a monitor with no operator running does not hang on a finalizer, and its
    # children go with it (ownerReferences, the garbage collector).
    cluster.kubectl("delete", "mm", "credit-default", "--timeout=60s", timeout=80)
    wait_for("the monitor's CronJob to be collected", lambda: not cluster.get("cronjobs")["items"],
             timeout=60, cluster=cluster)
