"""The dataset verdict: drifted when enough of the judged features drifted.

The share is taken over *judged* features only: a feature with insufficient data is
unknown, neither drift nor evidence of stability. With no judged feature the verdict
itself is unknown (``drifted=None``), which health reports as Unknown, not Healthy.

Before counting, every judged feature's test p-value is adjusted over the family of judged
features (``drift.multipleTesting``, Holm by default; ``stats.multiplicity``) and the feature
is judged again on the adjusted value: the family, not each feature, has the stated level,
so a table of 500 features raises no more false alarms than a table of one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from modelmon.api.drift import DriftSpec
from modelmon.drift import features as feature_drift
from modelmon.drift.results import DatasetVerdict, FeatureDrift
from modelmon.stats import multiplicity


def adjust_for_multiplicity(features: Sequence[FeatureDrift], *, spec: DriftSpec) -> list[FeatureDrift]:
    """Every judged feature judged again on its p-value adjusted over the judged features."""
    judged = [i for i, f in enumerate(features) if f.status == "judged"]
    adjusted = multiplicity.adjust([features[i].pvalue for i in judged], method=spec.multiple_testing)
    result = list(features)
    for index, pvalue in zip(judged, adjusted):
        feature = features[index]
        kept = None if feature.pvalue is None else pvalue
        result[index] = feature_drift.rejudge(dataclasses.replace(feature), adjusted_pvalue=kept,
                                              family=len(judged), spec=spec)
    return result


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
