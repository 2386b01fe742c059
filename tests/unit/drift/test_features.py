"""Per-feature verdicts from the defaults: trustworthy at every sample size."""

import numpy as np
import pytest

from modelmon.api.drift import DriftSpec, FeatureSpec, Thresholds
from modelmon.drift import features, profile

SPEC = DriftSpec()

FAMILIES = {
    "normal": lambda r, n: r.normal(10, 2, n),
    "lognormal": lambda r, n: r.lognormal(0, 0.8, n),
    "uniform": lambda r, n: r.uniform(-1, 1, n),
    "exponential": lambda r, n: r.exponential(3, n),
    "poisson-integers": lambda r, n: r.poisson(6, n).astype(float),
    "bimodal": lambda r, n: np.where(r.random(n) < 0.3, r.normal(-2, 0.5, n), r.normal(2, 1, n)),
}


def judge(reference, current, spec=SPEC, feature=None):
    ref = profile.profile_numeric("x", np.asarray(reference, dtype=float), bins=spec.bins)
    return features.compare_numeric(ref, profile.sort_sample(np.asarray(current, dtype=float)), spec=spec,
                                    feature=feature)


@pytest.mark.parametrize("rows", [1_000, 10_000, 100_000, 1_000_000], ids=lambda n: f"{n}rows")
@pytest.mark.parametrize("family", FAMILIES, ids=list(FAMILIES))
def test_same_distribution_is_not_flagged_at_large_sizes_and_half_sd_always_is(family, rows):
    rng = np.random.default_rng(rows + len(family))
    reference, current = FAMILIES[family](rng, rows), FAMILIES[family](rng, rows)
    same = judge(reference, current)
    assert same.status == "judged"
    if rows >= 10_000:
        assert not same.drifted, same.reason
    shifted = judge(reference, current + 0.5 * reference.std())
    assert shifted.drifted, shifted.reason
    assert shifted.severity in ("moderate", "significant", "critical")


def test_auto_switches_from_test_to_effect_size_at_large_sample_rows():
    rng = np.random.default_rng(0)
    small = judge(rng.normal(size=1000), rng.normal(size=1000))
    large = judge(rng.normal(size=1001), rng.normal(size=5000))
    assert small.method == "ks" and small.pvalue is not None
    assert large.method == "wasserstein" and large.score == large.scores["wasserstein"]
    # the test p-value is reported whatever the method: it gates a distance's verdict
    assert large.pvalue == large.scores["ks_pvalue"]


def test_tiny_shift_on_huge_sample_is_significant_by_p_value_but_not_flagged():
    """The reason for effect sizes: KS's p-value calls a 0.02 sd shift "drift" at 10^6 rows."""
    rng = np.random.default_rng(5)
    reference, current = rng.normal(size=1_000_000), rng.normal(0.02, 1, size=1_000_000)
    by_pvalue = judge(reference, current, spec=DriftSpec(numeric_method="ks"))
    assert by_pvalue.pvalue < 1e-6 and by_pvalue.drifted
    assert not judge(reference, current).drifted


def test_score_grows_with_the_shift():
    rng = np.random.default_rng(2)
    reference, base = rng.normal(size=20_000), rng.normal(size=20_000)
    scores = [judge(reference, base + s).score for s in (0.0, 0.1, 0.3, 0.6, 1.2)]
    assert scores == sorted(scores)
    levels = [judge(reference, base + s).severity for s in (0.0, 0.15, 0.3, 0.6)]
    assert levels == ["stable", "moderate", "significant", "critical"]


def test_nan_never_hides_drift():
    rng = np.random.default_rng(3)
    reference = rng.normal(size=5000)
    current = rng.normal(1.0, 1, 5000)
    current[:3000] = np.nan
    current[3000:3010] = np.inf
    result = judge(reference, current)
    assert result.drifted
    assert result.quality.missing == 3000 and result.quality.non_finite == 10
    assert result.quality.missing_rate == pytest.approx(0.6)


def test_all_missing_is_insufficient_data_not_drift():
    result = judge(np.random.default_rng(0).normal(size=500), np.full(500, np.nan))
    assert result.status == "insufficientData" and not result.drifted
    assert "drift.minRows" in result.reason


def test_constant_reference_is_judged_by_ks():
    result = judge(np.ones(5000), np.concatenate([np.ones(2500), np.full(2500, 2.0)]))
    assert result.method == "ks" and result.drifted
    assert judge(np.ones(5000), np.ones(5000)).drifted is False


def test_configured_method_and_thresholds_are_used():
    rng = np.random.default_rng(4)
    reference, current = rng.normal(size=5000), rng.normal(0.3, 1, 5000)
    psi = judge(reference, current, spec=DriftSpec(numeric_method="psi"))
    assert psi.method == "psi" and psi.score == pytest.approx(psi.scores["psi"])
    lenient = DriftSpec(numeric_method="psi", thresholds={"psi": Thresholds(moderate=5, significant=6, critical=7)})
    assert not judge(reference, current, spec=lenient).drifted
    per_feature = judge(reference, current, feature=FeatureSpec(name="x", type="numeric", method="hellinger"))
    assert per_feature.method == "hellinger"


def test_every_statistic_comes_from_the_same_sort():
    rng = np.random.default_rng(6)
    result = judge(rng.normal(size=3000), rng.normal(0.5, 1, 3000))
    assert set(result.scores) >= {"ks_statistic", "ks_pvalue", "wasserstein", "psi", "kl", "js", "hellinger"}
    large = judge(rng.normal(size=200_000), rng.normal(size=200_000))
    assert "ks_pvalue" not in large.scores  # a binary search per value: only when KS judges


def categorical(reference_counts, current_counts, spec=SPEC, missing=0):
    ref = profile.profile_categorical("c", counts=reference_counts, missing=0)
    return features.compare_categorical(ref, counts=current_counts, missing=missing, spec=spec)


def test_categorical_small_samples_use_chi2_and_large_use_js():
    small = categorical({"a": 300, "b": 300}, {"a": 280, "b": 320})
    assert small.method == "chi2" and not small.drifted
    large = categorical({"a": 30_000, "b": 30_000}, {"a": 29_500, "b": 30_500})
    assert large.method == "js" and not large.drifted


def test_unseen_categories_count_as_drift_and_as_quality():
    result = categorical({"a": 5000, "b": 5000}, {"a": 3000, "b": 3000, "new": 4000})
    assert result.drifted
    assert result.quality.unseen_share == pytest.approx(0.4)
    assert result.quality.unseen_examples == ("new",)


def test_categorical_missing_values_are_counted_and_rest_judged():
    result = categorical({"a": 5000, "b": 5000}, {"a": 1000, "b": 4000}, missing=5000)
    assert result.drifted and result.quality.missing_rate == pytest.approx(0.5)


@pytest.mark.parametrize("shift", [0.12, 0.3, 1.0])
def test_large_columns_past_their_cut_are_gated_by_a_ks_bound_above_the_exact_p_value(shift):
    """Above 100k rows the binned ECDFs bound KS's D from below, so p(D_bins) bounds p from above:
    using it can only make a verdict more conservative."""
    from modelmon.stats import ecdf

    rng = np.random.default_rng(int(shift * 100))
    reference, current = rng.normal(size=150_000), rng.normal(shift, 1, 150_000)
    result = judge(reference, current)
    exact_statistic, exact_p = ecdf.ks_sorted(np.sort(reference), np.sort(current))
    assert result.scores["ks_statistic_bound"] <= exact_statistic
    assert result.pvalue == result.scores["ks_pvalue_bound"] >= exact_p
    assert result.drifted


def test_large_columns_below_their_cut_skip_ks():
    rng = np.random.default_rng(8)
    result = judge(rng.normal(size=150_000), rng.normal(size=150_000))
    assert result.pvalue is None and not result.drifted
    assert not {"ks_pvalue", "ks_pvalue_bound"} & set(result.scores)
