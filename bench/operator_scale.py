"""The operator at scale: N ModelMonitors against the emulated API, until all are reconciled.

Starts the emulated API server (in a child process by default, so the operator's memory is
measured apart from the emulator's), installs crds/modelmonitors.yaml, runs the real operator
in a thread (as tests do), creates N ModelMonitors across a few namespaces as fast as the
client can, and waits until every drift-check CronJob exists and every monitor is Ready=True
at its generation. Completion is seen by an observer process that watches both resources (one
event per change), never by listing: a list of every object every half second costs O(N) per
poll, so O(N^2) in all, and parsing it in the operator's process held the GIL against the
operator (that was the superlinear part of the first measurements: 1,000 in 14 s, 5,000 in
139 s). Prints the seconds that took, the operator process's CPU seconds and peak RSS, and
both per monitor. Targets (#19): 10,000 monitors in at most 120 s and 1 GB.

    python3 bench/operator_scale.py [--monitors 1000] [--namespaces 4] [--workers N] [--in-process]
    python3 bench/operator_scale.py --sizes 1000 5000 10000   # each in a fresh interpreter, then a table

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
#: 10,000 monitors: at most 120 s and 1 GB (#19); smaller runs are held to the same per-monitor
#: budget pro rata, plus the interpreter's idle RSS.
TARGET_MONITORS, TARGET_SECONDS, TARGET_MB = 10_000, 120.0, 1024.0


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
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ModelMonitor",
        "metadata": {"name": name},
        "spec": {
            "model": {"name": "credit", "version": "1"},
            "schedule": "*/30 * * * *",
            "reference": {"configMapKeyRef": {"name": "credit-data", "key": "reference.csv"}},
            "current": {"configMapKeyRef": {"name": "credit-data", "key": "current.csv"}},
        },
    }


def is_ready(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    return bool(
        ready
        and ready.get("status") == "True"
        and status.get("observedGeneration") == body["metadata"].get("generation")
    )


def watch_events(url: str, path: str) -> Any:
    """The events of one cluster-wide watch, as dicts (the emulator serves plain HTTP)."""
    import urllib.request

    with urllib.request.urlopen(f"{url}{path}?watch=true", timeout=None) as stream:  # noqa: S310 - loopback
        for line in stream:
            if line.strip():
                yield json.loads(line)


def observe(conn: multiprocessing.connection.Connection, url: str) -> None:
    """The observer process: counts CronJobs and Ready monitors from two watches and sends the
    counts every 0.25 s; each event costs O(1), so watching N objects costs O(N) in all."""
    counts = {"cronjobs": set(), "ready": set()}
    lock = threading.Lock()

    def follow(path: str, into: str, test: Any) -> None:
        for event in watch_events(url, path):
            meta = event["object"]["metadata"]
            key = (meta.get("namespace"), meta["name"])
            with lock:
                if event["type"] != "DELETED" and test(event["object"]):
                    counts[into].add(key)
                else:
                    counts[into].discard(key)

    for path, into, test in (
        ("/apis/batch/v1/cronjobs", "cronjobs", lambda _: True),
        (f"/apis/{GROUP}/{VERSION}/{PLURAL}", "ready", is_ready),
    ):
        threading.Thread(target=follow, args=(path, into, test), daemon=True).start()
    conn.send("watching")
    while not conn.poll(0.25):
        with lock:
            conn.send((len(counts["cronjobs"]), len(counts["ready"])))


def create_monitors(access: Any, names: list[tuple[str, str]], clients: int) -> None:
    """The creator process: every monitor, from ``clients`` threads, as fast as the API takes them."""
    import kubernetes

    api = access.api_client()
    api.configuration.connection_pool_maxsize = max(clients, 4)
    objects = kubernetes.client.CustomObjectsApi(kubernetes.client.ApiClient(api.configuration))

    def create(item: tuple[str, str]) -> None:
        namespace, name = item
        objects.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body(name))

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(create, names))


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    import kopf

    # kopf reports at shutdown the per-object streams it leaves behind: noise here.
    logging.getLogger("kopf").setLevel(logging.ERROR)

    from modelmon_kits.emulation import ClusterAccess, EmulatedCluster, running_operator
    from modelmon.settings import OperatorSettings

    spawn = multiprocessing.get_context("spawn")
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
        child = spawn.Process(
            target=serve_emulator, args=(child_conn, namespaces), name="kube-api-emulator", daemon=True
        )
        child.start()
        url, kubeconfig = conn.recv()
        access = ClusterAccess(url=url, kubeconfig=Path(kubeconfig))
    counts, observer_end = multiprocessing.Pipe()
    observer = spawn.Process(target=observe, args=(observer_end, access.url), name="observer", daemon=True)
    observer.start()
    assert counts.recv() == "watching"

    def configure(settings: kopf.OperatorSettings) -> None:
        if args.workers:
            settings.execution.max_workers = args.workers

    names = [(namespaces[i % len(namespaces)], f"model-{i:05d}") for i in range(args.monitors)]
    done = False
    with running_operator(access, settings=OperatorSettings(check_image="modelmon:bench"), configure=configure):
        rss_operator_idle = peak_rss_mb()
        idle = resource.getrusage(resource.RUSAGE_SELF)
        cpu_idle = idle.ru_utime + idle.ru_stime
        started = time.monotonic()
        # Created from another process: the clients' threads would otherwise share the GIL (and the
        # CPU seconds measured) with the operator.
        creator = spawn.Process(target=create_monitors, args=(access, names, args.clients), name="creator", daemon=True)
        creator.start()

        cronjobs = ready = 0
        created = 0.0
        next_report = 0.0
        while time.monotonic() - started < args.timeout:
            if counts.poll(0.5):
                while counts.poll():  # the newest counts
                    cronjobs, ready = counts.recv()
            elapsed = time.monotonic() - started
            if elapsed >= next_report:
                print(f"  {elapsed:6.1f} s: {cronjobs} CronJobs, {ready} Ready", flush=True)
                next_report = elapsed + 5
            if creator.exitcode is not None and not created:
                created = time.monotonic() - started
                print(
                    f"created {args.monitors} ModelMonitors in {len(namespaces)} namespaces in {created:.1f} s "
                    f"(exit code {creator.exitcode})",
                    flush=True,
                )
            if cronjobs >= args.monitors and ready >= args.monitors:
                done = True
                break
        seconds = time.monotonic() - started
        threads = threading.active_count()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        operator_cpu = usage.ru_utime + usage.ru_stime - cpu_idle
    counts.send("stop")
    observer.join(10)

    operator_mb = peak_rss_mb()
    emulator_mb: float | None = None
    emulator_cpu: float | None = None
    if child is not None and conn is not None:
        conn.send("stop")
        emulator_mb, emulator_cpu = conn.recv()
        child.join(30)
    elif cluster is not None:
        cluster.stop()
    return {
        "monitors": args.monitors,
        "done": done,
        "cronjobs": cronjobs,
        "ready": ready,
        "seconds": seconds,
        "operator_mb": operator_mb,
        "rss_at_start": rss_at_start,
        "rss_idle": rss_operator_idle,
        "operator_cpu": operator_cpu,
        "emulator_mb": emulator_mb,
        "emulator_cpu": emulator_cpu,
        "threads": threads,
        "in_process": args.in_process,
        "workers": args.workers,
    }


def budget(monitors: int, idle_mb: float) -> tuple[float, float]:
    """The targets for N monitors: 10,000's pro rata (memory above the idle interpreter)."""
    share = monitors / TARGET_MONITORS
    return TARGET_SECONDS * share, idle_mb + (TARGET_MB - idle_mb) * share


def report(result: dict[str, Any]) -> bool:
    n = result["monitors"]
    seconds_target, mb_target = budget(n, result["rss_idle"])
    verdict = (
        "all reconciled" if result["done"] else f"TIMED OUT ({result['cronjobs']} CronJobs, {result['ready']} Ready)"
    )
    print(f"monitors:                         {n} ({verdict})")
    print(f"seconds until all CronJobs+Ready:  {result['seconds']:.1f} s (target <= {seconds_target:.0f} s)")
    where = "operator + emulator, one process" if result["in_process"] else "operator process, emulator apart"
    print(
        f"peak RSS ({where}):  {result['operator_mb']:.0f} MB (target <= {mb_target:.0f} MB; "
        f"{result['rss_at_start']:.0f} MB at start, {result['rss_idle']:.0f} MB with the operator idle)"
    )
    if result["emulator_mb"] is not None:
        print(f"peak RSS of the emulator process:  {result['emulator_mb']:.0f} MB")
    print(
        f"CPU seconds: operator {result['operator_cpu']:.1f} after it started"
        + (f", emulator process {result['emulator_cpu']:.1f}" if result["emulator_cpu"] is not None else "")
        + f" (of {result['seconds']:.1f} s wall, {os.cpu_count()} CPUs)"
    )
    print(
        f"per monitor: {1000 * result['operator_cpu'] / n:.2f} ms operator CPU, "
        f"{1024 * (result['operator_mb'] - result['rss_idle']) / n:.1f} KB operator RSS above idle"
    )
    print(f"kopf max_workers: {result['workers'] or 'kopf default'}; threads at the end: {result['threads']}")
    met = result["done"] and result["seconds"] <= seconds_target and result["operator_mb"] <= mb_target
    print("targets met" if met else "targets MISSED", flush=True)
    return met


def sizes(args: argparse.Namespace) -> int:
    """Each size in a fresh interpreter (peak RSS never carries over), then one table."""
    import subprocess

    rows = []
    for n in args.sizes:
        command = [
            sys.executable,
            __file__,
            "--monitors",
            str(n),
            "--namespaces",
            str(args.namespaces),
            "--timeout",
            str(args.timeout),
            "--json",
        ]
        if args.workers:
            command += ["--workers", str(args.workers)]
        print(f"--- {n} monitors", flush=True)
        answer = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        rows.append(json.loads(answer.stdout.strip().splitlines()[-1]))
    print(
        f"{'monitors':>9} {'seconds':>8} {'ms/monitor':>11} {'CPU s':>7} {'CPU ms/monitor':>15} "
        f"{'peak MB':>8} {'KB/monitor':>11}"
    )
    for row in rows:
        n = row["monitors"]
        print(
            f"{n:>9} {row['seconds']:>8.1f} {1000 * row['seconds'] / n:>11.2f} {row['operator_cpu']:>7.1f} "
            f"{1000 * row['operator_cpu'] / n:>15.2f} {row['operator_mb']:>8.0f} "
            f"{1024 * (row['operator_mb'] - row['rss_idle']) / n:>11.1f}"
        )
    first, last = rows[0], rows[-1]
    ratio = (last["operator_cpu"] / last["monitors"]) / (first["operator_cpu"] / first["monitors"])
    print(f"CPU per monitor at {last['monitors']} / at {first['monitors']}: {ratio:.2f} (1.0 = linear)")
    return 0 if all(row["done"] for row in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", help="run each size in its own interpreter and tabulate")
    parser.add_argument("--namespaces", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None, help="kopf's execution.max_workers (default: kopf's)")
    parser.add_argument("--clients", type=int, default=16, help="threads creating the monitors")
    parser.add_argument("--in-process", action="store_true", help="serve the emulator in this process")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line, last")
    args = parser.parse_args()
    if args.sizes:
        return sizes(args)
    result = run_one(args)
    met = report(result)
    if args.json:
        print(json.dumps(result), flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
