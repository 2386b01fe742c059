"""Manifests and patches of a rollout. Pure.

The new model's Deployment (the canary, or blue-green's preview) is a copy of the target's
pod template with the new model's hand-over, owned by the RetrainingJob so deleting that
deletes it. Its name is deterministic (``<target>-canary`` / ``<target>-preview``).

- Canary pods keep every label of the target's pods, so the Services that select the target
  select them too (that is how they get their share of traffic), plus ``modelmon.io/track:
  canary`` and ``modelmon.io/rollout: <rtj>``, which the canary's own selector adds so that it
  never claims the target's pods.
- Preview pods drop the label keys the active Service selects on (so it sends them nothing
  before the switch) and carry ``modelmon.io/track: preview`` and ``modelmon.io/rollout``,
  which is what the switched selector names.

The target itself is changed by one JSON patch only: the hand-over values (env values or the
image) of its model container, guarded by ``test`` operations on the container's name and
position, so a Deployment edited in between is never patched at the wrong place.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from modelmon.api.rollout import ROLLOUT_LABEL, TRACK_LABEL
from modelmon.manifests.naming import child_name
from modelmon.rollout import handover

Manifest = dict[str, Any]
NAME_LIMIT = 52  # ReplicaSet and pod names append hashes to the Deployment's


def track_name(target: str, track: str) -> str:
    return child_name(target, track, limit=NAME_LIMIT)


def model_container(deployment: Mapping[str, Any], container: str | None) -> tuple[int, dict[str, Any]] | str:
    """Index and body of the model container, or why there is none (a message naming the fix)."""
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    if not containers:
        return f"Deployment {deployment['metadata']['name']} has no containers"
    if container is None:
        return 0, containers[0]
    for index, item in enumerate(containers):
        if item.get("name") == container:
            return index, item
    names = [c.get("name") for c in containers]
    return (f"Deployment {deployment['metadata']['name']} has no container {container!r} "
            f"(spec.rollout.container); it has {names}")


def current_values(container: Mapping[str, Any], keys: list[str]) -> dict[str, str]:
    """The hand-over values the container carries now ('' for an env variable that is absent)."""
    env = {item.get("name"): item for item in container.get("env") or []}
    values = {}
    for key in keys:
        if key == handover.IMAGE:
            values[key] = str(container.get("image") or "")
        else:
            values[key] = str((env.get(key.removeprefix(handover.ENV_PREFIX)) or {}).get("value") or "")
    return values


def with_values(container: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A copy of the container carrying ``values``."""
    result = copy.deepcopy(dict(container))
    env = list(result.get("env") or [])
    for key, value in values.items():
        if key == handover.IMAGE:
            result["image"] = value
            continue
        name = key.removeprefix(handover.ENV_PREFIX)
        for i, item in enumerate(env):
            if item.get("name") == name:
                env[i] = {"name": name, "value": value}
                break
        else:
            env.append({"name": name, "value": value})
    if env:
        result["env"] = env
    return result


def handover_patch(deployment: Mapping[str, Any], *, index: int, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """JSON patch setting ``values`` on container ``index``; empty when it already carries them."""
    base = f"/spec/template/spec/containers/{index}"
    container = deployment["spec"]["template"]["spec"]["containers"][index]
    ops: list[dict[str, Any]] = []
    env = list(container.get("env") or [])
    for key, value in sorted(values.items()):
        if key == handover.IMAGE:
            if container.get("image") != value:
                ops.append({"op": "replace", "path": f"{base}/image", "value": value})
            continue
        name = key.removeprefix(handover.ENV_PREFIX)
        position = next((i for i, item in enumerate(env) if item.get("name") == name), None)
        if position is None:
            if not env and not any(op["path"] == f"{base}/env" for op in ops):
                ops.append({"op": "add", "path": f"{base}/env", "value": []})
            ops.append({"op": "add", "path": f"{base}/env/-", "value": {"name": name, "value": value}})
            env.append({"name": name, "value": value})
        elif env[position] != {"name": name, "value": value}:
            # replace the whole entry: a valueFrom there would otherwise remain beside the value
            ops.append({"op": "test", "path": f"{base}/env/{position}/name", "value": name})
            ops.append({"op": "replace", "path": f"{base}/env/{position}", "value": {"name": name, "value": value}})
    if not ops:
        return []
    return [{"op": "test", "path": f"{base}/name", "value": container["name"]}, *ops]


def build_track(*, target: Mapping[str, Any], track: str, replicas: int, rollout: str, owner: Mapping[str, Any],
                container_index: int, values: Mapping[str, str],
                hidden_keys: frozenset[str] = frozenset()) -> Manifest:
    """The new model's Deployment for ``track`` (canary or preview), cloned from ``target``."""
    meta, spec = target["metadata"], target["spec"]
    template = copy.deepcopy(spec["template"])
    mark = {TRACK_LABEL: track, ROLLOUT_LABEL: rollout}
    pod_labels = {k: v for k, v in (template.get("metadata") or {}).get("labels", {}).items() if k not in hidden_keys}
    template.setdefault("metadata", {})["labels"] = {**pod_labels, **mark}
    containers = template["spec"]["containers"]
    containers[container_index] = with_values(containers[container_index], values)
    match = {k: v for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items() if k not in hidden_keys}
    body: Manifest = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": track_name(meta["name"], track), "namespace": meta["namespace"],
                     # not the target's own labels: a GitOps tool tracking by label (Argo CD's
                     # app.kubernetes.io/instance) would take this Deployment for its own and prune it
                     "labels": {**mark, "app.kubernetes.io/managed-by": "modelmon"},
                     "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                          "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {**match, **mark}}, "template": template,
                 "revisionHistoryLimit": 1},
    }
    for key in ("minReadySeconds", "progressDeadlineSeconds", "strategy"):
        if key in spec:
            body["spec"][key] = copy.deepcopy(spec[key])
    return body
