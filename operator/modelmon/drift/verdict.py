"""The dataset verdict: drifted when enough of the judged features drifted.

The share is taken over *judged* features only: a feature with insufficient data is
unknown, neither drift nor evidence of stability. With no judged feature the verdict
itself is unknown (``drifted=None``), which health reports as Unknown, not Healthy.
"""

from __future__ import annotations

from collections.abc import Sequence

from modelmon.drift.results import DatasetVerdict, FeatureDrift


def assess_dataset(features: Sequence[FeatureDrift], *, drift_share: float) -> DatasetVerdict:
    judged = [f for f in features if f.status == "judged"]
    drifted = [f for f in judged if f.drifted]
    if not judged:
        return DatasetVerdict(drifted=None, drifted_features=0, judged_features=0, share=None,
                              threshold_share=drift_share,
                              message="no feature had enough valid data to be judged")
    share = len(drifted) / len(judged)
    is_drifted = share >= drift_share
    names = ", ".join(f.name for f in sorted(drifted, key=lambda f: -f.severity_score)[:5])
    message = (f"{len(drifted)} of {len(judged)} features drifted ({share:.0%}; dataset drift at "
               f"{drift_share:.0%})" + (f": {names}" if names else ""))
    return DatasetVerdict(drifted=is_drifted, drifted_features=len(drifted), judged_features=len(judged),
                          share=share, threshold_share=drift_share, message=message)
