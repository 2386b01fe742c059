"""Which drift method judges a feature, and how its score becomes a severity.

``auto`` (the default) follows the sample size, because p-values and effect sizes fail in
opposite regimes:

- up to ``largeSampleRows`` (default 1,000) values on the smaller side, a test:
  KS for numeric features, chi-square for categorical ones. Small samples make distances
  noisy, and a test tells noise from shift;
- above it, an effect size: Wasserstein-1 divided by the reference standard deviation for
  numeric features (0.1 = a tenth of a standard deviation), Jensen-Shannon distance for
  categorical ones. On a million rows a p-value test flags shifts nobody cares about;
  an effect size does not grow with the sample.

A numeric feature whose reference is constant has no scale for Wasserstein and is judged
by KS at any size.
"""

from __future__ import annotations

from modelmon.api.drift import PVALUE_METHODS, DriftSpec, FeatureSpec
from modelmon.stats import severity


def choose_method(*, kind: str, reference_n: int, current_n: int, spec: DriftSpec,
                  feature: FeatureSpec | None = None, constant_reference: bool = False) -> str:
    if feature is not None and feature.method is not None:
        return feature.method
    configured = spec.numeric_method if kind == "numeric" else spec.categorical_method
    if configured != "auto":
        return configured
    small = min(reference_n, current_n) <= spec.large_sample_rows
    if kind == "numeric":
        return "ks" if small or constant_reference else "wasserstein"
    return "chi2" if small else "js"


def strength_and_cuts(method: str, score: float, spec: DriftSpec) -> tuple[float, tuple[float, float, float]]:
    """Map a score and the method's thresholds onto one "larger is worse" scale."""
    cuts = spec.thresholds_for(method)
    if method in PVALUE_METHODS:
        return severity.strength_of_pvalue(score), (
            severity.strength_of_pvalue(cuts.moderate),
            severity.strength_of_pvalue(cuts.significant),
            severity.strength_of_pvalue(cuts.critical),
        )
    return score, (cuts.moderate, cuts.significant, cuts.critical)
