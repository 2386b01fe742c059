"""An example training container's entry point: train, store the model, report the result.

What modelmon needs from a training container is only its last act: one JSON object written
to /dev/termination-log (the container's termination message, at most 4096 bytes):

    {"modelUri": "...", "version": "...", "sha256": "<64 hex digits>", "metrics": {"accuracy": 0.91}}

Everything else -- framework, data access, model store -- is the container's own business.
This script "trains" a one-feature threshold classifier on a CSV (columns: score, label) so
the example runs anywhere with the standard library:

    python train.py --data train.csv --holdout holdout.csv --out /models/credit
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from pathlib import Path

TERMINATION_LOG = Path(os.environ.get("TERMINATION_LOG", "/dev/termination-log"))


def load(path: str) -> list[tuple[float, int]]:
    with open(path, newline="") as handle:
        return [(float(row["score"]), int(row["label"])) for row in csv.DictReader(handle)]


def fit(rows: list[tuple[float, int]]) -> float:
    """The score threshold with the best training accuracy."""
    candidates = sorted({score for score, _ in rows})
    return max(candidates, key=lambda t: sum((score >= t) == bool(label) for score, label in rows))


def accuracy(threshold: float, rows: list[tuple[float, int]]) -> float:
    return sum((score >= threshold) == bool(label) for score, label in rows) / len(rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--holdout", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        threshold = fit(load(args.data))
        holdout = load(args.holdout)
        version = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        artefact = Path(args.out) / version / "model.json"
        artefact.parent.mkdir(parents=True, exist_ok=True)
        artefact.write_text(json.dumps({"threshold": threshold}))
        result = {"modelUri": artefact.resolve().as_uri(), "version": version,
                  "sha256": hashlib.sha256(artefact.read_bytes()).hexdigest(),
                  "metrics": {"accuracy": round(accuracy(threshold, holdout), 4)}}
    except Exception as error:  # the operator shows this message in the RetrainingJob's status
        TERMINATION_LOG.write_text(f"training failed: {type(error).__name__}: {error}"[:4096])
        return 1
    TERMINATION_LOG.write_text(json.dumps(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
