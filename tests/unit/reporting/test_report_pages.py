"""The page: one SVG per drawn feature, ids unique across the page however the drawing is split."""

from __future__ import annotations

import re

import numpy as np
import pytest

from modelmon.drift import distributions, profile
from modelmon.reporting import plots


def drawings(count: int) -> list[tuple[str, distributions.Sketch]]:
    rng = np.random.default_rng(3)
    out: list[tuple[str, distributions.Sketch]] = []
    for i in range(count):
        if i % 4 == 3:
            out.append((f"c{i}", distributions.sketch_categorical({"a": 5, "b": 3}, {"a": 4, "new": 4})))
        else:
            ref, cur = (profile.sort_sample(rng.normal(shift, 1.0, 500)) for shift in (0.0, 0.3))
            out.append((f"x{i}", distributions.sketch_numeric(ref, cur)))
    return out


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "forked"])
def test_every_feature_is_drawn_in_order_with_ids_unique_across_the_page(processes: int) -> None:
    wanted = drawings(plots.PARALLEL_FROM + 4)
    drawn = plots.draw_sketches(wanted, processes=processes)
    assert len(drawn) == len(wanted)
    for (name, _), svg in zip(wanted, drawn):
        assert svg.startswith("<svg") and f'aria-label="{name}: ' in svg
    ids = re.findall(r'\sid="([^"]+)"', "".join(drawn))
    assert ids and len(ids) == len(set(ids))
