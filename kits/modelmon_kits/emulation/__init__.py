"""A Kubernetes API without a cluster: kmock's emulator with the semantics this operator needs.

Used by the no-cluster demo, by tests when no real control plane is available, and by the
scale benchmark. ``EmulatedCluster`` serves the API on 127.0.0.1 and writes a kubeconfig;
``running_operator`` runs the real operator against it. Needs the ``demo`` (or ``test``)
extra, which brings kmock.
"""

from modelmon_kits.emulation.cluster import ClusterAccess, EmulatedCluster
from modelmon_kits.emulation.errors import ApiError
from modelmon_kits.emulation.server import ApiServerEmulator

__all__ = ["ApiError", "ClusterAccess", "ApiServerEmulator", "EmulatedCluster", "running_operator"]


def __getattr__(name: str):  # the operator thread imports kopf handlers: load it only when asked
    if name == "running_operator":
        from modelmon_kits.emulation.operator_thread import running_operator

        return running_operator
    raise AttributeError(name)
