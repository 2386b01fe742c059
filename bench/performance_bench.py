"""Benchmark of the live-performance check: late labels joined to predictions, then every
metric on every window.

Usage: ``python bench/performance_bench.py [PREDICTIONS]`` (default 1,000,000).

Writes (seeded) a Parquet file of PREDICTIONS classifier predictions (id, prediction) and a
ground-truth file of 90% of their ids (shuffled, with 1% delivered twice: the last label
wins), then times ``checking.run_performance`` as the check job runs it: open both tables,
join the labels on the id column, compute accuracy and F1 on the last 50/100/200 labelled
predictions and on a 24 h window, with the one-sided z-test. Prints seconds and peak RSS
(in a fresh interpreter, so the generator's memory is not counted). Target: under 2 s and
under 1 GB for a million predictions on 2 cores. Exits 1 if the verdict is wrong (the
generated last window is at 52% accuracy against a 65% baseline: critical).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

SEED = 20261123


def generate(rows: int, directory: str) -> tuple[str, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    ids = np.array([f"req-{i:09d}" for i in range(rows)], dtype=object)
    labels = rng.integers(0, 2, rows)
    # 65% accurate, except the last 50 predictions at 52%.
    correct = rng.random(rows) < 0.65
    correct[-50:] = np.arange(50) < 26
    predictions = np.where(correct, labels, 1 - labels)
    stamps = np.datetime64("2026-11-23T00:00:00") - (rows - np.arange(rows)).astype("timedelta64[s]")
    pred_path, truth_path = f"{directory}/predictions.parquet", f"{directory}/truth.parquet"
    pq.write_table(pa.table({"id": ids, "prediction": predictions.astype(str), "ts": stamps}), pred_path)
    known = rng.permutation(rows)[: int(rows * 0.9)]
    known = np.concatenate([known, known[: rows // 100]])  # delivered twice
    known = np.concatenate([known, np.arange(rows - 200, rows)])  # the latest are labelled
    pq.write_table(pa.table({"id": ids[known], "label": labels[known].astype(str)}), truth_path)
    return pred_path, truth_path


def measure(pred_path: str, truth_path: str) -> dict[str, object]:
    from modelmon import checking
    from modelmon.api.performance import PerformanceSpec
    from modelmon.data import tables

    spec = PerformanceSpec.model_validate({
        "task": "classification", "predictionColumn": "prediction", "targetColumn": "label",
        "positiveLabel": "1", "timestampColumn": "ts", "baseline": {"accuracy": 0.65, "f1": 0.65},
        "groundTruth": {"uri": f"file://{truth_path}", "idColumn": "id"},
        "windows": [{"rows": 50}, {"rows": 100}, {"rows": 200}, {"duration": "24h"}]})
    started = time.perf_counter()
    report = checking.run_performance(tables.open_table(pred_path), spec=spec,
                                      ground_truth=tables.open_table(truth_path),
                                      now=np.datetime64("2026-11-23T00:00:00").astype("datetime64[s]").astype(float))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "summary": report.to_status()}


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
        return 0
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        pred_path, truth_path = generate(rows, directory)
        print(f"generated {rows:,} predictions and {int(rows * 0.91):,} labels in {time.perf_counter() - started:.1f}s")
        run = subprocess.run([sys.executable, __file__, "--measure", pred_path, truth_path],
                             capture_output=True, text=True)
        if run.returncode:
            print(run.stderr, file=sys.stderr)
            return 1
        out = run.stdout
    result = json.loads(out)
    print(f"run_performance (open, join, 4 windows x 2 metrics, z-test): {result['seconds']:.2f}s, "
          f"peak RSS {result['rss_mb']:.0f} MB")
    last50 = next(m for m in result["summary"]["metrics"] if m["metric"] == "accuracy" and m["window"] == "last 50")
    critical = last50["severity"] == "critical"
    print(f"labelled {result['summary']['labelled']:,}, unlabelled {result['summary']['unlabelled']:,}; "
          f"{result['summary']['recommendation']}")
    print(f"verdict on the last 50 (52% vs 65% baseline): {'critical' if critical else 'NOT critical'}")
    return 0 if critical else 1


if __name__ == "__main__":
    sys.exit(main())
