"""Kubernetes reads and writes of retraining: RetrainingJobs, their training Jobs and pods.

Thin: each function is one or two API calls, turning objects into the plain observations
the pure policies take (:mod:`modelmon.policies.retraining_job`, ``training_queue``).
"""

from __future__ import annotations

from typing import Any, cast

import kubernetes

from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as api
from modelmon.k8s import client
from modelmon.manifests.training import LABEL_RETRAINING_JOB
from modelmon.policies.retraining_history import PastJob
from modelmon.policies.retraining_job import JobState, Termination
from modelmon.policies.training_queue import QueuedJob

GROUP, VERSION = monitor_api.GROUP, monitor_api.VERSION


def _serialised(obj: Any) -> dict[str, Any]:
    return cast(dict[str, Any], client.api_client().sanitize_for_serialization(obj))


def list_retraining_jobs(namespaces: list[str]) -> list[dict[str, Any]]:
    """Every RetrainingJob the operator serves (cluster-wide when ``namespaces`` is empty)."""
    objects = client.custom_objects()
    if not namespaces:
        listed = cast(dict[str, Any], objects.list_cluster_custom_object(GROUP, VERSION, api.PLURAL))
        return list(listed.get("items") or [])
    found: list[dict[str, Any]] = []
    for namespace in namespaces:
        listed = cast(dict[str, Any], objects.list_namespaced_custom_object(GROUP, VERSION, namespace, api.PLURAL))
        found += listed.get("items") or []
    return found


def list_for_monitor(namespace: str, monitor: str) -> list[dict[str, Any]]:
    """The RetrainingJobs whose monitorRef names the monitor (owned by it or created by hand)."""
    listed = cast(dict[str, Any], client.custom_objects().list_namespaced_custom_object(GROUP, VERSION, namespace,
                                                                                        api.PLURAL))
    return [i for i in listed.get("items") or [] if (i.get("spec") or {}).get("monitorRef", {}).get("name") == monitor]


def active_names(items: list[dict[str, Any]]) -> list[str]:
    """Names of the RetrainingJobs in an active phase (or not yet given one), oldest first."""
    active = [i for i in items if not (i.get("metadata") or {}).get("deletionTimestamp")
              and ((i.get("status") or {}).get("phase") or "Pending") in api.ACTIVE_PHASES]
    active.sort(key=lambda i: (i["metadata"].get("creationTimestamp") or "", i["metadata"]["name"]))
    return [i["metadata"]["name"] for i in active]


def past_jobs(items: list[dict[str, Any]], *, monitor_uid: str) -> list[PastJob]:
    """The RetrainingJobs as the history planner sees them: phase, times, owned by the monitor or not."""
    jobs = []
    for item in items:
        meta, status = item["metadata"], item.get("status") or {}
        owners = {o.get("uid") for o in meta.get("ownerReferences") or []}
        jobs.append(PastJob(name=meta["name"], uid=str(meta.get("uid") or ""), phase=status.get("phase"),
                            completed=status.get("completionTime"), created=meta.get("creationTimestamp"),
                            owned=monitor_uid in owners, deleting=bool(meta.get("deletionTimestamp"))))
    return jobs


def delete_retraining_job(namespace: str, name: str, *, uid: str) -> None:
    """Delete one RetrainingJob (that very object: uid precondition); its training Job and pods follow by
    the garbage collector. Gone already, or replaced by a namesake, is fine."""
    options = kubernetes.client.V1DeleteOptions(propagation_policy="Background",
                                                preconditions=kubernetes.client.V1Preconditions(uid=uid))
    try:
        client.custom_objects().delete_namespaced_custom_object(GROUP, VERSION, namespace, api.PLURAL, name,
                                                                body=options)
    except kubernetes.client.ApiException as error:
        if error.status not in (404, 409):
            raise


def running_training_jobs(namespaces: list[str]) -> int:
    """Training Jobs not finished (no Complete or Failed condition) and not being deleted."""
    batch = client.batch()
    selector = LABEL_RETRAINING_JOB
    if not namespaces:
        items = batch.list_job_for_all_namespaces(label_selector=selector).items
    else:
        items = [j for ns in namespaces for j in batch.list_namespaced_job(ns, label_selector=selector).items]
    jobs = [_serialised(job) for job in items]
    return sum(1 for job in jobs if not job["metadata"].get("deletionTimestamp") and _outcome(job) is None)


def queued(items: list[dict[str, Any]]) -> list[QueuedJob]:
    """The RetrainingJobs waiting for a training slot (Pending, not suspended, not deleted)."""
    waiting = []
    for item in items:
        meta, spec, status = item["metadata"], item.get("spec") or {}, item.get("status") or {}
        if meta.get("deletionTimestamp") or spec.get("suspend") or status.get("jobName"):
            continue
        if (status.get("phase") or "Pending") != "Pending":
            continue
        waiting.append(QueuedJob(namespace=meta["namespace"], name=meta["name"],
                                 priority=str(spec.get("priority") or "medium"),
                                 created=str(meta.get("creationTimestamp") or ""),
                                 monitor=str((spec.get("monitorRef") or {}).get("name") or "")))
    return waiting


def busy_monitors(items: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(namespace, monitor) -> the RetrainingJob that is training, validating or rolling out its model."""
    busy: dict[tuple[str, str], str] = {}
    for item in items:
        meta, spec, status = item["metadata"], item.get("spec") or {}, item.get("status") or {}
        if status.get("phase") in ("Training", "Validating", "RollingOut") and not meta.get("deletionTimestamp"):
            busy[(meta["namespace"], str((spec.get("monitorRef") or {}).get("name") or ""))] = meta["name"]
    return busy


def _outcome(job: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition["type"], condition.get("reason"), condition.get("message")
    return None


def observe_job(namespace: str, name: str) -> JobState | None:
    """The training Job's state, with the termination of its deciding pod once it finished."""
    try:
        job = _serialised(client.batch().read_namespaced_job(name, namespace))
    except kubernetes.client.ApiException as error:
        if error.status == 404:
            return None
        raise
    outcome = _outcome(job)
    deleting = bool(job["metadata"].get("deletionTimestamp"))
    if outcome is None:
        return JobState(name=name, outcome=None, deleting=deleting)
    kind, reason, message = outcome
    return JobState(name=name, outcome=kind, failure_reason=reason if kind == "Failed" else None,
                    failure_message=message if kind == "Failed" else None,
                    termination=_termination(namespace, name, succeeded=kind == "Complete"), deleting=deleting)


def _termination(namespace: str, job: str, *, succeeded: bool) -> Termination | None:
    """How the first container of the Job's deciding pod ended: the Succeeded pod, else the last Failed one."""
    pods = [_serialised(p) for p in client.core().list_namespaced_pod(namespace, label_selector=f"job-name={job}").items]
    wanted = "Succeeded" if succeeded else "Failed"
    pods = [p for p in pods if (p.get("status") or {}).get("phase") == wanted] or pods
    pods.sort(key=lambda p: p["metadata"].get("creationTimestamp") or "")
    for pod in reversed(pods):
        first = ((pod.get("spec") or {}).get("containers") or [{}])[0].get("name")
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (status.get("state") or {}).get("terminated") or \
                (status.get("lastState") or {}).get("terminated")
            if status.get("name") == first and terminated:
                return Termination(exit_code=terminated.get("exitCode"), reason=terminated.get("reason"),
                                   message=terminated.get("message"))
    return None


def create_job(manifest: dict[str, Any], *, owner_uid: str) -> None:
    """Create the training Job; an existing one is adopted if this RetrainingJob owns it."""
    meta = manifest["metadata"]
    try:
        client.batch().create_namespaced_job(meta["namespace"], cast(Any, manifest))
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
        live = _serialised(client.batch().read_namespaced_job(meta["name"], meta["namespace"]))
        owners = [o.get("uid") for o in live["metadata"].get("ownerReferences") or []]
        if owner_uid not in owners:
            raise kubernetes.client.ApiException(
                status=409, reason=f"a Job named {meta['name']} exists and belongs to someone else") from error


def delete_job(namespace: str, name: str) -> None:
    """Delete the training Job and (in the background) its pods; a missing Job is fine."""
    try:
        client.batch().delete_namespaced_job(name, namespace, propagation_policy="Background")
    except kubernetes.client.ApiException as error:
        if error.status != 404:
            raise


def create_retraining_job(manifest: dict[str, Any]) -> bool:
    """Create a RetrainingJob; False when it exists already (a decision repeated after a crash)."""
    try:
        client.custom_objects().create_namespaced_custom_object(
            GROUP, VERSION, manifest["metadata"]["namespace"], api.PLURAL, manifest)
        return True
    except kubernetes.client.ApiException as error:
        if error.status == 409:
            return False
        raise
