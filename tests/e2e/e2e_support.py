"""What the end-to-end tests use: the cluster and the commands a person types against it.

Every step of an end-to-end test is such a command: ``kubectl`` and ``helm`` as subprocesses
with the cluster's KUBECONFIG, in this repository's directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HACK = ROOT / "hack"
if str(HACK) not in sys.path:
    sys.path.insert(0, str(HACK))

import control_plane as _control_plane  # noqa: E402
import images as _images  # noqa: E402
import node  # noqa: E402,F401 - re-exported: the node's address for tests that serve on it


class CommandFailed(AssertionError):
    pass


@dataclass
class Cluster:
    """The running cluster and the commands a person runs against it."""

    plane: _control_plane.ControlPlane
    images: list[_images.Built]
    env: dict[str, str]

    def run(self, *argv: str, check: bool = True, input: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(list(argv), cwd=ROOT, env=self.env, input=input, text=True,
                                capture_output=True, timeout=timeout,
                                check=False)
        if check and result.returncode != 0:
            raise CommandFailed(f"`{' '.join(argv)}` exited {result.returncode}:\n"
                                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def sh(self, script: str, *, timeout: float = 300) -> str:
        """A line as the README writes it (pipes, $(...)), run by bash."""
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=self.env,
                                text=True, capture_output=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise CommandFailed(f"`{script}` exited {result.returncode}:\n{result.stdout[-3000:]}\n"
                                f"{result.stderr[-3000:]}")
        return result.stdout

    def kubectl(self, *args: str, **kwargs: Any) -> str:
        return self.run("kubectl", *args, **kwargs).stdout

    def get(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json"))

    def helm(self, *args: str, **kwargs: Any) -> str:
        return self.run("helm", *args, **kwargs).stdout

    def image_id(self, name: str) -> str:
        """The ID of one of the built images: what a pod's ``imageID`` names when it runs it."""
        return next(b for b in self.images if b.name == name).image_id()

    def diagnose(self) -> str:
        """What a person would look at when a step fails: pods, events, operator logs."""
        parts = []
        for argv in (["get", "pods", "-A", "-o", "wide"],
                     ["get", "events", "-A", "--sort-by=.lastTimestamp"],
                     ["-n", "modelmon-system", "logs", "deployment/modelmon", "--tail=60"],
                     ["get", "mm", "-A", "-o", "yaml"]):
            result = self.run("kubectl", *argv, check=False)
            parts.append(f"$ kubectl {' '.join(argv)}\n{result.stdout[-4000:]}{result.stderr[-1000:]}")
        return "\n".join(parts)


def wait_for(what: str, probe: Callable[[], Any], *, timeout: float, cluster: Cluster | None = None,
             interval: float = 1.0) -> Any:
    """Poll ``probe`` until it returns something truthy; on timeout fail with what was last seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (CommandFailed, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    context = f"\n{cluster.diagnose()}" if cluster else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}{context}")
