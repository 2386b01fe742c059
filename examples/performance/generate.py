"""Regenerates the performance example's data (deterministic): `python examples/performance/generate.py`.

A churn classifier whose backtest accuracy was 0.65. ``predictions-*.csv`` hold 230
predictions (id, time, two features, the predicted label); ``ground-truth.csv`` holds the
true label of the first 200, delivered later and out of order, so 30 predictions still
await their label. In ``predictions-decayed.csv`` the model is right 26 times in the last
50 labelled predictions (accuracy 0.52, significantly below 0.65); in
``predictions-steady.csv`` it is right 31 times in the last 50 and 63 in the last 100
(0.62-0.63: within noise of the baseline). The inputs do not drift in either: only the
performance check can tell them apart.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

HERE = Path(__file__).parent
PREDICTIONS, LABELLED = 230, 200
#: Correct predictions in each block of 50 labelled predictions, oldest first.
DECAYED = (33, 33, 32, 26)
STEADY = (32, 31, 32, 31)
START = datetime.datetime(2026, 11, 23, 0, 0, tzinfo=datetime.timezone.utc)


def _features(rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    return {"tenure_months": rng.gamma(2.0, 12.0, rows).round(1),
            "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2])}


def truth(seed: int = 6) -> np.ndarray:
    return np.random.default_rng(seed).choice(["churn", "stay"], PREDICTIONS, p=[0.4, 0.6])


def predictions(correct_per_50: tuple[int, ...], *, seed: int) -> pa.Table:
    """230 predictions; in block ``i`` of 50 labelled ones exactly ``correct_per_50[i]`` are right."""
    rng = np.random.default_rng(seed)
    actual = truth()
    right = rng.random(PREDICTIONS) < 0.65  # the unlabelled tail: unknown until labels arrive
    for block, correct in enumerate(correct_per_50):
        right[block * 50:(block + 1) * 50] = False
        right[block * 50 + rng.choice(50, correct, replace=False)] = True
    predicted = np.where(right, actual, np.where(actual == "churn", "stay", "churn"))
    times = [(START + datetime.timedelta(minutes=i)).isoformat().replace("+00:00", "Z") for i in range(PREDICTIONS)]
    return pa.table({"request_id": [f"req-{i:05d}" for i in range(PREDICTIONS)], "predicted_at": times,
                     **_features(rng, PREDICTIONS), "prediction": predicted})


def ground_truth(seed: int = 8) -> pa.Table:
    order = np.random.default_rng(seed).permutation(LABELLED)  # labels arrive out of order
    ids = np.array([f"req-{i:05d}" for i in range(PREDICTIONS)])
    return pa.table({"request_id": ids[:LABELLED][order], "churned": truth()[:LABELLED][order]})


def main() -> None:
    pa_csv.write_csv(pa.table(_features(np.random.default_rng(5), 1000)), HERE / "reference.csv")
    pa_csv.write_csv(predictions(DECAYED, seed=11), HERE / "predictions-decayed.csv")
    pa_csv.write_csv(predictions(STEADY, seed=12), HERE / "predictions-steady.csv")
    pa_csv.write_csv(ground_truth(), HERE / "ground-truth.csv")


if __name__ == "__main__":
    main()
