"""Every watched metric on one window against hand-computed references, with the counts
the significance test needs (no scikit-learn: each expected value is worked out here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelmon.performance.measures import measure


def labels(*values: object) -> np.ndarray:
    return np.asarray([None if v is None else str(v) for v in values], dtype=object)


# true:      1  1  0  0  1  0  1  0   (a missing row last: excluded)
# predicted: 1  0  1  0  1  0  0  0
# tp 2 (rows 1, 5), fp 1 (row 3), fn 2 (rows 2, 7), tn 3; correct 5 of 8
TRUE = labels(1, 1, 0, 0, 1, 0, 1, 0, None)
PRED = labels(1, 0, 1, 0, 1, 0, 0, 0, 1)


def test_accuracy_is_the_share_correct_with_its_counts():
    got = measure("accuracy", predictions=PRED, targets=TRUE, positive_label=None)
    assert (got.value, got.samples, got.trials, got.successes) == (5 / 8, 8, 8, 5)


def test_binary_precision_counts_predicted_positives():
    got = measure("precision", predictions=PRED, targets=TRUE, positive_label="1")
    assert got.value == pytest.approx(2 / 3)  # tp 2 of 3 predicted positives
    assert (got.trials, got.successes, got.samples) == (3, 2, 8)


def test_binary_recall_counts_actual_positives():
    got = measure("recall", predictions=PRED, targets=TRUE, positive_label="1")
    assert got.value == pytest.approx(2 / 4)  # tp 2 of 4 actual positives
    assert (got.trials, got.successes) == (4, 2)


def test_binary_f1_is_the_harmonic_mean_and_has_no_test():
    got = measure("f1", predictions=PRED, targets=TRUE, positive_label="1")
    p, r = 2 / 3, 1 / 2
    assert got.value == pytest.approx(2 * p * r / (p + r))  # 4/7
    assert got.trials is None and got.successes is None


def test_macro_averages_per_class_and_has_no_test():
    # class 0: tp 3 (rows 4, 6, 8), predicted 5, actual 4 -> P 3/5, R 3/4; class 1: P 2/3, R 1/2
    precision = measure("precision", predictions=PRED, targets=TRUE, positive_label=None)
    recall = measure("recall", predictions=PRED, targets=TRUE, positive_label=None)
    f1 = measure("f1", predictions=PRED, targets=TRUE, positive_label=None)
    assert precision.value == pytest.approx((3 / 5 + 2 / 3) / 2)
    assert recall.value == pytest.approx((3 / 4 + 1 / 2) / 2)
    f1_0, f1_1 = 2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4), 2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2)
    assert f1.value == pytest.approx((f1_0 + f1_1) / 2)
    assert precision.trials is None and recall.trials is None


@pytest.mark.parametrize("metric,why", [("precision", "never predicted"), ("recall", "never the true label")])
def test_precision_or_recall_without_positives_is_undefined_not_zero(metric, why):
    truth, predicted = labels(1, 0, 0, 0), labels(0, 0, 0, 0)
    if metric == "recall":
        truth, predicted = labels(0, 0, 0, 0), labels(1, 0, 0, 0)
    got = measure(metric, predictions=predicted, targets=truth, positive_label="1")
    assert got.value is None and why in got.reason


TRUE_NUMBERS = np.array([3.0, -1.0, 2.0, 0.5, np.nan])
PRED_NUMBERS = np.array([2.5, 1.0, 2.0, -0.5, 4.0])
# errors 0.5, 2.0, 0.0, 1.0 (the NaN target row is excluded)


def test_mae_and_rmse_by_hand():
    mae = measure("mae", predictions=PRED_NUMBERS, targets=TRUE_NUMBERS, positive_label=None)
    rmse = measure("rmse", predictions=PRED_NUMBERS, targets=TRUE_NUMBERS, positive_label=None)
    assert mae.value == pytest.approx(3.5 / 4) and mae.samples == 4
    assert rmse.value == pytest.approx(math.sqrt((0.25 + 4 + 0 + 1) / 4))
    assert mae.trials is None


def test_mape_by_hand():
    got = measure("mape", predictions=PRED_NUMBERS, targets=TRUE_NUMBERS, positive_label=None)
    assert got.value == pytest.approx((0.5 / 3 + 2 / 1 + 0 / 2 + 1 / 0.5) / 4)


def test_hit_rate_is_a_proportion_of_matching_signs():
    got = measure("hitRate", predictions=PRED_NUMBERS, targets=TRUE_NUMBERS, positive_label=None)
    # signs: (+,+) hit, (-,+) miss, (+,+) hit, (+,-) miss
    assert (got.value, got.trials, got.successes) == (0.5, 4, 2)


def test_mape_with_only_zero_targets_is_undefined():
    got = measure("mape", predictions=np.array([1.0, 2.0]), targets=np.array([0.0, 0.0]), positive_label=None)
    assert got.value is None and "y_true == 0" in got.reason
