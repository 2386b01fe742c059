"""The drift-check CronJob of a ModelMonitor and the least-privilege RBAC its pod runs as.

The job's pod runs this project's image as ``modelmon check --monitor NS/NAME``; it may
read its monitor (and the ConfigMaps it names as data) and patch the monitor's status,
nothing else. Pods are hardened: non-root, read-only root filesystem, no privilege
escalation, every capability dropped, RuntimeDefault seccomp.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmon.api import history as history_api
from modelmon.api import monitor as api
from modelmon.policies import collected_source
from modelmon.manifests.naming import child_name

Manifest = dict[str, Any]
LABEL_MONITOR = "modelmon.io/monitor"
LABEL_COMPONENT = "app.kubernetes.io/component"
MANAGED_BY = {"app.kubernetes.io/managed-by": "modelmon"}


def cronjob_name(monitor: str) -> str:
    return child_name(monitor, "drift-check")


def account_name(monitor: str) -> str:
    return child_name(monitor, "checker", limit=253)


def owner_reference(*, name: str, uid: str) -> dict[str, Any]:
    return {"apiVersion": f"{api.GROUP}/{api.VERSION}", "kind": api.KIND, "name": name, "uid": uid,
            "controller": True, "blockOwnerDeletion": True}


def _metadata(*, name: str, namespace: str, monitor: str, uid: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace,
            "labels": {**MANAGED_BY, LABEL_MONITOR: monitor, LABEL_COMPONENT: "drift-check"},
            "ownerReferences": [owner_reference(name=monitor, uid=uid)]}


def _security_context() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def build_cronjob(*, monitor: str, namespace: str, uid: str, spec: api.ModelMonitorSpec, image: str,
                  pull_policy: str = "IfNotPresent", collector_store: str = "") -> Manifest:
    """``collector_store``: the operator's collector store, passed to a check whose current data is
    an inferenceService (it resolves it: policies/collected_source.py); no variable otherwise."""
    job = spec.check_job
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    if job.volume_claim:
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": job.volume_claim, "readOnly": True}})
        mounts.append({"name": "data", "mountPath": "/data", "readOnly": True})
    if spec.history is not None:
        # read-write: the check appends its record and report; nothing else is writable
        volumes.append({"name": "history", "persistentVolumeClaim": {"claimName": spec.history.volume_claim}})
        mounts.append({"name": "history", "mountPath": history_api.MOUNT_PATH})
    container: dict[str, Any] = {
        "name": "check",
        "image": job.image or image,
        "imagePullPolicy": pull_policy,
        "args": ["check", "--monitor", f"{namespace}/{monitor}"],
        "env": [{"name": "MODELMON_MONITOR", "value": f"{namespace}/{monitor}"}]
               + ([{"name": collected_source.STORE_ENV, "value": collector_store}]
                  if spec.current.inference_service is not None and collector_store else [])
               + [{"name": e.name, "valueFrom": {"secretKeyRef": {"name": e.secret_key_ref.name,
                                                                  "key": e.secret_key_ref.key}}}
                  for e in job.env],
        "securityContext": _security_context(),
        "resources": job.resources or {"requests": {"cpu": "100m", "memory": "256Mi"},
                                       "limits": {"memory": "2Gi"}},
        "volumeMounts": mounts,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    pod_spec = {
        "serviceAccountName": account_name(monitor),
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    }
    labels = {**MANAGED_BY, LABEL_MONITOR: monitor, LABEL_COMPONENT: "drift-check"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _metadata(name=cronjob_name(monitor), namespace=namespace, monitor=monitor, uid=uid),
        "spec": {
            "schedule": spec.schedule,
            "suspend": spec.suspend,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 300,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "activeDeadlineSeconds": job.active_deadline_seconds,
                    "backoffLimit": job.backoff_limit,
                    "ttlSecondsAfterFinished": 86400,
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
        },
    }


def build_service_account(*, monitor: str, namespace: str, uid: str,
                          annotations: Mapping[str, str] | None = None) -> Manifest:
    """``annotations``: spec.checkJob.serviceAccountAnnotations (cloud identities: IRSA, Workload Identity)."""
    metadata = _metadata(name=account_name(monitor), namespace=namespace, monitor=monitor, uid=uid)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": True}


def build_role(*, monitor: str, namespace: str, uid: str, spec: api.ModelMonitorSpec) -> Manifest:
    rules: list[dict[str, Any]] = [
        {"apiGroups": [api.GROUP], "resources": [api.PLURAL], "resourceNames": [monitor], "verbs": ["get"]},
        {"apiGroups": [api.GROUP], "resources": [f"{api.PLURAL}/status"], "resourceNames": [monitor],
         "verbs": ["get", "patch"]},
    ]
    truth = spec.performance.ground_truth if spec.performance else None
    sources = (spec.reference, spec.current, *((truth,) if truth else ()))
    config_maps = sorted({s.config_map_key_ref.name for s in sources if s.config_map_key_ref})
    if config_maps:
        rules.append({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": config_maps, "verbs": ["get"]})
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": _metadata(name=account_name(monitor), namespace=namespace, monitor=monitor, uid=uid),
            "rules": rules}


def build_role_binding(*, monitor: str, namespace: str, uid: str) -> Manifest:
    name = account_name(monitor)
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": _metadata(name=name, namespace=namespace, monitor=monitor, uid=uid),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]}


def build_children(*, monitor: str, namespace: str, uid: str, spec: api.ModelMonitorSpec, image: str,
                   pull_policy: str = "IfNotPresent", collector_store: str = "") -> list[Manifest]:
    """Every child of a monitor, RBAC first so the job never starts without its rights."""
    return [
        build_service_account(monitor=monitor, namespace=namespace, uid=uid,
                              annotations=spec.check_job.service_account_annotations),
        build_role(monitor=monitor, namespace=namespace, uid=uid, spec=spec),
        build_role_binding(monitor=monitor, namespace=namespace, uid=uid),
        build_cronjob(monitor=monitor, namespace=namespace, uid=uid, spec=spec, image=image, pull_policy=pull_policy,
                      collector_store=collector_store),
    ]


def build_job_from_cronjob(cronjob: Manifest, *, name: str) -> Manifest:
    """A Job from a CronJob's template, like ``kubectl create job --from=cronjob/...``."""
    template = cronjob["spec"]["jobTemplate"]
    metadata = cronjob["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": metadata["namespace"],
                         "labels": dict(template.get("metadata", {}).get("labels", {})),
                         "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                         "ownerReferences": list(metadata["ownerReferences"])},
            "spec": template["spec"]}
