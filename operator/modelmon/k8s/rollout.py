"""Kubernetes reads and writes of a rollout: Deployments, Services, the RetrainingJob.

Only three kinds of write touch objects the user owns, each as narrow as it can be: the
target Deployment's model hand-over (a guarded JSON patch of those values), and a Service's
``spec.selector`` (blue-green, restored at the end). Everything else is the rollout's own
Deployment and the RetrainingJob's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import kubernetes

from modelmon.api import monitor as monitor_api
from modelmon.api import retraining as retraining_api
from modelmon.k8s import client, errors
from modelmon.rollout.observations import DeploymentState

#: The field manager of every write: GitOps tools can trust it (Argo CD managedFieldsManagers).
FIELD_MANAGER = "modelmon"


def _apps() -> kubernetes.client.AppsV1Api:
    return client._typed_api(kubernetes.client.AppsV1Api)


def _plain(obj: Any) -> dict[str, Any]:
    return cast(dict[str, Any], client.api_client().sanitize_for_serialization(obj))


# --- reading Kubernetes' own objects ---------------------------------------------------------
# Deployments and Services come as plain JSON (dicts, not a typed model of ours): each field path is
# read by one function below, so a path is spelt once and a missing part reads as Kubernetes' default.


def _metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return cast(Mapping[str, Any], body["metadata"])


def _spec(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return cast(Mapping[str, Any], body.get("spec") or {})


def _status(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return cast(Mapping[str, Any], body.get("status") or {})


def _name(body: Mapping[str, Any]) -> str:
    return str(_metadata(body)["name"])


def _where(body: Mapping[str, Any]) -> tuple[str, str]:
    """(namespace, name) of an object or manifest."""
    return str(_metadata(body)["namespace"]), _name(body)


def _generation(body: Mapping[str, Any]) -> int:
    return int(_metadata(body).get("generation") or 0)


def _owned_by(body: Mapping[str, Any], owner_uid: str) -> bool:
    return any(ref.get("uid") == owner_uid for ref in _metadata(body).get("ownerReferences") or [])


def _replicas(body: Mapping[str, Any]) -> int | None:
    """spec.replicas as written (None when left to Kubernetes' default of 1)."""
    replicas = _spec(body).get("replicas")
    return None if replicas is None else int(replicas)


def _counted(body: Mapping[str, Any], field: str) -> int:
    """A count of status (observedGeneration, replicas, updatedReplicas...): 0 until the controller sets it."""
    return int(_status(body).get(field) or 0)


def _selector(service: Mapping[str, Any]) -> dict[str, str]:
    return dict(_spec(service).get("selector") or {})


def read_deployment(namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return _plain(_apps().read_namespaced_deployment(name, namespace))
    except kubernetes.client.ApiException as error:
        if errors.is_missing(error):
            return None
        raise


def deployment_state(
    body: Mapping[str, Any], *, handover: dict[str, str], owner_uid: str | None = None
) -> DeploymentState:
    replicas = _replicas(body)
    return DeploymentState(
        name=_name(body),
        generation=_generation(body),
        observed_generation=_counted(body, "observedGeneration"),
        replicas=1 if replicas is None else replicas,
        updated=_counted(body, "updatedReplicas"),
        ready=_counted(body, "readyReplicas"),
        available=_counted(body, "availableReplicas"),
        current=_counted(body, "replicas"),
        handover=handover,
        owned=owner_uid is None or _owned_by(body, owner_uid),
    )


def service_selector(namespace: str, name: str) -> dict[str, str] | None:
    try:
        service = _plain(client.core().read_namespaced_service(name, namespace))
    except kubernetes.client.ApiException as error:
        if errors.is_missing(error):
            return None
        raise
    return _selector(service)


def set_service_selector(namespace: str, name: str, selector: Mapping[str, str]) -> None:
    """Replace the selector (a JSON patch: a merge patch would keep keys the new selector lacks)."""
    current = service_selector(namespace, name)
    if current is None or current == dict(selector):
        return
    client.core().patch_namespaced_service(
        name,
        namespace,
        [{"op": "replace", "path": "/spec/selector", "value": dict(selector)}],
        field_manager=FIELD_MANAGER,
    )


def ensure_track(manifest: dict[str, Any], *, owner_uid: str) -> None:
    """Create the track's Deployment, or set its replicas; never adopt one owned by someone else."""
    namespace, name = _where(manifest)
    live = read_deployment(namespace, name)
    if live is None:
        try:
            _apps().create_namespaced_deployment(namespace, cast(Any, manifest), field_manager=FIELD_MANAGER)
        except kubernetes.client.ApiException as error:
            if error.status != 409:
                raise
        return
    if not _owned_by(live, owner_uid):
        return  # the planner sees it as not owned and stops the rollout
    replicas = _replicas(manifest)
    if _replicas(live) != replicas:
        _apps().patch_namespaced_deployment(
            name, namespace, {"spec": {"replicas": replicas}}, field_manager=FIELD_MANAGER
        )


def delete_track(namespace: str, name: str, *, owner_uid: str) -> None:
    live = read_deployment(namespace, name)
    if live is None or not _owned_by(live, owner_uid):
        return
    try:
        _apps().delete_namespaced_deployment(name, namespace, propagation_policy="Background")
    except kubernetes.client.ApiException as error:
        if not errors.is_missing(error):
            raise


def patch_target(namespace: str, name: str, patch: list[dict[str, Any]]) -> None:
    if patch:
        _apps().patch_namespaced_deployment(name, namespace, patch, field_manager=FIELD_MANAGER)


def remove_annotations(namespace: str, name: str, keys: list[str]) -> None:
    if keys:
        _annotate_retraining_job(namespace, name, {key: None for key in keys})


def set_annotation(namespace: str, name: str, key: str, value: str) -> None:
    _annotate_retraining_job(namespace, name, {key: value})


def _annotate_retraining_job(namespace: str, name: str, annotations: dict[str, str | None]) -> None:
    """A merge patch of the RetrainingJob's annotations (None removes one): the steering annotations are
    the only part of our own object's metadata the rollout writes."""
    client.custom_objects().patch_namespaced_custom_object(
        monitor_api.GROUP,
        monitor_api.VERSION,
        namespace,
        retraining_api.PLURAL,
        name,
        {"metadata": {"annotations": annotations}},
    )
