"""The training Job of a RetrainingJob, and the RetrainingJob a monitor's trigger stamps out. Pure.

The user's ``jobTemplate`` is kept as written, except what the operator must own: the Job's
name (deterministic: ``<rtj>-train``, so a retried create finds the same Job), namespace,
labels and ownerReference (the RetrainingJob, so deleting it deletes the Job and its pods).
Where the template says nothing, hardened defaults are filled in, and an explicit value in
the template always wins (a training image may need a writable root, say):

- ``activeDeadlineSeconds`` and ``backoffLimit`` from the operator settings;
- ``ttlSecondsAfterFinished`` one day: the finished Job and its pods go (the RetrainingJob keeps
  the result in its status; the monitor's history limits delete old RetrainingJobs);
- ``restartPolicy: Never`` (each attempt is its own pod, so the failed one's status stays
  readable);
- pod: ``runAsNonRoot``, seccomp ``RuntimeDefault``, no ServiceAccount token mounted;
- container: no privilege escalation, read-only root filesystem, every capability dropped,
  a writable ``emptyDir`` at ``/tmp`` when nothing is mounted there;
- ``terminationMessagePolicy: File``: the result is the file the container writes. Not
  ``FallbackToLogsOnError``: on a crash it would copy the log's tail into the pod status, and
  from there into the RetrainingJob's status and Events, where credentials a training
  script logs must never go.

The containers get ``MODELMON_MONITOR``, ``MODELMON_RETRAINING_JOB``, ``MODELMON_REASON`` and
``MODELMON_PARENT_VERSION`` in their environment (unless the template sets them).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as api
from modelmon.manifests.naming import child_name

Manifest = dict[str, Any]
LABEL_RETRAINING_JOB = "modelmon.io/retrainingjob"
LABEL_MONITOR = "modelmon.io/monitor"
LABEL_COMPONENT = "app.kubernetes.io/component"
MANAGED_BY = {"app.kubernetes.io/managed-by": "modelmon"}
NAME_LIMIT = 63  # the Job's name is also its pods' job-name label value
#: ttlSecondsAfterFinished of a training Job whose template sets none: one day to read its pods' logs.
TTL_SECONDS_AFTER_FINISHED = 86400


def job_name(retraining_job: str) -> str:
    return child_name(retraining_job, "train", limit=NAME_LIMIT)


def retraining_job_name(monitor: str, *, uid: str, key: str, kind: str = "retrain") -> str:
    """Deterministic name of the RetrainingJob a trigger firing (``key``) starts for a monitor
    (``kind`` undo: the one an undo starts)."""
    digest = hashlib.sha256(f"{uid}/{key}".encode()).hexdigest()[:8]
    return child_name(monitor, f"{kind}-{digest}", limit=NAME_LIMIT - len("-train"))


def build_training_job(*, name: str, namespace: str, uid: str, spec: api.RetrainingJobSpec,
                       parent_version: str | None, active_deadline_seconds: int, backoff_limit: int) -> Manifest:
    """The batch/v1 Job running the training container(s) of RetrainingJob ``name``."""
    template = copy.deepcopy(spec.job_template)
    labels = {**MANAGED_BY, LABEL_RETRAINING_JOB: name, LABEL_MONITOR: spec.monitor_ref.name,
              LABEL_COMPONENT: "training"}
    job_spec: dict[str, Any] = dict(template.get("spec") or {})
    job_spec.setdefault("activeDeadlineSeconds", active_deadline_seconds)
    job_spec.setdefault("backoffLimit", backoff_limit)
    job_spec.setdefault("ttlSecondsAfterFinished", TTL_SECONDS_AFTER_FINISHED)
    pod_template = dict(job_spec.get("template") or {})
    pod_meta = dict(pod_template.get("metadata") or {})
    pod_meta["labels"] = {**(pod_meta.get("labels") or {}), **labels}
    pod_template["metadata"] = pod_meta
    pod_template["spec"] = _harden_pod(dict(pod_template.get("spec") or {}), env=_env(
        namespace=namespace, name=name, spec=spec, parent_version=parent_version))
    job_spec["template"] = pod_template
    meta = dict(template.get("metadata") or {})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(name),
            "namespace": namespace,
            "labels": {**(meta.get("labels") or {}), **labels},
            **({"annotations": dict(meta["annotations"])} if meta.get("annotations") else {}),
            "ownerReferences": [{"apiVersion": f"{monitor_api.GROUP}/{monitor_api.VERSION}", "kind": api.KIND,
                                 "name": name, "uid": uid, "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": job_spec,
    }


def _env(*, namespace: str, name: str, spec: api.RetrainingJobSpec, parent_version: str | None) -> list[dict[str, str]]:
    return [{"name": "MODELMON_MONITOR", "value": f"{namespace}/{spec.monitor_ref.name}"},
            {"name": "MODELMON_RETRAINING_JOB", "value": f"{namespace}/{name}"},
            {"name": "MODELMON_REASON", "value": spec.reason},
            {"name": "MODELMON_PARENT_VERSION", "value": parent_version or ""}]


def _harden_pod(pod: dict[str, Any], *, env: list[dict[str, str]]) -> dict[str, Any]:
    pod.setdefault("restartPolicy", "Never")
    pod.setdefault("automountServiceAccountToken", False)
    security = dict(pod.get("securityContext") or {})
    security.setdefault("runAsNonRoot", True)
    security.setdefault("seccompProfile", {"type": "RuntimeDefault"})
    pod["securityContext"] = security
    volumes = list(pod.get("volumes") or [])
    containers = [_harden_container(dict(c), env=env) for c in pod["containers"]]
    if any(_needs_tmp(c) for c in pod["containers"]) and not any(v.get("name") == "modelmon-tmp" for v in volumes):
        volumes.append({"name": "modelmon-tmp", "emptyDir": {"sizeLimit": "1Gi"}})
    pod["containers"] = containers
    if volumes:
        pod["volumes"] = volumes
    return pod


def _needs_tmp(container: dict[str, Any]) -> bool:
    return not any(m.get("mountPath") == "/tmp" for m in container.get("volumeMounts") or [])


def _harden_container(container: dict[str, Any], *, env: list[dict[str, str]]) -> dict[str, Any]:
    security = dict(container.get("securityContext") or {})
    security.setdefault("allowPrivilegeEscalation", False)
    security.setdefault("readOnlyRootFilesystem", True)
    security.setdefault("runAsNonRoot", True)
    security.setdefault("capabilities", {"drop": ["ALL"]})
    container["securityContext"] = security
    container.setdefault("terminationMessagePolicy", "File")
    if _needs_tmp(container):
        container["volumeMounts"] = [*(container.get("volumeMounts") or []),
                                     {"name": "modelmon-tmp", "mountPath": "/tmp"}]
    own = {e.get("name") for e in container.get("env") or []}
    container["env"] = [*(container.get("env") or []), *(e for e in env if e["name"] not in own)]
    return container


def build_retraining_job(*, monitor: str, namespace: str, uid: str, name: str, template: api.RetrainingTemplate,
                         reason: str, priority: str, trigger: api.TriggerRecord | None = None,
                         deployment: str | None = None, restore: api.RestoreSpec | None = None) -> Manifest:
    """The RetrainingJob a monitor's trigger starts, owned by the monitor; ``trigger`` records what fired it,
    ``deployment`` (the monitor's ``spec.model.deploymentRef``) is its rollout's target when the template names none;
    ``restore`` (an undo) rolls that model out instead of training (the jobTemplate is kept, as the field is
    required, and not run)."""
    spec: dict[str, Any] = {"monitorRef": {"name": monitor}, "reason": reason, "priority": priority,
                            "jobTemplate": copy.deepcopy(template.job_template)}
    if trigger is not None:
        spec["trigger"] = trigger.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    if restore is not None:
        spec["restore"] = restore.model_dump(by_alias=True, exclude_none=True, mode="json")
    if template.validation is not None:
        spec["validation"] = template.validation.model_dump(by_alias=True, exclude_none=True)
    rollout = template.rollout_for(deployment=deployment)
    if rollout is not None:
        spec["rollout"] = rollout
    return {
        "apiVersion": f"{monitor_api.GROUP}/{monitor_api.VERSION}",
        "kind": api.KIND,
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {**MANAGED_BY, LABEL_MONITOR: monitor, "modelmon.io/reason": reason},
                     "ownerReferences": [{"apiVersion": f"{monitor_api.GROUP}/{monitor_api.VERSION}",
                                          "kind": monitor_api.KIND, "name": monitor, "uid": uid,
                                          "controller": True, "blockOwnerDeletion": True}]},
        "spec": spec,
    }
