"""Benchmark of the default drift check against the cost floor of any exact check.

Usage: ``python bench/drift_bench.py [ROWS [COLS]]`` (defaults 1,000,000 and 50).

Generates (seeded) a reference and a current table of ROWS x COLS float64 columns (normal,
lognormal and uniform in turn; in the current, every fifth column's mean moves by half a
standard deviation and two columns get ~0.1% NaN) plus 4 categorical string columns of 10
categories, writes both as Parquet (timed, not counted) and measures, each phase in a fresh
interpreter so that its peak RSS is its own and not the data generator's:

- ``floor``: ``np.sort`` of every numeric column of both tables, one after another on one
  thread, the columns already in memory. Exact KS and Wasserstein compare whole ECDFs /
  quantile functions; to get them, each column of each side must be sorted at least once
  (or something as costly, for example a merge-based ranking). So a single-threaded sort
  of the numeric data is the floor any exact check pays; reading Parquet, categorical
  columns and the statistics themselves come on top, and two cores may claw that back.
- ``full``: ``checking.run_check`` on two freshly opened Parquet tables, as ``modelmon check``
  does it (opening and reading the files included).
- ``profile build``: ``checking.build_profile`` of the reference (reported, no target), then
  ``profiled``: ``run_check`` of the current table against that profile.

Targets (issue 2): full <= 1.5x floor, profiled <= 0.75x floor, every phase's peak RSS <=
2x the raw float64 data (ROWS * COLS * 8 bytes * 2 tables). Exits 1 when full and profiled
disagree on the drifted features, or a shifted column or a sanity check is missed.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

CATEGORICAL_COLUMNS = 4
CATEGORIES = [f"cat_{i}" for i in range(10)]
SEED = 20240601


def shifted_columns(cols: int) -> list[str]:
    return [f"x{i}" for i in range(0, cols, 5)]  # every fifth column: 20%


def nan_columns(cols: int) -> list[str]:
    return [f"x{i}" for i in (0, 1) if i < cols]  # one shifted, one not: NaN must not hide drift


def generate(rows: int, cols: int, directory: str) -> tuple[str, str, float]:
    """Write reference.parquet and current.parquet; return their paths and the write time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    shifted, with_nan = set(shifted_columns(cols)), set(nan_columns(cols))
    tables: dict[str, dict[str, pa.Array]] = {"reference": {}, "current": {}}
    for i in range(cols):
        name, family = f"x{i}", i % 3
        for side, table in tables.items():
            if family == 0:
                values, std = rng.normal(10.0, 2.0, rows), 2.0
            elif family == 1:
                values, std = rng.lognormal(0.0, 0.5, rows), float(np.sqrt((np.e ** 0.25 - 1) * np.e ** 0.25))
            else:
                values, std = rng.uniform(-1.0, 1.0, rows), 2.0 / np.sqrt(12.0)
            if side == "current" and name in shifted:
                values += 0.5 * std
            if side == "current" and name in with_nan:
                values[rng.choice(rows, size=max(1, rows // 1000), replace=False)] = np.nan
            table[name] = pa.array(values)
    labels = np.array(CATEGORIES)
    weights = np.arange(1, len(CATEGORIES) + 1, dtype=float)
    for j in range(CATEGORICAL_COLUMNS):
        for table in tables.values():
            table[f"c{j}"] = pa.array(labels[rng.choice(len(labels), size=rows, p=weights / weights.sum())])
    paths, started = [], time.perf_counter()
    for side, columns in tables.items():
        path = os.path.join(directory, f"{side}.parquet")
        pq.write_table(pa.table(columns), path)
        paths.append(path)
    return paths[0], paths[1], time.perf_counter() - started


def peak_rss_mb() -> float:
    """ru_maxrss (KB on Linux). Linux carries it over fork and exec from the parent, so the
    parent never holds the data: generation runs in its own interpreter too."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, ref_path: str, cur_path: str) -> dict[str, object]:
    """One measured phase, run in its own interpreter (see ``run_phase``)."""
    from modelmon import checking
    from modelmon.api.drift import CheckConfig
    from modelmon.data import tables

    out: dict[str, object] = {"baseline_rss_mb": peak_rss_mb()}
    if name == "floor":
        import pyarrow.parquet as pq
        columns = []  # column by column, so the loading does not inflate the floor's peak RSS
        for path in (ref_path, cur_path):
            parquet = pq.ParquetFile(path)
            columns += [parquet.read(columns=[c]).column(0).to_numpy() for c in parquet.schema_arrow.names
                        if c.startswith("x")]
        started = time.perf_counter()
        for column in columns:
            np.sort(column)
        out["floor"] = time.perf_counter() - started
    elif name == "full":
        started = time.perf_counter()
        report = checking.run_check(reference=tables.open_table(ref_path), current=tables.open_table(cur_path),
                                    config=CheckConfig())
        out["full"] = time.perf_counter() - started
        out["drifted"], out["verdict"] = report.drifted_feature_names, report.dataset.drifted
    else:
        started = time.perf_counter()
        ref_profile = checking.build_profile(tables.open_table(ref_path), bins=10)
        out["profile build"] = time.perf_counter() - started
        started = time.perf_counter()
        report = checking.run_check(reference=ref_profile, current=tables.open_table(cur_path), config=CheckConfig())
        out["profiled"] = time.perf_counter() - started
        out["drifted"], out["verdict"] = report.drifted_feature_names, report.dataset.drifted
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def run_phase(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--phase", *args],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main(rows: int, cols: int) -> int:
    raw_mb = rows * cols * 8 * 2 / 2**20
    cells, load_before = rows * (cols + CATEGORICAL_COLUMNS), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as directory:
        started = time.perf_counter()
        ref_path, cur_path, write_s = run_phase("generate", str(rows), str(cols), directory).values()
        generate_s = time.perf_counter() - started - write_s
        parquet_mb = sum(os.path.getsize(p) for p in (ref_path, cur_path)) / 2**20
        results = {name: run_phase(name, ref_path, cur_path) for name in ("floor", "full", "profile")}
    floor = float(results["floor"]["floor"])
    print(f"modelmon drift bench: {rows:,} rows x {cols + CATEGORICAL_COLUMNS} columns "
          f"({cols} numeric float64 + {CATEGORICAL_COLUMNS} categorical), {os.cpu_count()} CPUs, "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"raw float64 data {raw_mb:,.1f} MB (both tables); Parquet {parquet_mb:,.1f} MB; "
          f"generation {generate_s:.2f} s and Parquet write {write_s:.2f} s (not counted)\n")
    print(f"{'phase':<15}{'wall s':>8}{'rows*cols/s':>14}{'x floor':>9}{'target':>11}"
          f"{'peak RSS MB':>13}{'x raw':>7}{'target':>9}{'net MB':>8}")
    for key, phase_name, target in (("floor", "floor", None), ("full", "full", 1.5),
                                    ("profile build", "profile", None), ("profiled", "profile", 0.75)):
        r = results[phase_name]
        wall = float(r[key])
        rate = f"{cells / wall:,.0f}" if key in ("full", "profiled") else "-"
        rss = float(r["peak_rss_mb"])
        net = rss - float(r["baseline_rss_mb"])
        mark = "-" if target is None else f"<={target}" + (" ok" if wall / floor <= target else " !!")
        rss_mark = "-" if target is None else "<=2" + (" ok" if rss / raw_mb <= 2 else " !!")
        rss_col = f"{rss:13,.0f}{rss / raw_mb:7.2f}{rss_mark:>9}{net:8,.0f}"
        if key == "profile build":
            rss_col = f"{'(peak of build + profiled)':>37}"
        print(f"{key:<15}{wall:8.2f}{rate:>14}{wall / floor:9.2f}{mark:>11}{rss_col}")
    print(f"peak RSS: ru_maxrss of a fresh interpreter per phase; net MB = peak minus the RSS after "
          f"imports ({float(results['full']['baseline_rss_mb']):,.0f} MB: python, numpy, pyarrow, modelmon)\n")

    full_drifted, profiled_drifted = results["full"]["drifted"], results["profile"]["drifted"]
    expected = shifted_columns(cols)
    print(f"drifted features: full {len(full_drifted)}, profiled {len(profiled_drifted)}, "
          f"shifted by design {len(expected)}; dataset drifted: full {results['full']['verdict']}, "
          f"profiled {results['profile']['verdict']}")
    failures = []
    if sorted(full_drifted) != sorted(profiled_drifted):
        failures.append(f"full and profiled disagree: {full_drifted} vs {profiled_drifted}")
    if missed := sorted(set(expected) - set(full_drifted)):
        failures.append(f"shifted columns not flagged: {missed}")
    if extra := sorted(set(full_drifted) - set(expected)):
        failures.append(f"unshifted columns flagged: {extra}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:3] == ["--phase", "generate"]:
        ref, cur, write_s = generate(int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        print(json.dumps({"reference": ref, "current": cur, "write_s": write_s}))
    elif sys.argv[1:2] == ["--phase"]:
        print(json.dumps(phase(*sys.argv[2:5])))
    else:
        arguments = [int(a) for a in sys.argv[1:3]]
        sys.exit(main(*(arguments + [1_000_000, 50][len(arguments):])))
