"""Dataset verdicts from the defaults, end to end through the check runner, at every size."""

import numpy as np
import pyarrow as pa
import pytest

from modelmon import checking
from modelmon.api.drift import CheckConfig
from modelmon.data import tables

FAMILIES = [
    lambda r, n: r.normal(10, 2, n),
    lambda r, n: r.lognormal(0, 0.8, n),
    lambda r, n: r.uniform(-1, 1, n),
    lambda r, n: r.exponential(3, n),
    lambda r, n: r.poisson(6, n).astype(float),
    lambda r, n: r.gamma(2.0, 2.0, n),
]


def in_memory(data: dict, name: str) -> tables.Table:
    table = pa.table(data)
    return tables.Table(path=name, format="parquet", schema=table.schema, num_rows=table.num_rows, _table=table)


def sample(rng, rows, *, shift=0.0):
    data = {f"x{i}": family(rng, rows) for i, family in enumerate(FAMILIES * 2)}
    data["x0"] = data["x0"] + shift * 2  # x0 is normal with sd 2: shift in standard deviations
    data["segment"] = rng.choice(["a", "b", "c", "d"], rows, p=[0.4, 0.3, 0.2, 0.1])
    return data


@pytest.mark.parametrize("rows", [1_000, 10_000, 100_000, 1_000_000], ids=lambda n: f"{n}rows")
def test_one_distribution_is_no_drift_and_a_half_sd_shift_is_flagged(rows):
    rng = np.random.default_rng(rows)
    reference = in_memory(sample(rng, rows), "reference")
    same = checking.run_check(reference=reference, current=in_memory(sample(rng, rows), "current"),
                              config=CheckConfig())
    assert same.dataset.drifted is False, same.dataset.message
    if rows >= 100_000:
        assert same.drifted_feature_names == []
    shifted = checking.run_check(reference=reference, current=in_memory(sample(rng, rows, shift=0.5), "current"),
                                 config=CheckConfig())
    assert "x0" in shifted.drifted_feature_names
