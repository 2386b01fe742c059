"""A drift-check pod stuck on its image (#20), on the real control plane: the monitor's Ready
turns False naming the image, the kubelet's message (scrubbed) and the field, one Event, and
a later check pod that starts clears it.

kwok plays the kubelet and would overwrite any status on a pod bound to its nodes, so the stuck
pod is held unscheduled by a scheduling gate and its status is written here the way a kubelet
writes it (the status subresource); the real kubelet's side is tests/e2e/test_install_journey.py.
"""

from __future__ import annotations

import time

import kubernetes
import pytest

from modelmon.manifests import checkjob
from support.monitors import condition, create_monitor, events_of, get_monitor, monitor_body, patch_monitor, ready
from support.waiting import wait_for

pytestmark = pytest.mark.cluster
NAMESPACE_PREFIX = "pods"
IMAGE = "localhost:1/absent:1"
HANDLED = "kopf.modelmon.io/last-handled-configuration"
LABELS = {checkjob.LABEL_MONITOR: "credit", checkjob.LABEL_COMPONENT: "drift-check"}


def check_pod(name: str, *, gated: bool) -> dict:
    spec: dict = {"restartPolicy": "Never", "containers": [{"name": "check", "image": IMAGE}]}
    if gated:  # never scheduled: kwok leaves it alone
        spec["schedulingGates"] = [{"name": "modelmon.io/test-hold"}]
    return {"metadata": {"name": name, "labels": LABELS}, "spec": spec}


def waiting(reason: str, message: str) -> dict:
    return {
        "status": {
            "containerStatuses": [
                {
                    "name": "check",
                    "image": IMAGE,
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": reason, "message": message}},
                }
            ]
        }
    }


def pull_events(kube, namespace: str) -> list:
    return [e for e in events_of(kube, namespace, "credit") if e.reason == "ImagePullFailed"]


def test_an_unpullable_check_image_is_ready_false_at_once_and_clears(kube, operator, namespace):
    core = kubernetes.client.CoreV1Api(kube)
    create_monitor(kube, namespace, monitor_body("credit", checkJob={"image": IMAGE}))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    core.create_namespaced_pod(namespace, check_pod("credit-drift-check-1-x7", gated=True))
    pulled = (
        'failed to pull and unpack image "localhost:1/absent:1": failed to resolve reference: '
        "GET https://robot:pa55w0rdSecret@localhost:1/v2/absent/manifests/1: connection refused"
    )
    started = time.monotonic()
    core.patch_namespaced_pod_status("credit-drift-check-1-x7", namespace, waiting("ErrImagePull", pulled))

    def told():
        found = condition(get_monitor(kube, namespace, "credit"), "Ready")
        return found if found and found["reason"] == "ImagePullFailed" else None

    said = wait_for(told, what="Ready False, ImagePullFailed")
    took = time.monotonic() - started
    assert said["status"] == "False"
    message = said["message"]
    assert message.startswith(f"check pod credit-drift-check-1-x7 cannot pull image '{IMAGE}': ErrImagePull (")
    assert "connection refused" in message and "Fix spec.checkJob.image" in message
    assert "pa55w0rdSecret" not in message and "[redacted]@localhost:1" in message
    assert took < 30, took
    events = wait_for(lambda: pull_events(kube, namespace), what="the ImagePullFailed Event")
    assert events[0].type == "Warning" and events[0].message == message

    # The kubelet's back-off rewrites the pod again and again: said once, not on every pod event.
    core.patch_namespaced_pod_status(
        "credit-drift-check-1-x7", namespace, waiting("ImagePullBackOff", f'Back-off pulling image "{IMAGE}"')
    )
    time.sleep(3)
    assert len(pull_events(kube, namespace)) == 1
    assert condition(get_monitor(kube, namespace, "credit"), "Ready")["message"] == message

    # Reconciling the same spec (here: an annotation changed) does not hide it.
    patch_monitor(kube, namespace, "credit", {"metadata": {"annotations": {"team": "risk"}}})
    wait_for(
        lambda: "risk" in get_monitor(kube, namespace, "credit")["metadata"]["annotations"].get(HANDLED, ""),
        what="the annotation change handled",
    )
    assert condition(get_monitor(kube, namespace, "credit"), "Ready")["reason"] == "ImagePullFailed"

    # A later check pod that starts (kwok runs it) clears it.
    time.sleep(1)  # created in a later second than the failure's transition
    core.create_namespaced_pod(namespace, check_pod("credit-drift-check-2-k3", gated=False))
    body = wait_for(lambda: ready(kube, namespace, "credit"), what="Ready True again")
    cleared = condition(body, "Ready")
    assert cleared["reason"] == "CheckPodStarted"
    assert cleared["message"] == "check pod credit-drift-check-2-k3 started"


def test_a_missing_configmap_key_is_check_pod_failing_naming_it(kube, operator, namespace):
    core = kubernetes.client.CoreV1Api(kube)
    create_monitor(kube, namespace, monitor_body("credit", checkJob={"image": IMAGE}))
    wait_for(lambda: ready(kube, namespace, "credit"), what="Ready")
    core.create_namespaced_pod(namespace, check_pod("credit-drift-check-3-q1", gated=True))
    detail = f"couldn't find key url in ConfigMap {namespace}/data-urls"
    core.patch_namespaced_pod_status(
        "credit-drift-check-3-q1", namespace, waiting("CreateContainerConfigError", detail)
    )

    def told():
        found = condition(get_monitor(kube, namespace, "credit"), "Ready")
        return found if found and found["reason"] == "CheckPodFailing" else None

    said = wait_for(told, what="Ready False, CheckPodFailing")
    assert said["status"] == "False"
    assert said["message"] == (
        f"check pod credit-drift-check-3-q1 cannot start its container: CreateContainerConfigError ({detail}). "
        "Create the ConfigMap or Secret (and key) it names, or fix spec.checkJob.env"
    )
    events = wait_for(
        lambda: [e for e in events_of(kube, namespace, "credit") if e.reason == "CheckPodFailing"],
        what="the CheckPodFailing Event",
    )
    assert len(events) == 1 and events[0].message == said["message"]
