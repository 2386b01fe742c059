"""Labelled predictions: what the data layer hands to the pure evaluation.

Classification labels are text (``"1"``, ``"churn"``) or None when missing, so a label
read as the integer 1 from one file and the text "1" from another compares equal; numbers
for regression are float64 with NaN when missing. Rows are in time order.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt


@dataclasses.dataclass(frozen=True, kw_only=True)
class LabelledPredictions:
    """Predictions whose target is known, oldest first, and how many still wait for one."""

    predictions: npt.NDArray[np.object_] | npt.NDArray[np.float64]
    targets: npt.NDArray[np.object_] | npt.NDArray[np.float64]
    times: npt.NDArray[np.float64] | None = None
    """Each prediction's time in seconds since the epoch (NaN when unknown), or None when
    the data has no timestamp column (then row order is time order)."""
    unlabelled: int = 0
    """Predictions still waiting for their ground truth."""

    def __post_init__(self) -> None:
        if self.predictions.shape != self.targets.shape or self.predictions.ndim != 1:
            raise ValueError(f"predictions {self.predictions.shape} and targets {self.targets.shape} must be "
                             f"one-dimensional and of equal length")
        if self.times is not None and self.times.shape != self.predictions.shape:
            raise ValueError(f"times {self.times.shape} must match predictions {self.predictions.shape}")

    @property
    def labelled(self) -> int:
        return int(self.targets.size)
