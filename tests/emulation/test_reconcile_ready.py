"""Reconciling a monitor tells Ready onto the version it was planned from (#16): a check pod's verdict
stored after kopf read the body (Ready False, ImagePullFailed) is not overwritten by a Ready True
planned without it, the race the real node's e2e test caught. On creation Ready still goes out
with kopf's own patch (a new monitor's one status write)."""

from __future__ import annotations

from typing import Any

import kopf

from modelmon.api import monitor as api
from modelmon.controller import alerting
from modelmon.controller.locks import ObjectLocks
from modelmon.controller.monitors import MonitorController
from modelmon.controller.retraining import RetrainingController
from modelmon.k8s import client, objects, status_writes
from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings
from support.monitors import monitor_body

STUCK = "check pod credit-check-1 cannot pull image 'localhost:1/absent:1': ErrImagePull. Fix spec.checkJob.image"


def controller() -> MonitorController:
    settings, metrics = OperatorSettings(), OperatorMetrics()
    return MonitorController(
        settings=settings,
        metrics=metrics,
        alerts=alerting.MonitorAlerts(settings=settings, metrics=metrics, dispatch=lambda **_: None),
        retrainings=RetrainingController(settings=settings, metrics=metrics, locks=ObjectLocks()),
    )


def created(namespace: str) -> dict[str, Any]:
    client.custom_objects().create_namespaced_custom_object(
        api.GROUP, api.VERSION, namespace, api.PLURAL, monitor_body("credit")
    )
    body = objects.get_monitor(namespace, "credit")
    assert body is not None
    patch = kopf.Patch()
    controller().reconcile(body, patch, retry=0, created=True)
    assert patch.status["conditions"][0]["reason"] == "Reconciled"  # the creation's Ready rides kopf's patch
    assert status_writes.write_monitor_status(
        namespace, "credit", dict(patch.status), resource_version=body["metadata"]["resourceVersion"]
    )
    live = objects.get_monitor(namespace, "credit")
    assert live is not None
    return live


def ready(namespace: str) -> dict[str, Any]:
    body = objects.get_monitor(namespace, "credit") or {}
    return next(c for c in body["status"]["conditions"] if c["type"] == "Ready")


def test_a_check_pods_verdict_stored_meanwhile_is_not_overwritten(namespace: str) -> None:
    stale = created(namespace)
    # the check pod's verdict lands after kopf read ``stale`` for an update (the check-now annotation's removal)
    verdict = [{**ready(namespace), "status": "False", "reason": "ImagePullFailed", "message": STUCK}]
    assert status_writes.write_monitor_status(
        namespace, "credit", {"conditions": verdict}, resource_version=stale["metadata"]["resourceVersion"]
    )

    patch = kopf.Patch()
    controller().reconcile(stale, patch, retry=0)

    assert not patch.status, "nothing is left for kopf to write over the verdict"
    told = ready(namespace)
    assert (told["status"], told["reason"], told["message"]) == ("False", "ImagePullFailed", STUCK)


def test_an_update_tells_ready_onto_the_version_read(namespace: str) -> None:
    body = created(namespace)
    status_writes.write_monitor_status(
        namespace, "credit", {"checkCronJob": None}, resource_version=body["metadata"]["resourceVersion"]
    )
    fresh = objects.get_monitor(namespace, "credit") or {}

    patch = kopf.Patch()
    controller().reconcile(fresh, patch, retry=0)

    assert not patch.status
    stored = (objects.get_monitor(namespace, "credit") or {})["status"]
    assert stored["checkCronJob"] == "credit-drift-check"  # written by the reconcile itself
    assert ready(namespace)["reason"] == "Reconciled"


def test_a_newer_spec_is_left_to_its_own_reconcile(namespace: str) -> None:
    stale = created(namespace)
    client.custom_objects().patch_namespaced_custom_object(
        api.GROUP, api.VERSION, namespace, api.PLURAL, "credit", {"spec": {"schedule": "*/5 * * * *"}}
    )
    before = objects.get_monitor(namespace, "credit") or {}
    status_writes.write_monitor_status(
        namespace, "credit", {"checkCronJob": None}, resource_version=before["metadata"]["resourceVersion"]
    )

    controller().reconcile({**stale, "metadata": {**stale["metadata"], "resourceVersion": "1"}}, kopf.Patch(), retry=0)

    assert "checkCronJob" not in (objects.get_monitor(namespace, "credit") or {})["status"]
