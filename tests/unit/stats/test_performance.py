"""Performance metrics against hand-computed values, plain-Python references and properties."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmon.stats import performance

PAIR_METRICS: dict[str, Callable[..., performance.MetricResult]] = {
    "accuracy": performance.accuracy,
    "precision": performance.precision,
    "recall": performance.recall,
    "f1": performance.f1_score,
    "mae": performance.mean_absolute_error,
    "rmse": performance.root_mean_squared_error,
    "mape": performance.mean_absolute_percentage_error,
    "hit-rate": performance.hit_rate,
}
SERIES_METRICS: dict[str, Callable[..., performance.MetricResult]] = {
    "sharpe": performance.sharpe_ratio,
    "max-drawdown": performance.max_drawdown,
}
derandomized = settings(derandomize=True, max_examples=150, deadline=None)
finite = st.floats(-1e6, 1e6, allow_nan=False)


def reference_label_scores(
    y_true: Sequence[object], y_pred: Sequence[object], label: object
) -> tuple[float, float, float]:
    """Precision, recall, F1 of one label by counting in plain Python (zero_division=0)."""
    pairs = list(zip(y_true, y_pred))
    tp = sum(1 for t, p in pairs if t == label and p == label)
    predicted = sum(1 for _, p in pairs if p == label)
    actual = sum(1 for t, _ in pairs if t == label)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- shared input handling ------------------------------------------------------------------


@pytest.mark.parametrize("name", PAIR_METRICS)
def test_length_mismatch_names_both_arguments(name: str) -> None:
    with pytest.raises(ValueError, match=r"y_true has 3 rows, y_pred 2"):
        PAIR_METRICS[name]([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.mark.parametrize("name", PAIR_METRICS)
def test_two_dimensional_input_is_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="y_true must be one-dimensional"):
        PAIR_METRICS[name]([[1.0, 2.0]], [1.0, 2.0])


@pytest.mark.parametrize("name", PAIR_METRICS)
def test_empty_input_has_no_value_and_a_reason(name: str) -> None:
    result = PAIR_METRICS[name]([], [])
    assert (result.value, result.n, result.excluded, result.reason) == (None, 0, 0, "no rows")


@pytest.mark.parametrize("name", PAIR_METRICS)
def test_all_missing_rows_are_counted(name: str) -> None:
    result = PAIR_METRICS[name]([math.nan, 1.0], [1.0, math.nan])
    assert (result.value, result.n, result.excluded) == (None, 0, 2)
    assert result.reason == "no rows left after excluding 2 missing"


@pytest.mark.parametrize("name", SERIES_METRICS)
def test_series_metrics_reject_two_dimensional_returns(name: str) -> None:
    with pytest.raises(ValueError, match="returns must be one-dimensional"):
        SERIES_METRICS[name]([[0.1, 0.2]])


def test_numeric_metrics_name_non_numeric_input() -> None:
    with pytest.raises(ValueError, match="y_pred must hold numbers"):
        performance.mean_absolute_error([1.0], ["a"])


# --- classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_true", "y_pred", "value", "excluded"),
    [
        pytest.param([1, 0, 1, 1], [1, 0, 0, 1], 0.75, 0, id="ints"),
        pytest.param(["a", "b", "b", None], ["a", "b", "a", "a"], 2 / 3, 1, id="strings-with-none"),
        pytest.param([1.0, math.nan, 0.0], [1.0, 1.0, 1.0], 0.5, 1, id="floats-with-nan"),
        pytest.param([True, False], [1, 0], 1.0, 0, id="bools-against-ints"),
    ],
)
def test_accuracy_by_hand(
    y_true: list[object], y_pred: list[object], value: float, excluded: int
) -> None:
    result = performance.accuracy(y_true, y_pred)
    assert result.value == pytest.approx(value)
    assert result.excluded == excluded
    assert result.successes == round(value * result.n)


@derandomized
@given(st.lists(st.integers(0, 4), min_size=1, max_size=50))
def test_accuracy_of_identical_arrays_is_one(labels: list[int]) -> None:
    assert performance.accuracy(labels, labels).value == 1.0


def test_worked_example_binary_and_macro() -> None:
    y_true, y_pred = [1, 1, 0, 0, 1], [1, 0, 1, 0, 1]
    binary = performance.precision_recall_f1(y_true, y_pred)
    macro = performance.precision_recall_f1(y_true, y_pred, average="macro")
    for scores, expected in ((binary, 2 / 3), (macro, 7 / 12)):
        assert [s.value for s in scores] == pytest.approx([expected] * 3)
        assert all(s.n == 5 for s in scores)


def test_a_label_never_predicted_scores_zero_precision() -> None:
    # label 2 occurs in y_true only: precision 0 (never predicted) and recall 0.
    y_true, y_pred = [0, 1, 2, 2], [0, 1, 1, 0]
    macro_precision = performance.precision(y_true, y_pred, average="macro").value
    macro_recall = performance.recall(y_true, y_pred, average="macro").value
    assert macro_precision == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert macro_recall == pytest.approx((1 + 1 + 0) / 3)
    assert performance.f1_score(y_true, y_pred, positive_label=2).value == 0.0


def test_a_label_only_predicted_counts_in_the_macro_average() -> None:
    # label 9 is only predicted: precision 0, recall 0 (absent from y_true), and it is averaged in.
    scores = performance.precision_recall_f1([0, 0], [0, 9], average="macro")
    assert [s.value for s in scores] == pytest.approx([0.5, 0.25, (2 / 3) / 2])


def test_binary_with_string_labels_and_missing_rows() -> None:
    y_true = ["spam", "ham", "spam", None, "spam"]
    y_pred = ["spam", "spam", "ham", "spam", "spam"]
    scores = performance.precision_recall_f1(y_true, y_pred, positive_label="spam")
    assert [s.value for s in scores] == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert scores.precision.excluded == 1


def test_positive_label_in_neither_array_is_reported_not_scored() -> None:
    result = performance.precision(["yes", "no"], ["no", "no"], positive_label=1)
    assert result.value is None and result.reason == "positive label 1 in neither array"


def test_unknown_average_is_rejected() -> None:
    with pytest.raises(ValueError, match="average"):
        performance.precision_recall_f1([1], [1], average="micro")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed={s}")
@pytest.mark.parametrize("average", ["binary", "macro"])
def test_matches_a_plain_python_reference(seed: int, average: performance.Average) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, size=200).tolist()
    y_pred = [t if rng.random() < 0.6 else int(rng.integers(0, 5)) for t in y_true]
    labels = sorted(set(y_true) | set(y_pred)) if average == "macro" else [1]
    expected = np.mean([reference_label_scores(y_true, y_pred, label) for label in labels], axis=0)
    scores = performance.precision_recall_f1(y_true, y_pred, average=average)
    assert [s.value for s in scores] == pytest.approx(expected.tolist(), rel=1e-12)


@derandomized
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=60))
def test_binary_f1_is_the_harmonic_mean_of_precision_and_recall(
    rows: list[tuple[int, int]],
) -> None:
    y_true, y_pred = zip(*rows)
    scores = performance.precision_recall_f1(list(y_true), list(y_pred))
    if scores.f1.value is None:
        assert 1 not in y_true and 1 not in y_pred
        return
    p, r = scores.precision.value, scores.recall.value
    assert p is not None and r is not None
    assert scores.f1.value == pytest.approx(statistics.harmonic_mean([p, r]) if p and r else 0.0)


# --- regression -----------------------------------------------------------------------------


def test_mae_and_rmse_by_hand() -> None:
    assert performance.mean_absolute_error([1, 2, 3], [2, 2, 5]).value == pytest.approx(1.0)
    rmse = performance.root_mean_squared_error([1, 2, 3], [2, 2, 5]).value
    assert rmse == pytest.approx(math.sqrt(5 / 3))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "minus-inf"])
def test_non_finite_rows_are_excluded_and_counted(bad: float) -> None:
    result = performance.mean_absolute_error([1.0, bad, 3.0], [2.0, 0.0, 3.0])
    assert (result.value, result.n, result.excluded) == (0.5, 2, 1)


@derandomized
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=40))
def test_rmse_is_never_below_mae(rows: list[tuple[float, float]]) -> None:
    y_true, y_pred = zip(*rows)
    mae = performance.mean_absolute_error(y_true, y_pred).value
    rmse = performance.root_mean_squared_error(y_true, y_pred).value
    assert mae is not None and rmse is not None
    assert rmse >= mae * (1 - 1e-12)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "value", "n", "zeros", "excluded"),
    [
        pytest.param([100, 0, 50], [110, 3, 40], 0.15, 2, 1, 0, id="docstring-example"),
        pytest.param([-4, 2], [-2, 3], 0.5, 2, 0, 0, id="negative-target"),
        pytest.param([10, math.nan, 0], [11, 1, 1], 0.1, 1, 1, 1, id="nan-and-zero"),
    ],
)
def test_mape_by_hand(y_true: list[float], y_pred: list[float], value: float, n: int, zeros: int,
                      excluded: int) -> None:
    result = performance.mean_absolute_percentage_error(y_true, y_pred)
    assert result.value == pytest.approx(value)
    assert (result.n, result.excluded_zero_target, result.excluded) == (n, zeros, excluded)


def test_mape_with_only_zero_targets_says_so() -> None:
    result = performance.mean_absolute_percentage_error([0, 0, 0], [1, 2, 3])
    assert result.value is None and result.excluded_zero_target == 3
    assert result.reason == "all 3 usable rows have y_true == 0"


@pytest.mark.parametrize(
    ("y_true", "y_pred", "value"),
    [
        pytest.param([0.5, -0.2, 0.1, 0.0], [1.0, 0.3, 0.2, 0.0], 0.75, id="docstring-example"),
        pytest.param([0.0, 0.0], [0.1, -0.1], 0.0, id="zero-target-missed-by-any-move"),
        pytest.param([0.1, -0.1], [0.0, 0.0], 0.0, id="zero-prediction-misses-a-move"),
        pytest.param([3.0, -2.0], [1e-9, -5.0], 1.0, id="magnitude-is-ignored"),
    ],
)
def test_hit_rate_by_hand(y_true: list[float], y_pred: list[float], value: float) -> None:
    assert performance.hit_rate(y_true, y_pred).value == pytest.approx(value)


# --- returns series -------------------------------------------------------------------------


def test_sharpe_worked_example() -> None:
    returns = [0.01, 0.03, -0.01, 0.01]
    expected = statistics.mean(returns) / statistics.stdev(returns)
    assert performance.sharpe_ratio(returns).value == pytest.approx(expected)
    assert expected == pytest.approx(0.6124, abs=1e-4)
    annual = performance.sharpe_ratio(returns, periods_per_year=252).value
    assert annual == pytest.approx(expected * math.sqrt(252))


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed={s}")
@pytest.mark.parametrize("scale", [1e-4, 3.0, 1e5], ids=lambda c: f"x{c:g}")
def test_sharpe_is_invariant_to_positive_scaling(seed: int, scale: float) -> None:
    returns = np.random.default_rng(seed).normal(0.001, 0.02, size=250)
    base = performance.sharpe_ratio(returns).value
    assert base == pytest.approx(statistics.mean(returns) / statistics.stdev(returns), rel=1e-9)
    assert performance.sharpe_ratio(returns * scale).value == pytest.approx(base, rel=1e-9)


@pytest.mark.parametrize(
    ("returns", "reason"),
    [
        pytest.param([], "0 return(s), need 2", id="empty"),
        pytest.param([0.01], "1 return(s), need 2", id="single"),
        pytest.param([0.1, math.nan], "1 return(s), need 2", id="single-after-nan"),
        pytest.param([0.1] * 30, "all returns equal: std 0", id="constant-with-rounding-noise"),
    ],
)
def test_sharpe_is_none_when_undefined(returns: list[float], reason: str) -> None:
    result = performance.sharpe_ratio(returns)
    assert result.value is None and result.reason == reason


def test_sharpe_rejects_a_non_positive_annualisation() -> None:
    with pytest.raises(ValueError, match="periods_per_year"):
        performance.sharpe_ratio([0.1, 0.2], periods_per_year=0)


def reference_drawdown(returns: Sequence[float]) -> float:
    equity, peak, worst = 1.0, 1.0, 0.0
    for r in returns:
        equity *= 1 + r
        peak = max(peak, equity)
        worst = max(worst, (peak - equity) / peak)
    return worst


@pytest.mark.parametrize(
    ("returns", "value"),
    [
        pytest.param([0.1, -0.5, 0.2], 0.5, id="docstring-example"),
        pytest.param([-0.2, 0.1], 0.2, id="first-period-loss-counts"),
        pytest.param([0.1, -1.0, 0.5], 1.0, id="total-loss"),
        pytest.param([0.1, math.nan, -0.1], 0.1, id="nan-skipped"),
        pytest.param([-0.1, -0.1], 0.19, id="compounded"),
    ],
)
def test_max_drawdown_by_hand(returns: list[float], value: float) -> None:
    assert performance.max_drawdown(returns).value == pytest.approx(value)


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed={s}")
def test_max_drawdown_matches_a_loop(seed: int) -> None:
    returns = np.random.default_rng(seed).normal(0.0, 0.03, size=500)
    expected = reference_drawdown(returns.tolist())
    assert performance.max_drawdown(returns).value == pytest.approx(expected)


@derandomized
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=50))
def test_max_drawdown_of_a_rising_curve_is_zero(returns: list[float]) -> None:
    assert performance.max_drawdown(returns).value == 0.0


def test_max_drawdown_below_total_loss_is_reported() -> None:
    result = performance.max_drawdown([0.1, -1.5])
    assert result.value is None and result.reason == "a return is below -1 (negative equity)"


def test_max_drawdown_of_nothing() -> None:
    result = performance.max_drawdown([math.nan])
    assert (result.value, result.excluded) == (None, 1)
