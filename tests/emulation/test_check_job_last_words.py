"""A failed drift-check Job's CheckFailed quotes what its pod's check container ended with: the
controller lists the Job's pods through the API and hands their last words to the planner."""

from __future__ import annotations

import kubernetes

from modelmon.api import monitor as api
from modelmon.controller.check_jobs import observe_check_job
from modelmon.k8s import client, objects
from support.monitors import monitor_body

SAID = "cannot read ModelMonitor risk/credit: 403 Forbidden (the checker's Role is missing)"


def failed_job(name: str) -> dict:
    return {
        "metadata": {"name": name, "namespace": "", "labels": {"modelmon.io/monitor": "credit"}},
        "status": {
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastTransitionTime": "2026-12-01T10:05:00Z",
                }
            ]
        },
    }


def crashed_pod(namespace: str, job: str) -> None:
    pod = client.core().create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": f"{job}-x1", "labels": {"job-name": job}},
            "spec": {"containers": [{"name": "check", "image": "modelmon:t"}]},
        },
    )
    terminated = {
        "exitCode": 1,
        "reason": "Error",
        "message": f"starting\n{SAID}\n",
        "finishedAt": "2026-12-01T10:04:00Z",
    }
    client.core().patch_namespaced_pod_status(
        pod.metadata.name,
        namespace,
        {
            "status": {
                "phase": "Failed",
                "containerStatuses": [
                    {
                        "name": "check",
                        "image": "modelmon:t",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": terminated},
                    }
                ],
            }
        },
    )


def test_check_failed_quotes_the_pods_last_line(namespace: str) -> None:
    client.custom_objects().create_namespaced_custom_object(
        api.GROUP, api.VERSION, namespace, api.PLURAL, monitor_body("credit")
    )
    crashed_pod(namespace, "credit-check-1")
    job = failed_job("credit-check-1")
    job["metadata"]["namespace"] = namespace

    observe_check_job(job, monitor="credit")

    stored = objects.get_monitor(namespace, "credit") or {}
    failed = next(c for c in stored["status"]["conditions"] if c["type"] == "CheckFailed")
    assert failed["status"] == "True"
    assert f"its pod never wrote a report and ended with: {SAID}. Look at" in failed["message"]
    events = client.core().list_namespaced_event(namespace).items
    assert any(e.reason == "CheckFailed" and SAID in e.message for e in events)


def test_pods_that_cannot_be_listed_leave_the_verdict_unquoted(namespace: str, monkeypatch) -> None:
    client.custom_objects().create_namespaced_custom_object(
        api.GROUP, api.VERSION, namespace, api.PLURAL, monitor_body("credit")
    )
    core = client.core()

    def forbidden(*_: object, **__: object) -> None:
        raise kubernetes.client.ApiException(status=403, reason="Forbidden")

    monkeypatch.setattr(core, "list_namespaced_pod", forbidden)
    monkeypatch.setattr(client, "core", lambda: core)
    job = failed_job("credit-check-2")
    job["metadata"]["namespace"] = namespace

    observe_check_job(job, monitor="credit")

    stored = objects.get_monitor(namespace, "credit") or {}
    failed = next(c for c in stored["status"]["conditions"] if c["type"] == "CheckFailed")
    assert "its pod never wrote a report. Look at" in failed["message"]


def test_pods_are_listed_only_for_a_verdict_to_tell(namespace: str, monkeypatch) -> None:
    client.custom_objects().create_namespaced_custom_object(
        api.GROUP, api.VERSION, namespace, api.PLURAL, monitor_body("credit")
    )
    crashed_pod(namespace, "credit-check-3")
    core = client.core()
    listed: list[str] = []
    original = core.list_namespaced_pod

    def counting(*args: object, **kwargs: object) -> object:
        listed.append(str(kwargs.get("label_selector")))
        return original(*args, **kwargs)

    monkeypatch.setattr(core, "list_namespaced_pod", counting)
    monkeypatch.setattr(client, "core", lambda: core)
    job = failed_job("credit-check-3")
    job["metadata"]["namespace"] = namespace

    observe_check_job(job, monitor="credit")
    observe_check_job(job, monitor="credit")  # the same failure again (a resync): already said

    assert listed == ["job-name=credit-check-3"]
