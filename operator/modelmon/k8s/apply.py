"""Applying owned children: create, or patch only what differs; never touch what is equal.

Reconciling twice must change nothing, so a child is patched only when a field we set
differs from the live object (fields the server defaults are ignored). API errors are
classified by the caller: conflicts and server errors are temporary, the rest permanent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes

from modelmon.k8s import client

Manifest = dict[str, Any]


def _api(kind: str) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    core, batch, rbac = client.core(), client.batch(), client.rbac()
    table: dict[str, tuple[Any, Any, Any]] = {
        "ServiceAccount": (core.create_namespaced_service_account, core.read_namespaced_service_account,
                           core.patch_namespaced_service_account),
        "Role": (rbac.create_namespaced_role, rbac.read_namespaced_role, rbac.patch_namespaced_role),
        "RoleBinding": (rbac.create_namespaced_role_binding, rbac.read_namespaced_role_binding,
                        rbac.patch_namespaced_role_binding),
        "CronJob": (batch.create_namespaced_cron_job, batch.read_namespaced_cron_job,
                    batch.patch_namespaced_cron_job),
        "Job": (batch.create_namespaced_job, batch.read_namespaced_job, batch.patch_namespaced_job),
    }
    return table[kind]


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
    create, read, patch = _api(manifest["kind"])
    meta = manifest["metadata"]
    try:
        create(meta["namespace"], manifest)
        return "created"
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
    live = client.api_client().sanitize_for_serialization(read(meta["name"], meta["namespace"]))
    desired = {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
    if not differs(desired, live):
        return "unchanged"
    patch(meta["name"], meta["namespace"], desired)
    return "patched"
