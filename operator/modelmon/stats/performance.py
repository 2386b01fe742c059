"""Performance metrics of a model on the current window, on plain numpy arrays.

The performance check compares these with the backtest baseline, so every metric states
its convention, and a metric that cannot be computed says so (``value`` None and a
``reason``) instead of returning a number that looks like a measurement.

Shared conventions:

- Inputs are one-dimensional and of equal length, else ``ValueError`` naming the
  arguments. Empty input gives ``value`` None with a reason.
- Missing rows are dropped and counted in ``excluded``: for labels, None or NaN in either
  array; for numbers, NaN or +-inf in either array (one infinite error or return would
  swallow every other row). ``n`` counts the rows the value is computed from.
- Fractions, not percentages: accuracy 0.9, MAPE 0.05 (5 %), drawdown 0.2 (20 %).
- Precision, recall and F1 follow scikit-learn with ``zero_division=0``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, Self

import numpy as np
import numpy.typing as npt

Average = Literal["binary", "macro"]
FloatArray = npt.NDArray[np.float64]
AnyArray = npt.NDArray[Any]
BoolArray = npt.NDArray[np.bool_]
_Counts = tuple[FloatArray, FloatArray, FloatArray]
Labels = npt.ArrayLike | Sequence[object]  # label lists may hold None for missing


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricResult:
    """A metric's value over ``n`` usable rows; ``reason`` explains a None ``value``."""

    value: float | None
    n: int
    excluded: int = 0
    reason: str | None = None

    @classmethod
    def unavailable(cls, reason: str, *, n: int = 0, excluded: int = 0, **extra: int) -> Self:
        """A result without a value, saying why."""
        return cls(value=None, n=n, excluded=excluded, reason=reason, **extra)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RateResult(MetricResult):
    """A share of rows, ``value = successes / n``: feeds ``proportions.one_proportion_ztest``."""

    successes: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class MapeResult(MetricResult):
    """MAPE, counting apart the rows left out because their target was zero."""

    excluded_zero_target: int = 0


class PrecisionRecallF1(NamedTuple):
    """Precision, recall and F1 of one call, over the same rows: all None or none."""

    precision: MetricResult
    recall: MetricResult
    f1: MetricResult


def accuracy(y_true: Labels, y_pred: Labels) -> RateResult:
    """Share of rows whose predicted label equals the true label: ``#(y_pred == y_true) / n``.

    >>> accuracy(["a", "b", "b", None], ["a", "b", "a", "a"])
    RateResult(value=0.6666666666666666, n=3, excluded=1, reason=None, successes=2)
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=False)
    return _rate(true_arr == pred_arr, excluded=excluded)


def precision_recall_f1(
    y_true: Labels, y_pred: Labels, *, average: Average = "binary",
    positive_label: object = 1,
) -> PrecisionRecallF1:
    """Precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)`` and F1 ``2 P R / (P + R)``.

    ``average="binary"``: one-vs-rest for ``positive_label``; every other label is negative.
    If the positive label occurs in neither array, all three are None with a reason (most
    likely a misconfigured label, not a score of 0).

    ``average="macro"``: the unweighted mean, over the labels present in ``y_true`` or
    ``y_pred``, of each label's precision, recall and F1. Macro F1 is the mean of per-label
    F1s (scikit-learn's definition), not the harmonic mean of macro precision and recall.

    Zero denominators score 0, as scikit-learn's ``zero_division=0``: a label never
    predicted has precision 0, a label absent from ``y_true`` has recall 0, and F1 is 0
    when precision and recall are both 0.

    Worked example, binary, positive 1: true (1, 1, 0, 0, 1), predicted (1, 0, 1, 0, 1):
    tp 2, fp 1, fn 1, so P = R = F1 = 2/3. Macro over labels {0, 1}: label 0 has tp 1,
    fp 1, fn 1, so P = R = F1 = 1/2, and each macro value is (2/3 + 1/2) / 2 = 7/12.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=False)
    n = true_arr.size
    if average == "binary":
        tp, predicted, actual = _binary_counts(true_arr, pred_arr, positive_label=positive_label)
        missing_label = n > 0 and actual[0] == 0 and predicted[0] == 0
    elif average == "macro":
        (tp, predicted, actual), missing_label = _label_counts(true_arr, pred_arr), False
    else:
        raise ValueError(f"average must be 'binary' or 'macro', got {average!r}")
    if n == 0 or missing_label:
        reason = f"positive label {positive_label!r} in neither array" if n else _no_rows(excluded)
        return PrecisionRecallF1(*(MetricResult.unavailable(reason, n=n, excluded=excluded),) * 3)
    per_precision, per_recall = _safe_ratio(tp, predicted), _safe_ratio(tp, actual)
    per_f1 = _safe_ratio(2.0 * per_precision * per_recall, per_precision + per_recall)
    means = (float(scores.mean()) for scores in (per_precision, per_recall, per_f1))
    return PrecisionRecallF1(*(MetricResult(value=mean, n=n, excluded=excluded) for mean in means))


def precision(y_true: Labels, y_pred: Labels, *, average: Average = "binary",
              positive_label: object = 1) -> MetricResult:
    """Precision; conventions and worked example in :func:`precision_recall_f1`."""
    scores = precision_recall_f1(y_true, y_pred, average=average, positive_label=positive_label)
    return scores.precision


def recall(y_true: Labels, y_pred: Labels, *, average: Average = "binary",
           positive_label: object = 1) -> MetricResult:
    """Recall; conventions and worked example in :func:`precision_recall_f1`."""
    scores = precision_recall_f1(y_true, y_pred, average=average, positive_label=positive_label)
    return scores.recall


def f1_score(y_true: Labels, y_pred: Labels, *, average: Average = "binary",
             positive_label: object = 1) -> MetricResult:
    """F1; conventions and worked example in :func:`precision_recall_f1`."""
    scores = precision_recall_f1(y_true, y_pred, average=average, positive_label=positive_label)
    return scores.f1


def mean_absolute_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> MetricResult:
    """``MAE = mean(|y_pred - y_true|)``. Example: true (1, 2, 3), predicted (2, 2, 5): MAE 1.0."""
    return _mean_error(y_true, y_pred, power=1)


def root_mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> MetricResult:
    """``RMSE = sqrt(mean((y_pred - y_true)^2))``, never below MAE.

    Example: true (1, 2, 3), predicted (2, 2, 5): squares 1, 0, 4, RMSE sqrt(5/3) = 1.291.
    """
    return _mean_error(y_true, y_pred, power=2)


def mean_absolute_percentage_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> MapeResult:
    """``MAPE = mean(|y_pred - y_true| / |y_true|)``, a fraction (0.05 is 5 %).

    Rows with ``y_true == 0`` have no relative error: they are left out and counted in
    ``excluded_zero_target`` (missing rows stay in ``excluded``); None when no row remains.
    Example: true (100, 0, 50), predicted (110, 3, 40): the zero row is left out, relative
    errors 0.1 and 0.2, MAPE 0.15 over n = 2.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    nonzero = true_arr != 0.0
    zeros = int(nonzero.size - nonzero.sum())
    if not nonzero.any():
        reason = f"all {zeros} usable rows have y_true == 0" if zeros else _no_rows(excluded)
        return MapeResult.unavailable(reason, excluded=excluded, excluded_zero_target=zeros)
    relative = np.abs(pred_arr[nonzero] - true_arr[nonzero]) / np.abs(true_arr[nonzero])
    return MapeResult(value=float(np.mean(relative)), n=int(nonzero.sum()), excluded=excluded,
                      excluded_zero_target=zeros)


def hit_rate(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> RateResult:
    """Directional accuracy: the share of rows with ``sign(y_pred) == sign(y_true)``.

    Zero is a sign of its own (``numpy.sign(0) == 0``): a zero prediction hits only a zero
    target and a zero target is hit only by a zero prediction; no row is dropped for being
    zero. Example: true (0.5, -0.2, 0.1, 0.0), predicted (1.0, 0.3, 0.2, 0.0): rows 1, 3
    and 4 hit, hit rate 0.75.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    return _rate(np.sign(true_arr) == np.sign(pred_arr), excluded=excluded)


def sharpe_ratio(returns: npt.ArrayLike, *, periods_per_year: float | None = None) -> MetricResult:
    """``Sharpe = mean(r) / std(r, ddof=1)``, times ``sqrt(periods_per_year)`` when given.

    ``returns`` are per-period excess returns (subtract any risk-free rate first). None
    with a reason for fewer than 2 values or when all are equal (zero std, tested exactly
    so that rounding noise cannot make a huge ratio). Invariant to scaling the returns by a
    positive constant. Example: returns (0.01, 0.03, -0.01, 0.01): mean 0.01, std 0.01633,
    Sharpe 0.6124; with 252 periods a year, 0.6124 * sqrt(252) = 9.72.
    """
    if periods_per_year is not None and not periods_per_year > 0:
        raise ValueError(f"periods_per_year must be positive, got {periods_per_year!r}")
    values, excluded = _returns(returns)
    if values.size < 2 or np.all(values == values[0]):
        enough = values.size > 1
        reason = "all returns equal: std 0" if enough else f"{values.size} return(s), need 2"
        return MetricResult.unavailable(reason, n=values.size, excluded=excluded)
    ratio = float(np.mean(values) / np.std(values, ddof=1))
    scale = 1.0 if periods_per_year is None else math.sqrt(periods_per_year)
    return MetricResult(value=ratio * scale, n=values.size, excluded=excluded)


def max_drawdown(returns: npt.ArrayLike) -> MetricResult:
    """Largest peak-to-trough fall of the equity curve ``cumprod(1 + r)``, a positive fraction.

    The curve starts at 1 before the first return, so a first-period loss counts;
    ``drawdown_t = 1 - equity_t / max(equity_0..t)`` and the result is its maximum (0 for a
    curve that never falls, 1 for a total loss). Missing returns are skipped, which for
    compounding equals a return of 0. A return below -1 (more than a total loss) gives
    None with a reason. Example: returns (0.1, -0.5, 0.2): equity 1, 1.1, 0.55, 0.66; the
    worst fall is from 1.1 to 0.55, drawdown 0.5.
    """
    values, excluded = _returns(returns)
    if values.size == 0 or np.any(values < -1.0):
        reason = "a return is below -1 (negative equity)" if values.size else _no_rows(excluded)
        return MetricResult.unavailable(reason, n=values.size, excluded=excluded)
    equity = np.concatenate([[1.0], np.cumprod(1.0 + values)])
    peaks = np.maximum.accumulate(equity)  # >= 1 everywhere: the division is safe
    return MetricResult(value=float(np.max(1.0 - equity / peaks)), n=values.size, excluded=excluded)


def _paired(
    y_true: Labels, y_pred: Labels, *, numeric: bool
) -> tuple[AnyArray, AnyArray, int]:
    """Both arrays, checked 1-D and of equal length, minus missing rows; and how many went."""
    true_arr = _one_dimensional(y_true, name="y_true", numeric=numeric)
    pred_arr = _one_dimensional(y_pred, name="y_pred", numeric=numeric)
    if true_arr.shape != pred_arr.shape:
        sizes = f"y_true has {true_arr.size} rows, y_pred {pred_arr.size}"
        raise ValueError(f"{sizes}: they must have the same length")
    keep = ~(_missing(true_arr) | _missing(pred_arr))
    return true_arr[keep], pred_arr[keep], int(keep.size - keep.sum())


def _returns(returns: npt.ArrayLike) -> tuple[FloatArray, int]:
    array = _one_dimensional(returns, name="returns", numeric=True)
    keep = np.isfinite(array)
    return array[keep], int(keep.size - keep.sum())


def _one_dimensional(values: Labels, *, name: str, numeric: bool) -> AnyArray:
    try:
        array = np.asarray(values, dtype=np.float64) if numeric else np.asarray(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must hold numbers: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _missing(array: AnyArray) -> BoolArray:
    """NaN/inf for floats, None or float NaN for objects, nothing for ints and strings."""
    if array.dtype.kind in "fc":
        return ~np.isfinite(array)
    if array.dtype.kind == "O":
        flags = (v is None or (isinstance(v, float) and math.isnan(v)) for v in array)
        return np.fromiter(flags, dtype=bool, count=array.size)
    return np.zeros(array.shape, dtype=bool)


def _no_rows(excluded: int) -> str:
    return f"no rows left after excluding {excluded} missing" if excluded else "no rows"


def _rate(hits: BoolArray, *, excluded: int) -> RateResult:
    if hits.size == 0:
        return RateResult.unavailable(_no_rows(excluded), excluded=excluded)
    successes, n = int(hits.sum()), hits.size
    return RateResult(value=successes / n, n=n, excluded=excluded, successes=successes)


def _mean_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, power: int) -> MetricResult:
    """``mean(|error| ** power) ** (1 / power)`` over the usable rows."""
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    if true_arr.size == 0:
        return MetricResult.unavailable(_no_rows(excluded), excluded=excluded)
    errors = np.abs(pred_arr - true_arr)
    scale = float(errors.max())  # dividing by it first keeps squares from under/overflowing
    if scale == 0.0 or math.isinf(scale):
        return MetricResult(value=scale, n=true_arr.size, excluded=excluded)
    value = scale * float(np.mean((errors / scale) ** power)) ** (1.0 / power)
    return MetricResult(value=value, n=true_arr.size, excluded=excluded)


def _binary_counts(true_arr: AnyArray, pred_arr: AnyArray, *, positive_label: object) -> _Counts:
    """True positives, predicted positives and actual positives, as length-1 arrays."""
    is_true, is_pred = true_arr == positive_label, pred_arr == positive_label
    counts = (np.sum(is_true & is_pred), np.sum(is_pred), np.sum(is_true))
    tp, predicted, actual = (np.asarray([c], dtype=np.float64) for c in counts)
    return tp, predicted, actual


def _label_counts(true_arr: AnyArray, pred_arr: AnyArray) -> _Counts:
    """Per-label true positives, predictions and occurrences, over the labels of either array."""
    labels, codes = np.unique(np.concatenate([true_arr, pred_arr]), return_inverse=True)
    true_codes, pred_codes = codes[: true_arr.size], codes[true_arr.size :]
    k = labels.size
    tp = np.bincount(true_codes[true_codes == pred_codes], minlength=k)
    predicted, actual = np.bincount(pred_codes, minlength=k), np.bincount(true_codes, minlength=k)
    return tp.astype(np.float64), predicted.astype(np.float64), actual.astype(np.float64)


def _safe_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator`` with 0 wherever the denominator is 0: never divides by zero."""
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out
