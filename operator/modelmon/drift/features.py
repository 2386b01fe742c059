"""Per-feature drift: one current column against its reference profile.

Every statistic of a numeric feature comes from one sort of the current column:
Wasserstein from the two sorted samples' quantile functions, KS from binary searches of
the sorted reference, the binned divergences from binary searches of the reference's
quantile edges. The chosen method decides the verdict;
the others are reported alongside.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from modelmon.api.drift import PVALUE_METHODS, DriftSpec, FeatureSpec
from modelmon.drift import methods
from modelmon.drift.profile import CategoricalProfile, NumericProfile, SortedSample
from modelmon.drift.results import ColumnQuality, FeatureDrift
from modelmon.stats import binning, chisquare, divergence, ecdf, severity

UNSEEN = "__unseen__"
# KS costs a binary search per current value; beyond this size it is computed only when
# it is the judging method (the other statistics come from the sort almost for free).
KS_ALWAYS_MAX_ROWS = 100_000


def _verdict(*, name: str, kind: str, method: str, scores: dict[str, float], spec: DriftSpec,
             reference_rows: int, current_rows: int, quality: ColumnQuality, pvalue: float | None) -> FeatureDrift:
    judged = FeatureDrift(
        name=name, kind=kind, status="judged", method=method,  # type: ignore[arg-type]
        score=scores[method], pvalue=pvalue, adjusted_pvalue=pvalue, severity="stable", severity_score=0.0,
        drifted=False, reason="", reference_rows=reference_rows, current_rows=current_rows,
        scores=scores, quality=quality,
    )
    return rejudge(judged, adjusted_pvalue=pvalue, family=1, spec=spec)


def gate_level(kind: str, spec: DriftSpec) -> float:
    """The level a feature's test must reach, as an adjusted p-value: the moderate cut of ks
    (numeric) or chi2 (categorical)."""
    return spec.thresholds_for("ks" if kind == "numeric" else "chi2").moderate


def rejudge(feature: FeatureDrift, *, adjusted_pvalue: float | None, family: int, spec: DriftSpec) -> FeatureDrift:
    """Severity and drift of a judged feature given its test's p-value adjusted over a family.

    - ks, chi2: the adjusted p-value is placed against the method's cut points.
    - distances: the score is placed against the cut points, and a level from moderate up
      stands only when the shift is also significant (adjusted p-value at most
      ``gate_level``); otherwise the feature is stable: a large-looking distance that chance
      explains (many categories, heavy tails, a few hundred rows) is not drift.
    """
    if feature.status != "judged" or feature.method is None or feature.score is None:
        return feature
    method, score = feature.method, feature.score
    tested = method in PVALUE_METHODS
    strength, cuts = methods.strength_and_cuts(method, adjusted_pvalue if tested and adjusted_pvalue is not None
                                               else score, spec)
    level = severity.classify(strength, cuts=cuts)
    shown = _shown(method, score, adjusted_pvalue, family=family)
    gate = gate_level(feature.kind, spec)
    if not tested and level >= severity.Severity.MODERATE and (adjusted_pvalue is None or adjusted_pvalue > gate):
        why = (f"{shown}: stable; as large as chance makes it "
               f"({_p_words(adjusted_pvalue, family)} > {gate:g})")
        return dataclasses.replace(feature, adjusted_pvalue=adjusted_pvalue, severity="stable",
                                   severity_score=round(min(severity.score_0_100(strength, cuts=cuts), 24.0), 1),
                                   drifted=False, reason=why)
    return dataclasses.replace(
        feature, adjusted_pvalue=adjusted_pvalue, severity=level.label,
        severity_score=round(severity.score_0_100(strength, cuts=cuts), 1),
        drifted=level >= severity.Severity.MODERATE, reason=f"{shown}: {level.label}")


def _shown(method: str, score: float, adjusted: float | None, *, family: int) -> str:
    if method in PVALUE_METHODS:
        text = f"p={score:.3g}"
        if family > 1 and adjusted is not None:
            text += f" (adjusted {adjusted:.3g} over {family} features)"
        return text
    return f"{method}={score:.4g}"


def _p_words(pvalue: float | None, family: int) -> str:
    if pvalue is None:
        return "untested"
    return f"p={pvalue:.3g}" + (f" adjusted over {family} features" if family > 1 else "")


def not_judged(*, name: str, kind: str, status: str, reason: str, reference_rows: int,
               current_rows: int, quality: ColumnQuality | None = None) -> FeatureDrift:
    """A feature that cannot be judged: reported as unknown, never as drift."""
    return FeatureDrift(
        name=name, kind=kind, status=status, method=None, score=None, pvalue=None,  # type: ignore[arg-type]
        severity="unknown", severity_score=0.0, drifted=False, reason=reason,
        reference_rows=reference_rows, current_rows=current_rows, quality=quality,
    )


def compare_numeric(reference: NumericProfile, current: SortedSample, *, spec: DriftSpec,
                    feature: FeatureSpec | None = None) -> FeatureDrift:
    ref, cur = reference.sample.finite, current.finite
    quality = numeric_quality(reference, current)
    if min(ref.size, cur.size) < spec.min_rows:
        return not_judged(
            name=reference.name, kind="numeric", status="insufficientData",
            reason=(f"{ref.size} valid reference and {cur.size} valid current values; "
                    f"at least {spec.min_rows} needed on each side (drift.minRows)"),
            reference_rows=reference.sample.rows, current_rows=current.rows, quality=quality)
    scale = ecdf.robust_scale(ref)
    method = methods.choose_method(kind="numeric", reference_n=ref.size, current_n=cur.size, spec=spec,
                                   feature=feature, constant_reference=not math.isfinite(scale))
    current_counts = binning.counts_in_bins(cur, edges=reference.edges)
    raw_wasserstein, trimmed_wasserstein = ecdf.wasserstein_and_trimmed(ref, cur)
    scores = {
        "wasserstein": ecdf.normalised_wasserstein(trimmed_wasserstein, reference_std=scale),
        "wasserstein_raw": raw_wasserstein,
        "scale": scale,
        "psi": divergence.psi(reference.bin_counts, current_counts),
        "kl": divergence.kl_divergence(reference.bin_counts, current_counts),
        "js": divergence.js_distance_debiased(reference.bin_counts, current_counts),
        "js_plugin": divergence.js_distance(reference.bin_counts, current_counts),
        "hellinger": divergence.hellinger(reference.bin_counts, current_counts),
    }
    if method == "wasserstein" and math.isnan(scores["wasserstein"]):
        method = "ks"
    pvalue: float | None = None
    if method == "ks" or max(ref.size, cur.size) <= KS_ALWAYS_MAX_ROWS:
        statistic, pvalue = ecdf.ks_sorted(ref, cur)
        scores.update(ks=pvalue, ks_statistic=statistic, ks_pvalue=pvalue)
    elif _may_drift(method, scores, spec):
        pvalue = _ks_pvalue_bound(reference, current_counts, current_n=cur.size, scores=scores)
        if pvalue is None:
            statistic, pvalue = ecdf.ks_sorted(ref, cur)
            scores.update(ks_statistic=statistic, ks_pvalue=pvalue)
    return _verdict(name=reference.name, kind="numeric", method=method, scores=scores, spec=spec,
                    reference_rows=reference.sample.rows, current_rows=current.rows, quality=quality,
                    pvalue=pvalue)


def _ks_pvalue_bound(reference: NumericProfile, current_counts: np.ndarray, *, current_n: int,
                     scores: dict[str, float]) -> float | None:
    """The KS p-value of a large column whose distance already reached its cut, as cheaply as it
    can be trusted.

    The two ECDFs at the reference's bin edges are known from the bin counts, so
    ``D_bins = max_k |F(e_k-) - G(e_k-)|`` is a lower bound of the KS statistic at no cost, and,
    the p-value falling with D, ``p(D_bins)`` an upper bound of the KS p-value. When that bound
    is already below 1e-12 -- significant after any adjustment over up to 10^9 features -- it is
    the p-value reported (``ks_pvalue_bound``) and the binary search of every current value
    (three times the cost of sorting it) is saved; otherwise None: compute the exact KS.
    """
    ref = reference.sample.finite
    below_ref = np.cumsum(reference.bin_counts)[:-1] / ref.size
    below_cur = np.cumsum(current_counts)[:-1] / current_n
    bound_statistic = float(np.max(np.abs(below_ref - below_cur))) if below_ref.size else 0.0
    bound = ecdf.ks_asymptotic_pvalue(bound_statistic, reference_n=ref.size, current_n=current_n)
    if bound < 1e-12:
        scores.update(ks_statistic_bound=bound_statistic, ks_pvalue_bound=bound)
        return bound
    return None


def _may_drift(method: str, scores: dict[str, float], spec: DriftSpec) -> bool:
    """Whether a distance reaches its moderate cut, so that its significance must be tested
    (below it the feature is stable whatever the test says, and KS's binary searches are saved)."""
    score = scores.get(method, float("nan"))
    return method not in PVALUE_METHODS and not math.isnan(score) and score >= spec.thresholds_for(method).moderate


def numeric_quality(reference: NumericProfile, current: SortedSample) -> ColumnQuality:
    cur = current.finite
    outside = None
    if cur.size and reference.sample.finite.size:
        below = int(np.searchsorted(cur, reference.minimum, side="left"))
        above = int(cur.size - np.searchsorted(cur, reference.maximum, side="right"))
        outside = (below + above) / cur.size
    return ColumnQuality(
        rows=current.rows, missing=current.missing,
        missing_rate=_rate(current.missing, current.rows),
        reference_missing_rate=_rate(reference.sample.missing, reference.sample.rows),
        non_finite=current.non_finite,
        reference_non_finite_rate=_rate(reference.sample.non_finite, reference.sample.rows),
        out_of_range_share=outside,
        constant=bool(cur.size > 1 and cur[0] == cur[-1]),
    )


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def compare_categorical(reference: CategoricalProfile, *, counts: dict[str, int], missing: int,
                        spec: DriftSpec, feature: FeatureSpec | None = None) -> FeatureDrift:
    """Compare category counts over the union of the categories of both samples.

    Each category the reference never had is a column of its own (reference count 0), not one
    "unseen" bucket: two samples of one distribution with many categories do not share all of
    them (1,000 categories on 1,001 rows leave ~37 % of the mass unseen on the other side), and
    only as separate columns do those chance absences pool with the reference's own rare
    categories (``chisquare.pool_sparse``). A new category with a real share keeps its column
    and its full weight in every statistic.
    """
    categories = list(reference.counts)
    unseen = {c: n for c, n in counts.items() if c not in reference.counts and n}
    ref_counts = np.array([reference.counts[c] for c in categories] + [0] * len(unseen), dtype=np.int64)
    cur_counts = np.array([counts.get(c, 0) for c in categories] + list(unseen.values()), dtype=np.int64)
    ref_n, cur_n = int(ref_counts.sum()), int(cur_counts.sum())
    singletons = sum(1 for n in reference.counts.values() if n == 1)
    quality = ColumnQuality(
        rows=cur_n + missing, missing=missing, missing_rate=_rate(missing, cur_n + missing),
        reference_missing_rate=_rate(reference.missing, reference.rows),
        unseen_share=_rate(sum(unseen.values()), cur_n) if cur_n else None,
        expected_unseen_share=_rate(singletons, ref_n),
        unseen_examples=tuple(sorted(unseen, key=lambda c: -unseen[c])[:5]),
        constant=len([n for n in counts.values() if n]) == 1 and cur_n > 1,
    )
    if min(ref_n, cur_n) < spec.min_rows:
        return not_judged(
            name=reference.name, kind="categorical", status="insufficientData",
            reason=(f"{ref_n} valid reference and {cur_n} valid current values; "
                    f"at least {spec.min_rows} needed on each side (drift.minRows)"),
            reference_rows=reference.rows, current_rows=cur_n + missing, quality=quality)
    pooled_ref, pooled_cur = chisquare.pool_sparse(ref_counts, cur_counts)
    tested = chisquare.chi_square_homogeneity(pooled_ref, pooled_cur)
    scores = {
        "chi2": tested.pvalue,
        "chi2_statistic": tested.statistic,
        "chi2_pvalue": tested.pvalue,
        "chi2_dof": float(tested.dof),
        "psi": divergence.psi(ref_counts, cur_counts),
        "kl": divergence.kl_divergence(ref_counts, cur_counts),
        "js": divergence.js_distance_debiased(pooled_ref, pooled_cur),
        "js_plugin": divergence.js_distance(ref_counts, cur_counts),
        "hellinger": divergence.hellinger(ref_counts, cur_counts),
    }
    method = methods.choose_method(kind="categorical", reference_n=ref_n, current_n=cur_n, spec=spec, feature=feature)
    if method not in scores or method in ("ks", "wasserstein"):
        return not_judged(name=reference.name, kind="categorical", status="typeMismatch",
                          reason=f"method {method} needs a numeric feature; use chi2, psi, js, kl or hellinger",
                          reference_rows=reference.rows, current_rows=cur_n + missing, quality=quality)
    return _verdict(name=reference.name, kind="categorical", method=method, scores=scores, spec=spec,
                    reference_rows=reference.rows, current_rows=cur_n + missing, quality=quality,
                    pvalue=tested.pvalue)
