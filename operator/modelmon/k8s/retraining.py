"""Kubernetes reads and writes of retraining: RetrainingJobs, their training Jobs and pods.

Thin: each function is one or two API calls, turning objects into the plain observations
the pure policies take (:mod:`modelmon.policies.retraining_job`, ``training_queue``). A listed
RetrainingJob is read once into a :class:`ListedJob` (its status through the status model), and
the queue, the triggers and the history read that; Jobs and pods are read as the client's typed
objects.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, cast

import kubernetes
import pydantic

from modelmon.api import errors as api_errors
from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as api
from modelmon.api.retraining_phases import RetrainingPhase as Phase
from modelmon.k8s import client
from modelmon.manifests.training import LABEL_RETRAINING_JOB
from modelmon.policies.retraining_history import PastJob
from modelmon.policies.retraining_job import JOB_COMPLETE, JOB_FAILED, JobState, Termination
from modelmon.policies.training_queue import QueuedJob

GROUP, VERSION = monitor_api.GROUP, monitor_api.VERSION
log = logging.getLogger(__name__)
#: The status fields a listing needs; only these are parsed, so a damage elsewhere does not hide a job.
_LISTED_STATUS = ("phase", "jobName", "completionTime")
#: The phases of a training pod that decide how its Job ended (core/v1 PodPhase).
_POD_SUCCEEDED, _POD_FAILED = "Succeeded", "Failed"
#: Phases in which a RetrainingJob holds its monitor's turn.
_BUSY = frozenset({Phase.TRAINING, Phase.VALIDATING, Phase.ROLLING_OUT})


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListedJob:
    """One listed RetrainingJob as the queue, the triggers and the history see it, read once."""

    namespace: str
    name: str
    uid: str
    created: str
    """metadata.creationTimestamp ("" when absent)."""
    deleting: bool
    owners: frozenset[str]
    """The uids of its owners."""
    monitor: str
    """spec.monitorRef.name ("" when absent)."""
    priority: str
    suspended: bool
    phase: Phase | None
    """status.phase; None: not yet given one (so Pending)."""
    job_name: str | None
    completed: str | None

    @property
    def active(self) -> bool:
        return (self.phase or Phase.PENDING).value in api.ACTIVE_PHASES


def read_listed(item: dict[str, Any]) -> ListedJob | None:
    """``item`` read once; None (and one log line naming the field) when its status cannot be read: a
    guess could queue, block or prune it wrongly, so it is passed by until a person fixes it."""
    meta, spec = item["metadata"], item.get("spec") or {}
    raw = item.get("status") or {}
    try:
        status = api.RetrainingJobStatus.model_validate({k: raw[k] for k in _LISTED_STATUS if k in raw})
    except pydantic.ValidationError as error:
        log.error(
            "RetrainingJob %s/%s: its status is unreadable, the queue and the triggers pass it by (fix or "
            "remove it): %s",
            meta.get("namespace"),
            meta.get("name"),
            api_errors.describe(error, prefix="status"),
        )
        return None
    reference = spec.get("monitorRef") or {}
    return ListedJob(
        namespace=meta["namespace"],
        name=meta["name"],
        uid=str(meta.get("uid") or ""),
        created=str(meta.get("creationTimestamp") or ""),
        deleting=bool(meta.get("deletionTimestamp")),
        owners=frozenset(str(o.get("uid")) for o in meta.get("ownerReferences") or []),
        monitor=str(reference.get("name") or ""),
        priority=str(spec.get("priority") or "medium"),
        suspended=bool(spec.get("suspend")),
        phase=status.phase,
        job_name=status.job_name,
        completed=status.completion_time,
    )


def _read_all(items: list[dict[str, Any]]) -> list[ListedJob]:
    return [job for job in map(read_listed, items) if job is not None]


def list_retraining_jobs(namespaces: list[str]) -> list[ListedJob]:
    """Every RetrainingJob the operator serves (cluster-wide when ``namespaces`` is empty)."""
    objects = client.custom_objects()
    if not namespaces:
        listed = cast(dict[str, Any], objects.list_cluster_custom_object(GROUP, VERSION, api.PLURAL))
        return _read_all(list(listed.get("items") or []))
    found: list[dict[str, Any]] = []
    for namespace in namespaces:
        listed = cast(dict[str, Any], objects.list_namespaced_custom_object(GROUP, VERSION, namespace, api.PLURAL))
        found += listed.get("items") or []
    return _read_all(found)


def list_for_monitor(namespace: str, monitor: str) -> list[ListedJob]:
    """The RetrainingJobs whose monitorRef names the monitor (owned by it or created by hand)."""
    listed = cast(
        dict[str, Any], client.custom_objects().list_namespaced_custom_object(GROUP, VERSION, namespace, api.PLURAL)
    )
    return [job for job in _read_all(list(listed.get("items") or [])) if job.monitor == monitor]


def active_names(items: list[ListedJob]) -> list[str]:
    """Names of the RetrainingJobs in an active phase (or not yet given one), oldest first."""
    active = sorted((job for job in items if not job.deleting and job.active), key=lambda job: (job.created, job.name))
    return [job.name for job in active]


def past_jobs(items: list[ListedJob], *, monitor_uid: str) -> list[PastJob]:
    """The RetrainingJobs as the history planner sees them: phase, times, owned by the monitor or not."""
    return [
        PastJob(
            name=job.name,
            uid=job.uid,
            phase=job.phase,
            completed=job.completed,
            created=job.created or None,
            owned=monitor_uid in job.owners,
            deleting=job.deleting,
        )
        for job in items
    ]


def delete_retraining_job(namespace: str, name: str, *, uid: str) -> None:
    """Delete one RetrainingJob (that very object: uid precondition); its training Job and pods follow by
    the garbage collector. Gone already, or replaced by a namesake, is fine."""
    options = kubernetes.client.V1DeleteOptions(
        propagation_policy="Background", preconditions=kubernetes.client.V1Preconditions(uid=uid)
    )
    try:
        client.custom_objects().delete_namespaced_custom_object(
            GROUP, VERSION, namespace, api.PLURAL, name, body=options
        )
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
    return len([job for job in items if not _deleting(job) and _outcome(job) is None])


def queued(items: list[ListedJob]) -> list[QueuedJob]:
    """The RetrainingJobs waiting for a training slot (Pending, not suspended, not deleted)."""
    return [
        QueuedJob(
            namespace=job.namespace, name=job.name, priority=job.priority, created=job.created, monitor=job.monitor
        )
        for job in items
        if not (job.deleting or job.suspended or job.job_name) and (job.phase or Phase.PENDING) == Phase.PENDING
    ]


def busy_monitors(items: list[ListedJob]) -> dict[tuple[str, str], str]:
    """(namespace, monitor) -> the RetrainingJob that is training, validating or rolling out its model."""
    return {(job.namespace, job.monitor): job.name for job in items if job.phase in _BUSY and not job.deleting}


def _deleting(job: kubernetes.client.V1Job) -> bool:
    return bool(job.metadata is not None and job.metadata.deletion_timestamp)


def _created(pod: kubernetes.client.V1Pod) -> Any:
    return pod.metadata.creation_timestamp if pod.metadata is not None else None


def _outcome(job: kubernetes.client.V1Job) -> tuple[str, str | None, str | None] | None:
    for condition in (job.status.conditions if job.status else None) or []:
        if condition.type in (JOB_COMPLETE, JOB_FAILED) and condition.status == "True":
            return str(condition.type), condition.reason, condition.message
    return None


def observe_job(namespace: str, name: str) -> JobState | None:
    """The training Job's state, with the termination of its deciding pod once it finished."""
    try:
        job = client.batch().read_namespaced_job(name, namespace)
    except kubernetes.client.ApiException as error:
        if error.status == 404:
            return None
        raise
    outcome = _outcome(job)
    deleting = _deleting(job)
    if outcome is None:
        return JobState(name=name, outcome=None, deleting=deleting)
    kind, reason, message = outcome
    return JobState(
        name=name,
        outcome=kind,
        failure_reason=reason if kind == JOB_FAILED else None,
        failure_message=message if kind == JOB_FAILED else None,
        termination=_termination(namespace, name, succeeded=kind == JOB_COMPLETE),
        deleting=deleting,
    )


def _termination(namespace: str, job: str, *, succeeded: bool) -> Termination | None:
    """How the first container of the Job's deciding pod ended: the Succeeded pod, else the last Failed one."""
    pods = client.core().list_namespaced_pod(namespace, label_selector=f"job-name={job}").items
    wanted = _POD_SUCCEEDED if succeeded else _POD_FAILED
    pods = [p for p in pods if p.status is not None and p.status.phase == wanted] or pods
    # oldest first, a pod without a creation time first (as an empty stamp sorted before any)
    pods.sort(key=lambda p: (_created(p) is not None, _created(p) or 0))
    for pod in reversed(pods):
        first = pod.spec.containers[0].name if pod.spec is not None and pod.spec.containers else None
        for status in (pod.status.container_statuses if pod.status else None) or []:
            terminated = (status.state.terminated if status.state else None) or (
                status.last_state.terminated if status.last_state else None
            )
            if status.name == first and terminated:
                return Termination(exit_code=terminated.exit_code, reason=terminated.reason, message=terminated.message)
    return None


def create_job(manifest: dict[str, Any], *, owner_uid: str) -> None:
    """Create the training Job; an existing one is adopted if this RetrainingJob owns it."""
    meta = manifest["metadata"]
    try:
        client.batch().create_namespaced_job(meta["namespace"], cast(Any, manifest))
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
        live = client.batch().read_namespaced_job(meta["name"], meta["namespace"])
        owners = [o.uid for o in (live.metadata.owner_references if live.metadata else None) or []]
        if owner_uid not in owners:
            raise kubernetes.client.ApiException(
                status=409, reason=f"a Job named {meta['name']} exists and belongs to someone else"
            ) from error


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
            GROUP, VERSION, manifest["metadata"]["namespace"], api.PLURAL, manifest
        )
        return True
    except kubernetes.client.ApiException as error:
        if error.status == 409:
            return False
        raise


def stored_phase(body: Mapping[str, Any]) -> str | None:
    """A RetrainingJob's ``status.phase`` as stored, unparsed: what kopf's filters and the step loop compare
    with phase words before anything is parsed (they see every event, so they stay cheap)."""
    return (body.get("status") or {}).get("phase")


def has_rollout(body: Mapping[str, Any]) -> bool:
    """Whether a RetrainingJob's stored status holds a rollout (one ran, so it can be retried)."""
    return bool((body.get("status") or {}).get("rollout"))
