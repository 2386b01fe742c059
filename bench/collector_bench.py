"""Sustained throughput of ``modelmon collect``: KServe-shaped CloudEvents over HTTP, bounded memory.

Starts ``modelmon collect`` as its own process (writing to a temporary directory), sends request and
response events (binary mode, v1, 8 features, one instance each: what KServe's logger sends for a
tabular model) from ``--concurrency`` keep-alive connections for ``--seconds``, samples the collector's
resident memory, stops it with SIGTERM and counts the rows in the store. Prints events/s, the latency
of the POSTs (p50, p99, max) and the collector's peak RSS.

    python bench/collector_bench.py [--seconds 20] [--concurrency 32] [--wal]

Target (#18): at least 2,000 events/s on the 2-core development machine, memory bounded (the
collector's RSS flat while events flow, whatever the duration).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyarrow.dataset as ds

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Content-Type": "application/json",
    "ce-specversion": "1.0",
    "ce-source": "http://localhost:9081/v1/models/bench:predict",
    "ce-inferenceservicename": "bench",
    "ce-namespace": "ml",
    "ce-component": "predictor",
    "ce-endpoint": "default",
}


def start(store: str, *flags: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "operator")}
    command = [
        sys.executable,
        "-c",
        "from modelmon.cli import entry; entry()",
        "collect",
        "--store",
        store,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *flags,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"listening on (http://[\d.]+:\d+)", line)
        if match:
            # Keep reading its output so that its pipe never fills.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, match.group(1)
    raise SystemExit(f"modelmon collect did not start (exit {process.wait()})")


async def sender(
    host: str, port: int, worker: int, until: float, latencies: list[float], counts: dict[str, int]
) -> None:
    """One keep-alive connection, one request at a time. A minimal HTTP/1.1 client of its own: aiohttp's
    client costs more CPU per request than the collector does, and both share the machine's two cores."""
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(worker)
    index = 0
    fixed = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    while time.monotonic() < until:
        event_id = f"{worker}-{index}"
        index += 1
        features = [round(rng.gauss(0, 1), 4) for _ in range(8)]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for kind, body in (("request", {"instances": [features]}), ("response", {"predictions": [rng.random()]})):
            payload = json.dumps(body).encode()
            head = (
                f"POST / HTTP/1.1\r\nHost: {host}\r\n{fixed}ce-id: {event_id}\r\nce-time: {stamp}\r\n"
                f"ce-type: org.kubeflow.serving.inference.{kind}\r\nContent-Length: {len(payload)}\r\n\r\n"
            )
            started = time.perf_counter()
            writer.write(head.encode() + payload)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = status_line.split(b" ")[1].decode() if status_line else "closed"
            counts[status] = counts.get(status, 0) + 1
    writer.close()


async def load(url: str, *, seconds: float, concurrency: int) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    counts: dict[str, int] = {}
    host, port = url.split("//")[1].split(":")
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(sender(host, int(port), w, until, latencies, counts) for w in range(concurrency)))
    return latencies, counts, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--flush-rows", type=int, default=5000)
    parser.add_argument("--max-buffered-events", type=int, default=50000)
    parser.add_argument("--wal", action="store_true", help="with a write-ahead log (--wal-dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = f"{scratch}/store"
        process, url = start(
            store,
            "--flush-rows",
            str(args.flush_rows),
            "--flush-interval",
            "5",
            "--max-buffered-events",
            str(args.max_buffered_events),
            *(["--wal-dir", f"{scratch}/wal"] if args.wal else []),
        )
        collector = psutil.Process(process.pid)
        rss: list[int] = []
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.2):
                rss.append(collector.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        baseline = collector.memory_info().rss
        latencies, counts, elapsed = asyncio.run(load(url, seconds=args.seconds, concurrency=args.concurrency))
        sampling.set()
        sampler.join()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=120)
        rows = ds.dataset(store, format="parquet").count_rows() if list(Path(store).rglob("*.parquet")) else 0
    accepted = counts.get("200", 0)
    latencies.sort()
    half = len(rss) // 2
    print(
        f"collector: {args.concurrency} connections for {elapsed:.1f} s, exit {code}, "
        f"write-ahead log {'on' if args.wal else 'off'}"
    )
    print(f"events: {len(latencies)} sent, {accepted} accepted (200), others {dict(sorted(counts.items()))}")
    print(f"throughput: {accepted / elapsed:,.0f} events/s accepted ({accepted // 2} pairs); rows in the store: {rows}")
    print(
        f"latency: p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )
    print(
        f"collector RSS: {baseline / 2**20:.0f} MiB at start, peak {max(rss) / 2**20:.0f} MiB; "
        f"peak of the first half {max(rss[:half] or [0]) / 2**20:.0f} MiB, of the second half "
        f"{max(rss[half:] or [0]) / 2**20:.0f} MiB (flat = bounded)"
    )


if __name__ == "__main__":
    main()
