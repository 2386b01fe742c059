"""High availability as the chart runs it: two (then three) real operator processes, each
started with the Deployment's own command and environment and the chart's ServiceAccount's
token, share one kopf peering on a real kube-apiserver. Exactly one reconciles; the standby
never touches the monitors; when the active one is killed (SIGKILL, no goodbye) the standby
takes over within the peering lifetime; when it exits cleanly (SIGTERM, as in a rolling
update), at once. The control: with equal priorities (what every replica had before), kopf
pauses every replica and nothing is reconciled at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import kubernetes
import pytest

from support.namespaces import fresh_namespace
from support.ports import free_port
from support.waiting import wait_for
from support.chart_cluster import (
    chart_admin,
    GROUP,
    PLURAL,
    RELEASE_NAMESPACE,
    VERSION,
    condition,
    downward_api,
    get_monitor,
    install_rbac,
    token_kubeconfig,
)
from support.monitors import monitor_body
from unit.chart.chart_rendering import render

pytestmark = pytest.mark.cluster

#: A short lifetime keeps the kill test short; the chart's default is 30 s.
LIFETIME = 10
VALUES = {"fullnameOverride": "mm-ha", "operator": {"peering": {"lifetime": LIFETIME}}}
CHECK_NOW = "modelmon.io/check-now"


@pytest.fixture(scope="module")
def admin(control_plane) -> kubernetes.client.ApiClient:
    return chart_admin(control_plane)


@pytest.fixture
def namespace(admin) -> Iterator[str]:
    with fresh_namespace(admin, prefix="ha") as name:
        yield name


class Replica:
    """One operator process: the Deployment's container command, its own ports."""

    def __init__(self, name: str, log: IO[str], process: subprocess.Popen[bytes], health: str) -> None:
        self.name, self.log, self.process, self.health = name, log, process, health

    def entries(self) -> list[dict[str, Any]]:
        self.log.seek(0)
        found = []
        for line in self.log.read().splitlines():
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
        return found

    def said(self, text: str) -> bool:
        return any(text in entry["message"] for entry in self.entries())

    def touched(self, namespace: str) -> list[str]:
        """Log lines about objects in ``namespace``: kopf's per-object records and ours."""
        return [
            e["message"]
            for e in self.entries()
            if e.get("object", {}).get("namespace") == namespace or f"{namespace}/" in e["message"]
        ]

    def tail(self) -> str:
        self.log.seek(0)
        return f"--- {self.name} ---\n" + self.log.read()[-3000:]


@contextlib.contextmanager
def replicas(control_plane, admin, tmp_path: Path, values: dict[str, Any]) -> Iterator[Any]:
    identity = install_rbac(control_plane, admin, values)
    container = next(d for d in render(values, namespace=RELEASE_NAMESPACE) if d["kind"] == "Deployment")["spec"][
        "template"
    ]["spec"]["containers"][0]
    kubeconfig = token_kubeconfig(tmp_path / "operator.kubeconfig", identity)
    entrypoint = shutil.which("modelmon")
    assert entrypoint, "the modelmon console script is installed with the package"
    started: list[Replica] = []

    def start(name: str, *extra: str) -> Replica:
        metrics_port, health_port = free_port(), free_port()
        args = [a for a in container["args"] if not a.startswith(("--metrics-port=", "--liveness="))]
        args += [
            f"--metrics-port={metrics_port}",
            f"--liveness=http://127.0.0.1:{health_port}/healthz",
            "--log-format=json",
            *extra,
        ]
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MODELMON_", "KUBECONFIG"))},
            **{e["name"]: e["value"] if "value" in e else downward_api(e["valueFrom"]) for e in container["env"]},
            "KUBECONFIG": str(kubeconfig),
            "HOME": str(tmp_path),
        }
        log = (tmp_path / f"{name}.log").open("w+")
        process = subprocess.Popen([entrypoint, *args], env=environment, stdout=log, stderr=subprocess.STDOUT)
        replica = Replica(name, log, process, f"http://127.0.0.1:{health_port}/healthz")
        started.append(replica)
        return replica

    try:
        yield start
    except BaseException:
        print("\n".join(r.tail() for r in started))
        raise
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.kill()
                replica.process.wait(10)


def peers(admin) -> dict[str, Any]:
    """The live records in the chart's ClusterKopfPeering (kopf removes a replica's record
    when it exits cleanly; a killed one's stays until its lifetime has passed)."""
    body = kubernetes.client.CustomObjectsApi(admin).get_cluster_custom_object(
        "kopf.dev", "v1", "clusterkopfpeerings", "modelmon"
    )
    return dict(body.get("status") or {})


def check_now(admin, namespace: str, token: str) -> None:
    kubernetes.client.CustomObjectsApi(admin).patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "credit", {"metadata": {"annotations": {CHECK_NOW: token}}}
    )


def check_jobs(admin, namespace: str) -> list[str]:
    return sorted(
        j.metadata.name
        for j in kubernetes.client.BatchV1Api(admin)
        .list_namespaced_job(namespace, label_selector="modelmon.io/monitor=credit")
        .items
    )


def wait_check_now_done(admin, namespace: str, count: int, timeout: float) -> None:
    wait_for(
        lambda: (
            len(check_jobs(admin, namespace)) == count
            and CHECK_NOW not in (get_monitor(admin, namespace, "credit")["metadata"].get("annotations") or {})
        ),
        what=f"check-now handled ({count} check Job(s), the annotation cleared)",
        timeout=timeout,
    )


def test_one_replica_is_active_a_killed_one_is_replaced_and_none_acts_twice(control_plane, admin, namespace, tmp_path):
    with replicas(control_plane, admin, tmp_path, VALUES) as start:
        first = start("first")
        wait_for(lambda: first.said("Resuming operations"), what="the first replica active", timeout=60)
        second = start("second")
        wait_for(lambda: second.said("Peering in 'modelmon' with priority"), what="the second replica started")
        # The standby starts paused (kopf's mandatory peering) and stays paused: the first
        # replica is senior. Both write their records into the one peering object.
        wait_for(lambda: len(peers(admin)) == 2, what="both replicas in the peering object", timeout=30)
        assert not first.said("Pausing"), first.tail()

        kubernetes.client.CustomObjectsApi(admin).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, monitor_body("credit")
        )
        wait_for(
            lambda: (c := condition(get_monitor(admin, namespace, "credit"), "Ready")) and c["status"] == "True",
            what="Ready=True",
            timeout=60,
        )
        check_now(admin, namespace, "1")
        wait_check_now_done(admin, namespace, 1, timeout=60)
        assert first.touched(namespace), first.tail()
        assert second.touched(namespace) == [], "the standby acted while paused"

        # Killed without a goodbye: its record stays until its lifetime has passed.
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        killed = time.monotonic()
        check_now(admin, namespace, "2")
        wait_check_now_done(admin, namespace, 2, timeout=LIFETIME + 30)
        takeover = time.monotonic() - killed
        print(f"takeover after SIGKILL: {takeover:.1f} s (peering lifetime {LIFETIME} s)")
        # kopf's standby waits out the dead record's lifetime (counted from its last keep-alive),
        # then needs a watch event and a reconcile; 2 shared cores stretch that under load.
        assert takeover <= LIFETIME + 15, f"the standby took {takeover:.1f} s"
        assert second.said("Resuming operations")
        assert second.touched(namespace)

        # A clean exit (a rolling update's SIGTERM) hands over at once to the next standby.
        third = start("third")
        wait_for(lambda: len(peers(admin)) == 2, what="the third replica in the peering object", timeout=30)
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(30) is not None
        stopped = time.monotonic()
        check_now(admin, namespace, "3")
        wait_check_now_done(admin, namespace, 3, timeout=30)
        handover = time.monotonic() - stopped
        print(f"hand-over after SIGTERM: {handover:.1f} s")
        assert handover < LIFETIME, f"a clean exit should hand over at once, took {handover:.1f} s"
        assert third.said("Resuming operations")
        # No double action: one check Job per check-now, one CronJob.
        assert len(check_jobs(admin, namespace)) == 3
        assert len(kubernetes.client.BatchV1Api(admin).list_namespaced_cron_job(namespace).items) == 1


def test_control_equal_priorities_pause_every_replica_and_nothing_is_reconciled(
    control_plane, admin, namespace, tmp_path
):
    """What the chart's replicas did before each took its own priority (kopf's default 0)."""
    with replicas(control_plane, admin, tmp_path, VALUES) as start:
        first, second = start("first", "--peering-priority=0"), start("second", "--peering-priority=0")
        wait_for(
            lambda: (
                first.said("Possibly conflicting operators with the same priority")
                and second.said("Possibly conflicting operators with the same priority")
            ),
            what="both replicas paused",
            timeout=60,
        )
        kubernetes.client.CustomObjectsApi(admin).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, monitor_body("credit")
        )
        time.sleep(10)
        assert "status" not in get_monitor(admin, namespace, "credit")
        assert check_jobs(admin, namespace) == []


def test_a_namespaced_install_peers_in_each_watched_namespace(control_plane, admin, namespace, tmp_path):
    """watchNamespaces: the replicas meet in a KopfPeering in the watched namespace (the Role
    there, not a ClusterRole, allows it); one reconciles, the other stays paused."""
    values = {**VALUES, "fullnameOverride": "mm-ha-ns", "watchNamespaces": [namespace]}
    with replicas(control_plane, admin, tmp_path, values) as start:
        first = start("first")
        wait_for(lambda: first.said("Resuming operations"), what="the first replica active", timeout=60)
        second = start("second")
        live = wait_for(
            lambda: (
                (
                    body := kubernetes.client.CustomObjectsApi(admin).get_namespaced_custom_object(
                        "kopf.dev", "v1", namespace, "kopfpeerings", "modelmon"
                    )
                )
                and len(body.get("status") or {}) == 2
                and body
            ),
            what="both replicas in the namespace's KopfPeering",
            timeout=30,
        )
        assert len({peer["priority"] for peer in live["status"].values()}) == 2
        kubernetes.client.CustomObjectsApi(admin).create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, monitor_body("credit")
        )
        wait_for(
            lambda: (c := condition(get_monitor(admin, namespace, "credit"), "Ready")) and c["status"] == "True",
            what="Ready=True",
            timeout=60,
        )
        assert first.touched(namespace), first.tail()
        assert second.touched(namespace) == [], "the standby acted while paused"
        assert not second.said("Resuming operations")
