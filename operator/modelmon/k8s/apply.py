"""Applying owned children: create, or patch only what differs; never touch what is equal.

Reconciling twice must change nothing, so a child is patched only when a field we set
differs from the live object (fields the server defaults are ignored). API errors are
classified by the caller: conflicts and server errors are temporary, the rest permanent.

Requests go out as plain JSON (``client.request_json``): a create is the common case, and
the typed APIs' model conversion of the manifest cost more than the request.
"""

from __future__ import annotations

from typing import Any

import kubernetes

from modelmon.k8s import client

Manifest = dict[str, Any]

#: The collection path of each kind we apply, in a namespace.
COLLECTIONS = {
    "ServiceAccount": "/api/v1/namespaces/{namespace}/serviceaccounts",
    "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
    "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
    "CronJob": "/apis/batch/v1/namespaces/{namespace}/cronjobs",
    "Job": "/apis/batch/v1/namespaces/{namespace}/jobs",
}
#: Built-in kinds take a strategic merge patch (what the typed APIs sent for a dict body).
PATCH_TYPE = "application/strategic-merge-patch+json"


def differs(desired: Any, live: Any) -> bool:
    """Whether ``live`` lacks or contradicts anything in ``desired`` (a recursive subset test)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return True
        return any(differs(value, live.get(key)) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return True
        return any(differs(want, have) for want, have in zip(desired, live))
    return bool(desired != live)


def apply_child(manifest: Manifest) -> str:
    """Create or patch one child; returns "created", "patched" or "unchanged"."""
    meta = manifest["metadata"]
    collection = COLLECTIONS[manifest["kind"]].format(namespace=meta["namespace"])
    try:
        client.request_json("POST", collection, manifest)
        return "created"
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
    path = f"{collection}/{meta['name']}"
    live = client.request_json("GET", path)
    desired = {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
    if not differs(desired, live):
        return "unchanged"
    client.request_json("PATCH", path, desired, content_type=PATCH_TYPE)
    return "patched"
