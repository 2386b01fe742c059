"""Typed results of a drift check, and their JSON form (camelCase, as in ``status.lastCheck``)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

from modelmon.api.drift import FeatureKind, FeatureStatus, QualitySeverity


@dataclasses.dataclass(frozen=True, kw_only=True)
class QualityIssue:
    column: str
    check: Literal["missingRate", "nonFinite", "outOfRange", "unseenCategories", "typeMismatch",
                   "constant", "missingColumn", "newColumn", "allMissing"]
    severity: QualitySeverity
    value: float | None
    limit: float | None
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ColumnQuality:
    """Data-quality measurements of one column of the current window."""

    rows: int
    missing: int
    missing_rate: float
    reference_missing_rate: float
    non_finite: int = 0
    """+inf/-inf values (set aside like NaN; see ``drift.quality``)."""
    reference_non_finite_rate: float = 0.0
    out_of_range_share: float | None = None
    unseen_share: float | None = None
    expected_unseen_share: float = 0.0
    """Good-Turing estimate of the share of values in categories a reference sample of this size
    misses by chance: the reference's singletons over its values."""
    unseen_examples: tuple[str, ...] = ()
    constant: bool = False

    @property
    def non_finite_rate(self) -> float:
        return self.non_finite / self.rows if self.rows else 0.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeatureDrift:
    name: str
    kind: FeatureKind
    status: FeatureStatus
    method: str | None
    score: float | None
    """The chosen method's score (a p-value for ks and chi2)."""
    pvalue: float | None
    """The feature's test p-value: KS (numeric) or chi-square (categorical), whatever the method."""
    severity: str
    """stable | moderate | significant | critical | unknown (not judged)."""
    severity_score: float
    """0-100, monotone in the score, comparable across methods."""
    drifted: bool
    reason: str
    reference_rows: int
    current_rows: int
    adjusted_pvalue: float | None = None
    """``pvalue`` adjusted over the judged features (``drift.multipleTesting``); it decides."""
    scores: dict[str, float] = dataclasses.field(default_factory=dict)
    """Every statistic computed from the same sort, for the curious (method -> value)."""
    quality: ColumnQuality | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class DatasetVerdict:
    drifted: bool | None
    """None when no feature could be judged: unknown, not "no drift"."""
    drifted_features: int
    judged_features: int
    share: float | None
    threshold_share: float
    message: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriftReport:
    reference: str
    current: str
    reference_rows: int
    current_rows: int
    features: tuple[FeatureDrift, ...]
    dataset: DatasetVerdict
    quality_issues: tuple[QualityIssue, ...]
    duration_seconds: float = 0.0

    @property
    def drifted_feature_names(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        converted: dict[str, Any] = _jsonable(dataclasses.asdict(self))
        return converted


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _jsonable(value: Any) -> Any:
    """camelCase keys; NaN/inf (not valid JSON) become null."""
    if isinstance(value, dict):
        return {(_camel(k) if isinstance(k, str) else k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
