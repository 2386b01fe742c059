"""Rolling windows over labelled predictions: the last N, or those within a duration.

A window is judged on the labelled predictions it holds; a "last 200" window over 120
labelled predictions holds 120 (and says so in ``samples``), which ``minSamples`` then
judges, rather than pretending to be a different window.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from modelmon.api.durations import parse_duration
from modelmon.api.performance import PerformanceWindow
from modelmon.performance.labelled import LabelledPredictions


@dataclasses.dataclass(frozen=True, kw_only=True)
class WindowSlice:
    """The labelled predictions of one window."""

    label: str
    predictions: npt.NDArray[np.object_] | npt.NDArray[np.float64]
    targets: npt.NDArray[np.object_] | npt.NDArray[np.float64]


def select_window(labelled: LabelledPredictions, window: PerformanceWindow, *, now: float) -> WindowSlice:
    """The rows of ``window``; ``now`` (seconds since the epoch) anchors duration windows.

    Worked example: 300 labelled predictions, window ``{rows: 50}``: rows 250..299. Window
    ``{duration: 1h}`` at ``now = 10_000``: the rows whose time is in [6_400, 10_000];
    rows without a time are never inside a duration window.
    """
    predictions, targets = labelled.predictions, labelled.targets
    if window.rows is not None:
        start = max(0, targets.size - window.rows)
        return WindowSlice(label=window.label, predictions=predictions[start:], targets=targets[start:])
    assert window.duration is not None  # the spec requires exactly one of rows / duration
    if labelled.times is None:
        raise ValueError(f"window {window.label!r} needs prediction times; set performance.timestampColumn")
    inside = labelled.times >= now - parse_duration(window.duration)  # NaN compares False: left out
    return WindowSlice(label=window.label, predictions=predictions[inside], targets=targets[inside])
