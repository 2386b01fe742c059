"""The page: the SVGs of each drawn feature, ids unique across the page however the drawing is split."""

from __future__ import annotations

import re

import numpy as np
import pytest

from modelmon.drift import distributions, profile
from modelmon.reporting import plots


def drawings(count: int) -> list[plots.Drawing]:
    rng = np.random.default_rng(3)
    out: list[plots.Drawing] = []
    for i in range(count):
        if i % 4 == 3:
            out.append((f"c{i}", distributions.sketch_categorical({"a": 5, "b": 3}, {"a": 4, "new": 4}), ()))
        else:
            ref, cur = (profile.sort_sample(rng.normal(shift, 1.0, 500)) for shift in (0.0, 0.3))
            history = [("2026-01-01T00:00:00Z", 10.0, "stable"), ("2026-01-02T00:00:00Z", 60.0, "significant")]
            out.append((f"x{i}", distributions.sketch_numeric(ref, cur), history if i % 2 else []))
    return out


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "forked"])
def test_every_feature_is_drawn_in_order_with_ids_unique_across_the_page(processes: int) -> None:
    wanted = drawings(plots.PARALLEL_FROM + 4)
    drawn = plots.draw_sketches(wanted, processes=processes)
    assert len(drawn) == len(wanted)
    for (name, _, history), svg in zip(wanted, drawn):
        assert svg.startswith("<svg") and f'aria-label="{name}: ' in svg
        assert svg.count("<svg") == (2 if history else 1)  # the score over the checks, when there is a history
    ids = re.findall(r'\sid="([^"]+)"', "".join(drawn))
    assert ids and len(ids) == len(set(ids))
