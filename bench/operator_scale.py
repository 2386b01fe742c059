"""The operator at scale: N ModelMonitors against the emulated API, until all are reconciled.

Starts the emulated API server (in a child process by default, so the operator's memory is
measured apart from the emulator's), installs crds/modelmonitors.yaml, runs the real operator
in a thread (as tests do), creates N ModelMonitors across a few namespaces as fast as the
client can, then polls by listing until every drift-check CronJob exists and every monitor is
Ready=True at its generation. Prints the seconds that took and the peak RSS of the operator
process and of the emulator. Targets (issue 4): at most 60 s and 300 MB.

    python3 bench/operator_scale.py [--monitors 1000] [--namespaces 4] [--workers N] [--in-process]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CRDS = ROOT / "crds" / "modelmonitors.yaml"
GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"
TARGET_SECONDS, TARGET_MB = 60.0, 300.0


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def serve_emulator(conn: multiprocessing.connection.Connection, namespaces: list[str]) -> None:
    """The child process: serve the API until told to stop, then report its own peak RSS."""
    from modelmon_kits.emulation import EmulatedCluster

    with EmulatedCluster(crds=[CRDS]) as cluster:
        for namespace in namespaces:
            cluster.create_namespace(namespace)
        conn.send((cluster.url, str(cluster.kubeconfig)))
        conn.recv()  # any message: stop
        usage = resource.getrusage(resource.RUSAGE_SELF)
        conn.send((peak_rss_mb(), usage.ru_utime + usage.ru_stime))


def monitor_body(name: str) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ModelMonitor", "metadata": {"name": name},
            "spec": {"model": {"name": "credit", "version": "1"}, "schedule": "*/30 * * * *",
                     "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
                     "current": {"configMapKeyRef": {"name": "credit-data", "key": "current.csv"}}}}


def list_raw(api: Any, path: str) -> list[dict[str, Any]]:
    """List by raw HTTP: parsing 1,000 objects into client models would cost more than the list."""
    response = api.call_api(*api.param_serialize("GET", path))
    response.read()
    return json.loads(response.data)["items"]


def is_ready(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    return bool(ready and ready.get("status") == "True"
                and status.get("observedGeneration") == body["metadata"].get("generation"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None, help="kopf's execution.max_workers (default: kopf's)")
    parser.add_argument("--clients", type=int, default=16, help="threads creating the monitors")
    parser.add_argument("--in-process", action="store_true", help="serve the emulator in this process")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    import logging

    import kopf
    import kubernetes

    # kopf reports at shutdown the per-object streams it leaves behind: noise here.
    logging.getLogger("kopf").setLevel(logging.ERROR)

    from modelmon_kits.emulation import ClusterAccess, EmulatedCluster, running_operator
    from modelmon.settings import OperatorSettings

    namespaces = [f"bench-{i}" for i in range(args.namespaces)]
    rss_at_start = peak_rss_mb()
    child = conn = cluster = None
    if args.in_process:
        cluster = EmulatedCluster(crds=[CRDS]).start()
        for namespace in namespaces:
            cluster.create_namespace(namespace)
        access = cluster.access
    else:
        conn, child_conn = multiprocessing.Pipe()
        child = multiprocessing.get_context("spawn").Process(target=serve_emulator, args=(child_conn, namespaces),
                                                             name="kube-api-emulator", daemon=True)
        child.start()
        url, kubeconfig = conn.recv()
        access = ClusterAccess(url=url, kubeconfig=Path(kubeconfig))

    def configure(settings: kopf.OperatorSettings) -> None:
        if args.workers:
            settings.execution.max_workers = args.workers

    api = access.api_client()
    api.configuration.connection_pool_maxsize = max(args.clients, 4)
    api = kubernetes.client.ApiClient(api.configuration)
    objects = kubernetes.client.CustomObjectsApi(api)
    names = [(namespaces[i % len(namespaces)], f"model-{i:05d}") for i in range(args.monitors)]

    def create(item: tuple[str, str]) -> None:
        namespace, name = item
        objects.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body(name))

    result = 1
    with running_operator(access, settings=OperatorSettings(check_image="modelmon:bench"), configure=configure):
        rss_operator_idle = peak_rss_mb()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(create, names))
        created = time.monotonic() - started
        print(f"created {args.monitors} ModelMonitors in {len(namespaces)} namespaces in {created:.1f} s", flush=True)

        cronjobs = ready = 0
        next_report = 0.0
        while time.monotonic() - started < args.timeout:
            cronjobs = len(list_raw(api, "/apis/batch/v1/cronjobs"))
            ready = sum(is_ready(m) for m in list_raw(api, f"/apis/{GROUP}/{VERSION}/{PLURAL}"))
            elapsed = time.monotonic() - started
            if elapsed >= next_report:
                print(f"  {elapsed:6.1f} s: {cronjobs} CronJobs, {ready} Ready", flush=True)
                next_report = elapsed + 5
            if cronjobs >= args.monitors and ready >= args.monitors:
                result = 0
                break
            time.sleep(0.5)
        seconds = time.monotonic() - started
        threads = threading.active_count()

    operator_mb = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    operator_cpu = usage.ru_utime + usage.ru_stime
    emulator_mb: float | None = None
    emulator_cpu: float | None = None
    if child is not None and conn is not None:
        conn.send("stop")
        emulator_mb, emulator_cpu = conn.recv()
        child.join(30)
    elif cluster is not None:
        cluster.stop()

    verdict = "all reconciled" if result == 0 else f"TIMED OUT ({cronjobs} CronJobs, {ready} Ready)"
    print(f"monitors:                         {args.monitors} ({verdict})")
    print(f"seconds until all CronJobs+Ready:  {seconds:.1f} s (target <= {TARGET_SECONDS:.0f} s)")
    where = "operator + emulator, one process" if args.in_process else "operator process, emulator apart"
    print(f"peak RSS ({where}):  {operator_mb:.0f} MB (target <= {TARGET_MB:.0f} MB; "
          f"{rss_at_start:.0f} MB at start, {rss_operator_idle:.0f} MB with the operator idle)")
    if emulator_mb is not None:
        print(f"peak RSS of the emulator process:  {emulator_mb:.0f} MB")
    print(f"CPU seconds: operator process {operator_cpu:.1f}"
          + (f", emulator process {emulator_cpu:.1f}" if emulator_cpu is not None else "")
          + f" (of {seconds:.1f} s wall, {os.cpu_count()} CPUs)")
    print(f"kopf max_workers: {args.workers or 'kopf default'}; threads at the end: {threads}")
    met = result == 0 and seconds <= TARGET_SECONDS and operator_mb <= TARGET_MB
    print("targets met" if met else "targets MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
