"""A drift-check pod stuck on its image or configuration: the monitor's Ready condition, planned.
The exact condition and Event for a failure, nothing when already said or stale, the reconciler's
own reasons left alone, cleared when a later pod starts, and the kubelet's message scrubbed."""

from __future__ import annotations

from typing import Any

import pytest

from modelmon.policies import check_pods
from modelmon.policies.check_pods import MESSAGE_LIMIT, scrub
from modelmon.policies.monitor_state import read_monitor

NOW = "2026-12-01T10:06:00Z"


def plan_check_pod(body: dict[str, Any], pod: dict[str, Any], *, now: str) -> check_pods.PodVerdict | None:
    """The planner on the monitor as the controller reads it."""
    return check_pods.plan_check_pod(read_monitor(body), pod, now=now)


def holds_ready(body: dict[str, Any]) -> dict[str, Any] | None:
    held = check_pods.holds_ready(read_monitor(body))
    return None if held is None else held.model_dump(by_alias=True, exclude_none=True, mode="json")


def monitor(ready: dict[str, Any] | None = None, *, image: str | None = "localhost:1/absent:1", generation: int = 3):
    ready = ready or {"status": "True", "reason": "Reconciled", "lastTransitionTime": "2026-12-01T10:00:00Z"}
    return {
        "metadata": {"name": "credit", "namespace": "risk", "generation": generation},
        "spec": {"checkJob": {"image": image} if image else {}},
        "status": {
            "conditions": [
                {
                    "type": "Drifted",
                    "status": "False",
                    "reason": "NoDrift",
                    "message": "no drift",
                    "lastTransitionTime": "2026-12-01T09:00:00Z",
                },
                {"type": "Ready", "message": "children up to date", "observedGeneration": generation, **ready},
            ]
        },
    }


def pod(
    state: dict[str, Any],
    *,
    name: str = "credit-drift-check-1-x7",
    created: str = "2026-12-01T10:05:00Z",
    image: str = "localhost:1/absent:1",
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "risk", "creationTimestamp": created},
        "status": {"phase": "Pending", "containerStatuses": [{"name": "check", "image": image, "state": state}]},
    }


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


PULL_ERROR = (
    'failed to pull and unpack image "localhost:1/absent:1": failed to resolve reference '
    '"localhost:1/absent:1": dial tcp 127.0.0.1:1: connect: connection refused'
)


def ready_of(verdict) -> dict[str, Any]:
    return next(c for c in verdict.status["conditions"] if c["type"] == "Ready")


def test_an_unpullable_image_makes_ready_false_naming_image_kubelet_message_and_field():
    verdict = plan_check_pod(monitor(), pod(waiting("ErrImagePull", PULL_ERROR)), now=NOW)
    assert verdict is not None
    message = (
        "check pod credit-drift-check-1-x7 cannot pull image 'localhost:1/absent:1': ErrImagePull ("
        + PULL_ERROR
        + "). Fix spec.checkJob.image: an image that exists in a registry the nodes can reach"
    )
    assert verdict.status == {
        "conditions": [
            {
                "type": "Drifted",
                "status": "False",
                "reason": "NoDrift",
                "message": "no drift",
                "lastTransitionTime": "2026-12-01T09:00:00Z",
            },
            {
                "type": "Ready",
                "status": "False",
                "reason": "ImagePullFailed",
                "message": message,
                "observedGeneration": 3,
                "lastTransitionTime": NOW,
            },
        ]
    }
    assert verdict.event == ("Warning", "ImagePullFailed", message)


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"])
def test_every_image_reason_is_an_image_pull_failure(reason):
    verdict = plan_check_pod(monitor(), pod(waiting(reason, "Back-off pulling image")), now=NOW)
    assert verdict is not None and ready_of(verdict)["reason"] == "ImagePullFailed"
    assert reason in ready_of(verdict)["message"]


def test_without_an_image_in_the_spec_the_fix_is_the_charts_value():
    verdict = plan_check_pod(monitor(image=None), pod(waiting("ErrImagePull", PULL_ERROR)), now=NOW)
    assert verdict is not None
    assert "Fix the chart's operator.checkImage" in ready_of(verdict)["message"]
    assert "spec.checkJob.image" not in ready_of(verdict)["message"]


def test_a_missing_configmap_key_makes_ready_false_naming_the_object():
    detail = "couldn't find key url in ConfigMap risk/data-urls"
    verdict = plan_check_pod(monitor(), pod(waiting("CreateContainerConfigError", detail)), now=NOW)
    assert verdict is not None
    assert ready_of(verdict) == {
        "type": "Ready",
        "status": "False",
        "reason": "CheckPodFailing",
        "observedGeneration": 3,
        "lastTransitionTime": NOW,
        "message": "check pod credit-drift-check-1-x7 cannot start its container: CreateContainerConfigError "
        "(couldn't find key url in ConfigMap risk/data-urls). Create the ConfigMap or Secret (and key) it "
        "names, or fix spec.checkJob.env",
    }
    assert verdict.event is not None and verdict.event[1] == "CheckPodFailing"


def test_a_missing_secret_is_named_not_redacted():
    verdict = plan_check_pod(
        monitor(), pod(waiting("CreateContainerConfigError", 'secret "s3-creds" not found')), now=NOW
    )
    assert verdict is not None and 'secret "s3-creds" not found' in ready_of(verdict)["message"]


def test_the_same_image_said_again_changes_nothing_and_posts_no_event():
    first = plan_check_pod(monitor(), pod(waiting("ErrImagePull", PULL_ERROR)), now=NOW)
    assert first is not None
    told = monitor(ready_of(first))
    # the kubelet's back-off, and the next scheduled run's pod with the same image
    assert plan_check_pod(told, pod(waiting("ImagePullBackOff", "Back-off pulling image")), now=NOW) is None
    assert (
        plan_check_pod(
            told,
            pod(waiting("ErrImagePull", PULL_ERROR), name="credit-drift-check-2-k3", created="2026-12-01T10:20:00Z"),
            now=NOW,
        )
        is None
    )


def test_another_image_is_told_again():
    first = plan_check_pod(monitor(), pod(waiting("ErrImagePull", PULL_ERROR)), now=NOW)
    assert first is not None
    again = plan_check_pod(
        monitor(ready_of(first)),
        pod(waiting("ErrImagePull", "x"), image="localhost:1/other:2", created="2026-12-01T10:20:00Z"),
        now="2026-12-01T10:21:00Z",
    )
    assert again is not None and "'localhost:1/other:2'" in ready_of(again)["message"]
    assert ready_of(again)["lastTransitionTime"] == NOW  # still False: the transition time stays


@pytest.mark.parametrize("reason", ["InvalidSpec", "MissingSecret", "ReconcileFailed"])
def test_the_reconcilers_own_reasons_stand(reason):
    ready = {"status": "False", "reason": reason, "lastTransitionTime": "2026-12-01T10:00:00Z"}
    assert plan_check_pod(monitor(ready), pod(waiting("CreateContainerConfigError", "x")), now=NOW) is None


def test_a_pod_from_before_the_monitor_was_ready_again_is_history():
    ready = {"status": "True", "reason": "CheckPodStarted", "lastTransitionTime": "2026-12-01T10:21:00Z"}
    assert plan_check_pod(monitor(ready), pod(waiting("ImagePullBackOff", "x")), now=NOW) is None


@pytest.mark.parametrize(
    "state",
    [{"running": {"startedAt": "2026-12-01T10:20:05Z"}}, {"terminated": {"exitCode": 0, "reason": "Completed"}}],
)
def test_a_later_pod_that_starts_clears_it(state):
    failing = {"status": "False", "reason": "ImagePullFailed", "message": "m", "lastTransitionTime": NOW}
    verdict = plan_check_pod(
        monitor(failing),
        pod(state, name="credit-drift-check-2-k3", created="2026-12-01T10:20:00Z"),
        now="2026-12-01T10:20:06Z",
    )
    assert verdict is not None and verdict.event is None
    assert ready_of(verdict) == {
        "type": "Ready",
        "status": "True",
        "reason": "CheckPodStarted",
        "message": "check pod credit-drift-check-2-k3 started",
        "observedGeneration": 3,
        "lastTransitionTime": "2026-12-01T10:20:06Z",
    }


def test_a_started_pod_changes_nothing_when_ready_is_not_the_pods_word():
    assert plan_check_pod(monitor(), pod({"running": {}}), now=NOW) is None
    missing = {"status": "False", "reason": "MissingSecret", "lastTransitionTime": NOW}
    assert plan_check_pod(monitor(missing), pod({"running": {}}), now=NOW) is None


def test_a_pod_pending_for_other_reasons_changes_nothing():
    assert plan_check_pod(monitor(), pod(waiting("ContainerCreating")), now=NOW) is None
    assert plan_check_pod(monitor(), {"metadata": {"name": "p"}, "status": {"phase": "Pending"}}, now=NOW) is None


def test_an_init_container_stuck_on_its_image_counts():
    stuck = pod({"waiting": {"reason": "PodInitializing"}})
    stuck["status"]["initContainerStatuses"] = [
        {"name": "init", "image": "localhost:1/init:1", "state": waiting("ImagePullBackOff", "Back-off")}
    ]
    verdict = plan_check_pod(monitor(), stuck, now=NOW)
    assert verdict is not None and "'localhost:1/init:1'" in ready_of(verdict)["message"]


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ('failed to pull "https://robot:s3cr3tPassw0rd@registry.example/v2/x": 401', "s3cr3tPassw0rd"),
        ("GET https://registry.example/token?scope=repo&access_token=abcDEF123456: 403", "abcDEF123456"),
        ("unexpected status: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("auth failed: password=hunter2hunter2", "hunter2hunter2"),
    ],
)
def test_the_kubelets_message_loses_its_credentials(raw, secret):
    assert secret not in scrub(raw)
    assert "[redacted]" in scrub(raw)
    verdict = plan_check_pod(monitor(), pod(waiting("ErrImagePull", raw)), now=NOW)
    assert verdict is not None and secret not in ready_of(verdict)["message"] and secret not in verdict.event[2]


def test_the_kubelets_message_is_trimmed_to_one_line():
    text = scrub("line one\nline two " + "x" * 1000)
    assert len(text) == MESSAGE_LIMIT and "\n" not in text and text.endswith("…")


def test_reconciling_the_same_spec_keeps_the_pods_word_a_new_spec_does_not():
    failing = {"status": "False", "reason": "ImagePullFailed", "message": "m", "lastTransitionTime": NOW}
    assert holds_ready(monitor(failing)) is not None
    newer = monitor(failing)
    newer["metadata"]["generation"] = 4  # the spec changed since the pod said so
    assert holds_ready(newer) is None
    assert holds_ready(monitor()) is None
    assert holds_ready(monitor({"status": "False", "reason": "InvalidSpec", "lastTransitionTime": NOW})) is None


def test_the_pod_watch_selects_the_check_pods_and_nothing_else():
    """The operator lists and watches pods with a server-side selector (controller/handlers.py):
    it must match the pods of the drift-check Jobs, whose labels are set in manifests/checkjob.py."""
    from modelmon.api import monitor as api
    from modelmon.controller.handlers import CHECK_POD_SELECTOR
    from modelmon.manifests import checkjob

    spec = api.parse_spec(
        {
            "model": {"name": "credit"},
            "schedule": "*/10 * * * *",
            "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
            "current": {"uri": "file:///data/current.csv"},
        }
    )
    cronjob = checkjob.build_cronjob(monitor="credit", namespace="ml", uid="u-1", spec=spec, image="modelmon:test")
    labels = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]

    def selects(pod_labels: dict[str, str]) -> bool:
        for term in CHECK_POD_SELECTOR.split(","):
            key, _, value = term.partition("=")
            if key not in pod_labels or (value and pod_labels[key] != value):
                return False
        return True

    assert selects(labels)
    assert not selects({**labels, checkjob.LABEL_COMPONENT: "training"})
    assert not selects({"app": "credit"})


def test_a_runtime_hiccup_is_not_a_configuration_error():
    hiccup = waiting("CreateContainerError", "context deadline exceeded")
    assert plan_check_pod(monitor(), pod(hiccup), now=NOW) is None
