"""The kopf peering objects replicas meet in (group kopf.dev, shipped as CRDs by the chart).

kopf's mandatory peering starts every replica paused and resumes one only on an event of its
peering object: with no object, every replica stays paused forever. The operator creates the
object at start when it is missing, so an install needs no hand-made object and no Helm hook
(a custom resource cannot be a plain template of the chart that installs its CRD: Helm maps
every template to a known kind before it creates the CRD).
"""

from __future__ import annotations

import logging

import kubernetes

from modelmon.k8s import client

GROUP, VERSION = "kopf.dev", "v1"
logger = logging.getLogger("modelmon.peering")


def peering_object(name: str, namespace: str | None) -> dict[str, object]:
    kind = "KopfPeering" if namespace else "ClusterKopfPeering"
    metadata: dict[str, str] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": kind, "metadata": metadata}


def ensure_peering_objects(name: str, namespaces: list[str]) -> None:
    """One ClusterKopfPeering ``name`` for a cluster-wide operator, else one KopfPeering
    ``name`` in each watched namespace; an existing object is left as it is."""
    api = client.custom_objects()
    scopes: list[str | None] = [*namespaces] if namespaces else [None]
    for namespace in scopes:
        body = peering_object(name, namespace)
        try:
            if namespace:
                api.create_namespaced_custom_object(GROUP, VERSION, namespace, "kopfpeerings", body)
            else:
                api.create_cluster_custom_object(GROUP, VERSION, "clusterkopfpeerings", body)
        except kubernetes.client.ApiException as error:
            if error.status == 409:
                continue
            where = f"namespace {namespace}" if namespace else "the cluster"
            if error.status == 404:
                logger.error(
                    "kopf's peering CRDs are missing in %s: install the chart with crds.install=true "
                    "(or apply charts/modelmon/files/crds/kopf-peerings.yaml); every replica stays paused "
                    "until they exist.",
                    where,
                )
            else:
                logger.error(
                    "Could not create the peering object %r in %s: %s %s; replicas stay paused until it exists.",
                    name,
                    where,
                    error.status,
                    error.reason,
                )
            return
