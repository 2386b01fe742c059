"""``spec.drift``, ``spec.dataQuality`` and ``spec.features``: how drift is judged.

The same models configure ``modelmon check --config FILE`` on local files and the
ModelMonitor's spec, so a data scientist's local gate and the cluster agree.
"""

from __future__ import annotations

from typing import Literal

import pydantic

from modelmon.api.base import SpecModel
from modelmon.api.performance import PerformanceSpec

QualitySeverity = Literal["warning", "critical"]
"""A data-quality finding's severity (status.lastCheck.qualityIssues[].severity)."""
FeatureKind = Literal["numeric", "categorical"]
"""How a feature is compared: distributions of numbers, or frequencies of categories."""
FeatureStatus = Literal["judged", "insufficientData", "typeMismatch", "missingColumn", "identifier"]
"""Whether a feature could be judged in a check (status.lastCheck.features[].status)."""

NumericMethod = Literal["auto", "psi", "ks", "js", "kl", "wasserstein", "hellinger"]
CategoricalMethod = Literal["auto", "chi2", "psi", "js", "kl", "hellinger"]
Method = Literal["psi", "ks", "js", "kl", "wasserstein", "hellinger", "chi2"]

#: Methods whose score is a p-value: their thresholds are p-values, decreasing.
PVALUE_METHODS: frozenset[str] = frozenset({"ks", "chi2"})


class Thresholds(SpecModel):
    """Cut points between stable / moderate / significant / critical for one method.

    For distances (psi, js, kl, wasserstein, hellinger) they increase; for p-value tests
    (ks, chi2) they are p-values and decrease. A feature is drifted from ``moderate`` on.
    """

    moderate: float = pydantic.Field(ge=0)
    """Score from which a feature counts as drifted (p-value below which, for ks/chi2)."""
    significant: float = pydantic.Field(ge=0)
    """Score of a significant drift."""
    critical: float = pydantic.Field(ge=0)
    """Score of a critical drift."""


DEFAULT_THRESHOLDS: dict[str, Thresholds] = {
    "psi": Thresholds(moderate=0.1, significant=0.25, critical=0.5),
    "kl": Thresholds(moderate=0.1, significant=0.25, critical=0.5),
    # 0.065: a 10-point change of a balanced two-category feature (50/50 -> 60/40, the weakest
    # 10-point change) scores 0.083 +- 0.006 at 10k rows, flagged in >= 99 % of checks; 5 points
    # (0.043) stay below.
    "js": Thresholds(moderate=0.065, significant=0.2, critical=0.3),
    "hellinger": Thresholds(moderate=0.1, significant=0.2, critical=0.3),
    "wasserstein": Thresholds(moderate=0.1, significant=0.25, critical=0.5),
    # p-value cuts apply to p-values adjusted over the features (multipleTesting); 0.005 is half the
    # 1 % false-alarm target, a margin for the approximations (asymptotic KS, chi-square).
    "ks": Thresholds(moderate=0.005, significant=0.001, critical=0.0001),
    "chi2": Thresholds(moderate=0.005, significant=0.001, critical=0.0001),
}


class FeatureSpec(SpecModel):
    """One feature to check; features not listed are inferred from the data's types."""

    name: str = pydantic.Field(min_length=1)
    """Column name, as in the data."""
    type: FeatureKind
    """How the column is compared: distributions of numbers, or frequencies of categories."""
    method: Method | None = None
    """Overrides the drift method chosen for this feature's type."""


class DriftSpec(SpecModel):
    """How feature drift is measured and when the dataset counts as drifted."""

    numeric_method: NumericMethod = "auto"
    """Method for numeric features. ``auto``: ks when either sample has at most
    ``largeSampleRows`` values, else wasserstein (trimmed, over the reference's robust scale)."""
    categorical_method: CategoricalMethod = "auto"
    """Method for categorical features. ``auto``: chi2 when either sample has at most
    ``largeSampleRows`` values, else js."""
    bins: int = pydantic.Field(default=10, ge=2, le=1000)
    """Equal-frequency reference bins for psi/js/kl/hellinger on numeric features."""
    large_sample_rows: int = pydantic.Field(default=1000, ge=10)
    """Above this many rows on both sides ``auto`` judges by effect size, not p-values,
    because p-values flag practically meaningless shifts on large samples."""
    min_rows: int = pydantic.Field(default=20, ge=1)
    """A feature with fewer valid (non-missing, finite) values on either side is reported
    as insufficient data rather than judged."""
    drift_share: float = pydantic.Field(default=0.5, gt=0, le=1)
    """The dataset is drifted when at least this share of judged features drifted."""
    multiple_testing: Literal["holm", "bh", "none"] = "holm"
    """How each feature's test p-value (ks for numeric, chi2 for categorical) is adjusted over the
    judged features before it is compared with the ks/chi2 cut points: ``holm`` (family-wise
    error rate, any dependence), ``bh`` (Benjamini-Hochberg false discovery rate) or ``none``.
    A distance (wasserstein, js, psi, ...) counts as drift only when this adjusted p-value is
    also at most the ks (numeric) or chi2 (categorical) moderate cut."""
    thresholds: dict[Method, Thresholds] = pydantic.Field(default_factory=dict)
    """Per-method overrides of the default cut points."""

    @pydantic.field_validator("thresholds")
    @classmethod
    def _ordered(cls, value: dict[str, Thresholds]) -> dict[str, Thresholds]:
        for method, cuts in value.items():
            triple = (cuts.moderate, cuts.significant, cuts.critical)
            if method in PVALUE_METHODS:
                if not 1 >= triple[0] > triple[1] > triple[2] > 0:
                    raise ValueError(
                        f"thresholds.{method}: p-value cut points must decrease within (0, 1]: "
                        f"moderate > significant > critical, got {triple}"
                    )
            elif not triple[0] < triple[1] < triple[2]:
                raise ValueError(
                    f"thresholds.{method}: cut points must increase: moderate < significant < critical, got {triple}"
                )
        return value

    def thresholds_for(self, method: str) -> Thresholds:
        return self.thresholds.get(method, DEFAULT_THRESHOLDS[method])  # type: ignore[call-overload]


class DataQualitySpec(SpecModel):
    """Limits of per-column data quality; exceeding one is a data-quality issue."""

    max_missing_rate_increase: float = pydantic.Field(default=0.05, ge=0, le=1)
    """How far the current missing share may rise above the reference's own."""
    max_out_of_range_share: float = pydantic.Field(default=0.05, ge=0, le=1)
    """Share of numeric values outside the reference's [min, max] allowed."""
    max_unseen_share: float = pydantic.Field(default=0.05, ge=0, le=1)
    """Share of categorical values never seen in the reference allowed."""
    new_column_severity: QualitySeverity = "warning"
    """Severity of a column in the current data that the reference lacks (features inferred): a
    warning by default, since the model never sees it (a request id added upstream); critical to
    page on every schema change. It is a data-quality finding and never starts a retraining."""


class CheckConfig(SpecModel):
    """The ``--config`` file of ``modelmon check``: the ModelMonitor's field names."""

    features: list[FeatureSpec] | None = None
    """Features to check and their types; every common column is inferred when absent."""
    drift: DriftSpec = DriftSpec()
    """Drift methods and thresholds."""
    data_quality: DataQualitySpec = DataQualitySpec()
    """Data-quality limits."""
    performance: PerformanceSpec | None = None
    """Live performance against the backtest baseline (prediction and target columns)."""
