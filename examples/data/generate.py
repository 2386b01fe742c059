"""Regenerates the bundled example data (deterministic): `python examples/data/generate.py`.

A credit-default classifier's inputs and outputs. ``reference.csv`` is the training window;
``current-stable.csv`` comes from the same distribution; ``current-drifted.csv`` is what the
model sees after a shift: incomes fall, debt ratios rise, a new region appears, the
employment mix changes and some loan amounts arrive missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

HERE = Path(__file__).parent


def make(rows: int, *, seed: int, drifted: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    age = rng.normal(41 if not drifted else 38, 11, rows).clip(18, 90).round()
    income = rng.lognormal(10.8 if not drifted else 10.45, 0.45, rows).round(2)
    credit_score = rng.normal(680, 60, rows).clip(300, 850).round()
    loan_amount = rng.gamma(2.0, 7500.0, rows).round(2)
    debt_ratio = rng.beta(2, 5 if not drifted else 3, rows).round(4)
    regions = ["north", "south", "east", "west"] + (["online"] if drifted else [])
    weights = [0.3, 0.25, 0.25, 0.2] if not drifted else [0.2, 0.2, 0.2, 0.15, 0.25]
    region = rng.choice(regions, rows, p=weights)
    employment = rng.choice(["salaried", "self-employed", "unemployed"], rows,
                            p=[0.7, 0.22, 0.08] if not drifted else [0.55, 0.27, 0.18])
    risk = -1.2 + 3.0 * debt_ratio - (credit_score - 680) / 80 - np.log(income / 50000)
    label = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(np.int64)
    prediction = (1 / (1 + np.exp(-(-1.2 + 3.0 * debt_ratio - (credit_score - 680) / 80))) > 0.5).astype(np.int64)
    loan = pa.array(loan_amount, mask=(rng.random(rows) < 0.12) if drifted else None)
    return pa.table({
        "age": age, "income": income, "credit_score": credit_score, "loan_amount": loan,
        "debt_ratio": debt_ratio, "region": region, "employment": employment,
        "prediction": prediction, "label": label,
    })


def main() -> None:
    pa_csv.write_csv(make(3000, seed=1, drifted=False), HERE / "reference.csv")
    pa_csv.write_csv(make(2000, seed=2, drifted=False), HERE / "current-stable.csv")
    pa_csv.write_csv(make(2000, seed=3, drifted=True), HERE / "current-drifted.csv")


if __name__ == "__main__":
    main()
