"""Benchmark of ``modelmon report``: its extra time over ``modelmon check``, and the page's size.

Usage: ``python bench/report_bench.py [ROWS [COLS]]`` (defaults 1,000,000 and 50).

Data: drift_bench's tables (seeded; ROWS x COLS float64 columns, every fifth shifted by half a
standard deviation, plus 4 categorical columns of 10 categories), written as Parquet once (not
timed). Then, each in a fresh interpreter so that neither pays for the other's imports or caches:

- ``check``: ``modelmon check --reference R --current C`` (in-process: ``cli.main``).
- ``report``: ``modelmon report --reference R --current C --output page.html``: the same check plus
  the sketches of the distributions, matplotlib's import (overlapping the check), planning the
  page, drawing every plot and writing the file.

Each runs three times, alternating, and the best of each counts (the machine is shared; its load
average is printed). Prints both times, the extra (report - check), the page's size and its size
per feature.
Targets (issue 21): extra < 2 s for 1M x 50, page < 2 MB for 50 features. Exits 1 when a
target is missed or the two exit with different statuses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import drift_bench  # the bench's sibling, found through the path set above

EXTRA_TARGET_S, SIZE_TARGET_BYTES = 2.0, 2_000_000
REPEATS = 3


def phase(name: str, ref_path: str, cur_path: str, page: str) -> dict[str, Any]:
    """``modelmon check`` or ``modelmon report`` in-process, timed from the call (the CLI's own imports
    of the check are done before, in both; the report's import of matplotlib is in its time)."""
    import contextlib
    import io

    from modelmon import checking, cli  # noqa: F401 - imported before the clock starts, as for both commands

    argv = [name, "--reference", ref_path, "--current", cur_path]
    argv += ["--output", page] if name == "report" else []
    printed = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        code = cli.main(argv)
    result: dict[str, Any] = {"seconds": time.perf_counter() - started, "code": code}
    if name == "report":
        html = open(page, encoding="utf-8").read()
        result.update(
            bytes=os.path.getsize(page), plots=html.count("<svg"), features=html.count('<section class="feature"')
        )
    return result


def run_phase(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def seconds(runs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in runs)


def main(rows: int, cols: int) -> int:
    with tempfile.TemporaryDirectory(prefix="report-bench-") as scratch:
        ref_path, cur_path, _ = drift_bench.generate(rows, cols, scratch)
        page = os.path.join(scratch, "report.html")
        load_before = os.getloadavg()[0]
        checks, reports = [], []
        for _ in range(REPEATS):  # alternating, best of each: the machine is shared, its load moves
            checks.append(run_phase("check", ref_path, cur_path, page))
            reports.append(run_phase("report", ref_path, cur_path, page))
        load_after = os.getloadavg()[0]
    check = min(checks, key=lambda r: r["seconds"])
    report = min(reports, key=lambda r: r["seconds"])
    extra = report["seconds"] - check["seconds"]
    size = report["bytes"]
    print(
        f"report_bench: {rows:,} rows x {cols} numeric + {drift_bench.CATEGORICAL_COLUMNS} categorical columns, "
        f"{os.cpu_count()} cpus, load average {load_before:.1f} before and {load_after:.1f} after; best of {REPEATS}"
    )
    print(f"  (all runs: check {seconds(checks)} s; report {seconds(reports)} s)")
    print(f"  check   {check['seconds']:.2f} s   (modelmon check: read, check, print the table; exit {check['code']})")
    print(
        f"  report  {report['seconds']:.2f} s   (modelmon report: read, check with sketches, import matplotlib, "
        f"{report['plots']} plots, write; exit {report['code']})"
    )
    print(f"  extra   {extra:.2f} s   target < {EXTRA_TARGET_S:.0f} s: {'ok' if extra < EXTRA_TARGET_S else 'MISSED'}")
    print(
        f"  page    {size / 1e6:.2f} MB for {report['features']} features ({size / report['features'] / 1e3:.1f} KB "
        f"each; {size * 50 / report['features'] / 1e6:.2f} MB scaled to 50)   target < 2 MB for 50: "
        f"{'ok' if size * 50 / report['features'] < SIZE_TARGET_BYTES else 'MISSED'}"
    )
    agree = check["code"] == report["code"]
    if not agree:
        print(f"  the report's exit status {report['code']} is not the check's {check['code']}")
    return 0 if agree and extra < EXTRA_TARGET_S and size * 50 / report["features"] < SIZE_TARGET_BYTES else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        print(json.dumps(phase(*sys.argv[2:6])))
        sys.exit(0)
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, int(sys.argv[2]) if len(sys.argv) > 2 else 50))
