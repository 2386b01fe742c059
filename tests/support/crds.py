"""Installing the CRDs on the real control plane, and waiting until the API server serves them.

Established is polled through the API (a just-created object may not be visible to a
``kubectl wait`` yet), and a failing apply fails with kubectl's own words.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import kubernetes

from modelmon.api import crds
from support.waiting import wait_for

#: The names of the CRDs the models generate.
NAMES = ("modelmonitors.modelmon.io", "retrainingjobs.modelmon.io")


def install_crd(kubeconfig: str | Path, path: str | Path, name: str) -> None:
    """``kubectl apply`` a committed CRD (crds/*.yaml) and wait until it is Established."""
    applied = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "apply", "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, f"kubectl apply -f {path} failed: {applied.stdout}{applied.stderr}"
    wait_established(kubeconfig, [name])


def install_generated_crds(kubeconfig: str | Path) -> None:
    """Every CRD as the models generate it (the committed copies are regenerated from the same models)."""
    applied = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "apply", "--server-side", "--force-conflicts", "-f", "-"],
        input=crds.render_yaml(crds.all_crds()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode == 0, f"kubectl apply of the generated CRDs failed: {applied.stdout}{applied.stderr}"
    wait_established(kubeconfig, NAMES)


def wait_established(kubeconfig: str | Path, names: Iterable[str]) -> None:
    extensions = kubernetes.client.ApiextensionsV1Api(
        kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    )
    for name in names:

        def established(name: str = name) -> bool:
            crd = extensions.read_custom_resource_definition(name)
            return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])

        wait_for(established, timeout=90, what=f"CRD {name} Established")
