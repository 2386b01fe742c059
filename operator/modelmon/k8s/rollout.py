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


def read_deployment(namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return _plain(_apps().read_namespaced_deployment(name, namespace))
    except kubernetes.client.ApiException as error:
        if errors.is_missing(error):
            return None
        raise


def deployment_state(body: Mapping[str, Any], *, handover: dict[str, str], owner_uid: str | None = None) -> \
        DeploymentState:
    meta, spec, status = body["metadata"], body.get("spec") or {}, body.get("status") or {}
    owned = owner_uid is None or any(ref.get("uid") == owner_uid for ref in meta.get("ownerReferences") or [])
    return DeploymentState(name=meta["name"], generation=int(meta.get("generation") or 0),
                           observed_generation=int(status.get("observedGeneration") or 0),
                           replicas=int(spec.get("replicas", 1)), updated=int(status.get("updatedReplicas") or 0),
                           ready=int(status.get("readyReplicas") or 0),
                           available=int(status.get("availableReplicas") or 0),
                           current=int(status.get("replicas") or 0), handover=handover, owned=owned)


def service_selector(namespace: str, name: str) -> dict[str, str] | None:
    try:
        service = _plain(client.core().read_namespaced_service(name, namespace))
    except kubernetes.client.ApiException as error:
        if errors.is_missing(error):
            return None
        raise
    return dict((service.get("spec") or {}).get("selector") or {})


def set_service_selector(namespace: str, name: str, selector: Mapping[str, str]) -> None:
    """Replace the selector (a JSON patch: a merge patch would keep keys the new selector lacks)."""
    current = service_selector(namespace, name)
    if current is None or current == dict(selector):
        return
    client.core().patch_namespaced_service(name, namespace, [{"op": "replace", "path": "/spec/selector",
                                                              "value": dict(selector)}], field_manager=FIELD_MANAGER)


def ensure_track(manifest: dict[str, Any], *, owner_uid: str) -> None:
    """Create the track's Deployment, or set its replicas; never adopt one owned by someone else."""
    meta = manifest["metadata"]
    live = read_deployment(meta["namespace"], meta["name"])
    if live is None:
        try:
            _apps().create_namespaced_deployment(meta["namespace"], cast(Any, manifest), field_manager=FIELD_MANAGER)
        except kubernetes.client.ApiException as error:
            if error.status != 409:
                raise
        return
    if not any(ref.get("uid") == owner_uid for ref in live["metadata"].get("ownerReferences") or []):
        return  # the planner sees it as not owned and stops the rollout
    if (live.get("spec") or {}).get("replicas") != manifest["spec"]["replicas"]:
        _apps().patch_namespaced_deployment(meta["name"], meta["namespace"],
                                            {"spec": {"replicas": manifest["spec"]["replicas"]}},
                                            field_manager=FIELD_MANAGER)


def delete_track(namespace: str, name: str, *, owner_uid: str) -> None:
    live = read_deployment(namespace, name)
    if live is None or not any(ref.get("uid") == owner_uid for ref in live["metadata"].get("ownerReferences") or []):
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
        client.custom_objects().patch_namespaced_custom_object(
            monitor_api.GROUP, monitor_api.VERSION, namespace, retraining_api.PLURAL, name,
            {"metadata": {"annotations": {key: None for key in keys}}})


def set_annotation(namespace: str, name: str, key: str, value: str) -> None:
    client.custom_objects().patch_namespaced_custom_object(
        monitor_api.GROUP, monitor_api.VERSION, namespace, retraining_api.PLURAL, name,
        {"metadata": {"annotations": {key: value}}})
