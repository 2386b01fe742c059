"""Benchmark: a check of the last 1M rows of a long hourly-partitioned log against a check of a
1M-row single file (issue 18).

Usage: ``python bench/partitioned_bench.py [--rows N] [--hours H] [--window W] [--repeat R] [--dir DIR] [--keep]``
(defaults: 100,000,000 rows over 1,000 hours, a window of 1,000,000 rows).

Generates (seeded, one generator per hour, so a partition's content does not depend on the row
count) a log of N rows and 20 columns -- ``timestamp`` (us, UTC), ``id`` (int64), 16 float64
features and 2 categorical text features -- as ``date=YYYY-MM-DD/hour=HH/part-0.parquet``, the
collector's layout, plus a W-row single file from the same generator and a 200,000-row
reference. Generation is timed and reported, not compared.

Then, each in a fresh interpreter so that its peak RSS is its own, the check job's own code
(``check_job.check_data``, Parquet sources on ``file://``) runs:

- ``single``: the W-row file, whole (no window);
- ``partitioned``: the N-row log with ``window: {rows: W}`` (pushed down: only the newest
  partitions' footers and row groups are read).

Each check runs ``--repeat`` times (default 5), interleaved, each in a fresh interpreter. Prints,
for both: the median and best wall seconds, the peak RSS (``ru_maxrss``, the largest of the runs)
and the peak RSS net of the interpreter's RSS after imports; then the time ratios
partitioned/single of the medians and of the bests (target: about 1) and the RSS ratio (target:
the same memory). Exits 1 when the two checks do not see W rows each.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SEED = 18
NUMERIC = 16
CATEGORIES = np.array([f"segment-{i}" for i in range(12)])
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def hour_table(hour: int, rows: int, *, first_id: int) -> Any:
    """One hour's rows (seeded by the hour): features drift slowly with time, as logs do."""
    import pyarrow as pa

    rng = np.random.default_rng([SEED, hour])
    base = int((START + datetime.timedelta(hours=hour)).timestamp() * 1_000_000)
    columns: dict[str, Any] = {
        "timestamp": pa.array(base + np.sort(rng.integers(0, 3_600_000_000, rows)), pa.timestamp("us", "UTC")),
        "id": pa.array(np.arange(first_id, first_id + rows, dtype=np.int64)),
    }
    shift = hour / 2000.0
    for i in range(NUMERIC):
        columns[f"f{i:02d}"] = rng.standard_normal(rows) + shift * (i % 3)
    for name in ("segment", "channel"):
        codes = rng.integers(0, len(CATEGORIES), rows).astype(np.int32)
        columns[name] = pa.DictionaryArray.from_arrays(codes, CATEGORIES)
    return pa.table(columns)


def generate(root: Path, *, rows: int, hours: int, window: int) -> dict[str, float]:
    import pyarrow.parquet as pq

    started = time.perf_counter()
    per_hour, extra = divmod(rows, hours)
    first = 0
    for hour in range(hours):
        count = per_hour + (1 if hour < extra else 0)
        moment = START + datetime.timedelta(hours=hour)
        folder = root / "log" / f"date={moment:%Y-%m-%d}" / f"hour={moment:%H}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(hour_table(hour, count, first_id=first), folder / "part-0.parquet", row_group_size=128 * 1024)
        first += count
        if hour % max(1, hours // 20) == 0:
            print(f"  generated {hour + 1}/{hours} hours ({first:,} rows)", file=sys.stderr, flush=True)
    log_seconds = time.perf_counter() - started
    pq.write_table(hour_table(10**6, window, first_id=0), root / "single.parquet", row_group_size=128 * 1024)
    reference = hour_table(10**6 + 1, 200_000, first_id=0).drop(["timestamp", "id"])
    pq.write_table(reference, root / "reference.parquet")
    size = sum(p.stat().st_size for p in (root / "log").rglob("*.parquet"))
    return {"seconds": log_seconds, "bytes": size}


def run_phase(phase: str, root: Path, window: int) -> dict[str, Any]:
    """Runs in its own interpreter: the check job's code on one of the two sources."""
    from modelmon import check_job
    from modelmon.api.monitor import parse_spec

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    current: dict[str, Any] = {"uri": f"file://{root}/single.parquet"}
    if phase == "partitioned":
        current = {"uri": f"file://{root}/log/", "timePartitions": {}, "window": {"rows": window}}
    spec = parse_spec(
        {"model": {"name": "bench"}, "reference": {"uri": f"file://{root}/reference.parquet"}, "current": current}
    )
    started = time.perf_counter()
    report, _, _ = check_job.check_data(spec, namespace="bench", clock=time.time)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "rss_mb": peak / 1024,
        "net_mb": (peak - baseline) / 1024,
        "rows": report.current_rows,
        "features": len(report.features),
    }


def measure(phase: str, root: Path, window: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--dir", str(root), "--window", str(window)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = sorted(r["seconds"] for r in results)
    return {
        "seconds": float(np.median(seconds)),
        "best": seconds[0],
        "rss_mb": max(r["rss_mb"] for r in results),
        "net_mb": max(r["net_mb"] for r in results),
        "rows": results[0]["rows"] if all(r["rows"] == results[0]["rows"] for r in results) else -1,
        "features": results[0]["features"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000, help="rows of the partitioned log")
    parser.add_argument("--hours", type=int, default=1000, help="hourly partitions it spans")
    parser.add_argument("--window", type=int, default=1_000_000, help="rows of the window and of the single file")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each check, interleaved")
    parser.add_argument("--dir", help="where the data is written (a fresh temporary directory when absent)")
    parser.add_argument("--keep", action="store_true", help="keep the data (reused when --dir already holds it)")
    parser.add_argument("--phase", choices=("single", "partitioned"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, Path(args.dir), args.window)))
        return 0
    root = Path(args.dir or tempfile.mkdtemp(prefix="modelmon-partitioned-"))
    try:
        if (root / "single.parquet").exists() and args.keep:
            print(f"reusing the data in {root}")
        else:
            print(f"generating {args.rows:,} rows x 20 columns over {args.hours} hourly partitions in {root}")
            made = generate(root, rows=args.rows, hours=args.hours, window=args.window)
            print(f"generated in {made['seconds']:.0f} s, {made['bytes'] / 1e9:.2f} GB of Parquet")
        # Interleaved repetitions, each in a fresh interpreter: on a shared machine one run of
        # either can be slowed by a neighbour, so the median and the best of each are compared.
        runs: dict[str, list[dict[str, Any]]] = {"single": [], "partitioned": []}
        for _ in range(args.repeat):
            for phase, results in runs.items():
                results.append(measure(phase, root, args.window))
        single, partitioned = summarise(runs["single"]), summarise(runs["partitioned"])
        for name, result in (("single file", single), ("partitioned", partitioned)):
            print(
                f"{name:>12}: median {result['seconds']:.2f} s (best {result['best']:.2f} s of {args.repeat}), "
                f"{result['rows']:,} rows, {result['features']} features, peak RSS {result['rss_mb']:.0f} MB "
                f"(net of imports {result['net_mb']:.0f} MB)"
            )
        print(
            f"time ratio partitioned/single: median {partitioned['seconds'] / single['seconds']:.2f}, "
            f"best {partitioned['best'] / single['best']:.2f} (target ~1)"
        )
        print(f"peak RSS ratio partitioned/single: {partitioned['rss_mb'] / single['rss_mb']:.2f} (target ~1)")
        return 0 if single["rows"] == partitioned["rows"] == args.window else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
