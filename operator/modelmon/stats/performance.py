"""Performance metrics of a model on the current window, on plain numpy arrays.

The performance check compares these with the backtest baseline, so every metric states
its convention, and a metric that cannot be computed says so (``value`` None and a
``reason``) instead of returning a number that looks like a measurement.

Shared conventions:

- Inputs are one-dimensional and of equal length; otherwise ``ValueError`` names the
  arguments. An empty input gives ``value`` None with a reason.
- Missing rows are excluded and counted in ``excluded``: for labels, None or NaN in either
  array; for numbers, NaN or +-inf in either array (an infinite error or return would
  swallow every other row). ``n`` is the number of rows the value is computed from.
- Fractions, not percentages: accuracy 0.9, MAPE 0.05 (5 %), drawdown 0.2 (20 %).
- Precision, recall and F1 follow scikit-learn with ``zero_division=0``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np
import numpy.typing as npt

Average = Literal["binary", "macro"]
FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True, kw_only=True)
class MetricResult:
    """A metric's value over ``n`` usable rows; ``reason`` explains a None ``value``."""

    value: float | None
    n: int
    excluded: int = 0
    reason: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RateResult(MetricResult):
    """A share of rows: ``value = successes / n``; feeds ``proportions.one_proportion_ztest``."""

    successes: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class MapeResult(MetricResult):
    """MAPE, with the rows left out because their target was zero counted apart."""

    excluded_zero_target: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class PrecisionRecallF1:
    """Precision, recall and F1 of one call, all None together (with ``reason``) or none."""

    precision: float | None
    recall: float | None
    f1: float | None
    n: int
    excluded: int = 0
    reason: str | None = None


# --- input handling -----------------------------------------------------------------


def _paired(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, numeric: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """Both arrays, 1-D and equal in length, minus missing rows, and how many were dropped."""
    true_arr = _one_dimensional(y_true, name="y_true", numeric=numeric)
    pred_arr = _one_dimensional(y_pred, name="y_pred", numeric=numeric)
    if true_arr.shape != pred_arr.shape:
        raise ValueError(f"y_true has {true_arr.size} rows but y_pred has {pred_arr.size}; they must match")
    keep = ~(_missing(true_arr) | _missing(pred_arr))
    return true_arr[keep], pred_arr[keep], int(keep.size - keep.sum())


def _one_dimensional(values: npt.ArrayLike, *, name: str, numeric: bool) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64) if numeric else np.asarray(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must hold numbers: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _missing(array: np.ndarray) -> npt.NDArray[np.bool_]:
    """NaN/inf for floats, None or float NaN for objects, nothing for ints and strings."""
    if array.dtype.kind in "fc":
        return ~np.isfinite(array)
    if array.dtype.kind == "O":
        return np.fromiter((v is None or (isinstance(v, float) and math.isnan(v)) for v in array),
                           dtype=bool, count=array.size)
    return np.zeros(array.shape, dtype=bool)


def _no_rows(excluded: int) -> str:
    return f"no rows left after excluding {excluded} missing" if excluded else "no rows"


# --- classification -------------------------------------------------------------------


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> RateResult:
    """Share of rows whose predicted label equals the true label.

    ``accuracy = #(y_pred == y_true) / n``.

    >>> accuracy(["a", "b", "b", None], ["a", "b", "a", "a"])
    RateResult(value=0.6666666666666666, n=3, excluded=1, reason=None, successes=2)
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=False)
    return _rate(true_arr == pred_arr, excluded=excluded)


def _rate(hits: npt.NDArray[np.bool_], *, excluded: int) -> RateResult:
    if hits.size == 0:
        return RateResult(value=None, n=0, excluded=excluded, reason=_no_rows(excluded))
    successes = int(hits.sum())
    return RateResult(value=successes / hits.size, n=int(hits.size), excluded=excluded, successes=successes)


def precision_recall_f1(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, average: Average = "binary", positive_label: object = 1
) -> PrecisionRecallF1:
    """Precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)`` and F1 ``2 P R / (P + R)``.

    ``average="binary"``: one-vs-rest for ``positive_label``; every other label is negative.
    If the positive label occurs in neither array, all three are None with a reason (this
    is usually a misconfigured label, not a score of 0).

    ``average="macro"``: the unweighted mean over the labels present in ``y_true`` or
    ``y_pred`` of each label's precision, recall and F1. Macro F1 is the mean of the per-label
    F1s (scikit-learn's definition), not the harmonic mean of macro precision and recall.

    Zero denominators score 0, as scikit-learn's ``zero_division=0``: a label never
    predicted has precision 0, a label absent from ``y_true`` has recall 0, and F1 is 0
    when precision and recall are both 0.

    Worked example, binary, positive 1: true (1, 1, 0, 0, 1), predicted (1, 0, 1, 0, 1):
    tp 2, fp 1, fn 1, so P = R = F1 = 2/3. Macro over labels {0, 1}: label 0 has tp 1,
    fp 1, fn 1, so P = R = F1 = 1/2; the macro values are (2/3 + 1/2) / 2 = 7/12.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=False)
    if true_arr.size == 0:
        return PrecisionRecallF1(precision=None, recall=None, f1=None, n=0, excluded=excluded,
                                 reason=_no_rows(excluded))
    if average == "binary":
        if not (np.any(true_arr == positive_label) or np.any(pred_arr == positive_label)):
            return PrecisionRecallF1(precision=None, recall=None, f1=None, n=int(true_arr.size),
                                     excluded=excluded,
                                     reason=f"positive label {positive_label!r} occurs in neither y_true nor y_pred")
        labels: np.ndarray = np.asarray([positive_label], dtype=object)
    elif average == "macro":
        labels = np.unique(np.concatenate([true_arr, pred_arr]))
    else:
        raise ValueError(f"average must be 'binary' or 'macro', got {average!r}")
    precision, recall, f1 = _per_label_scores(true_arr, pred_arr, labels=labels)
    return PrecisionRecallF1(precision=float(precision.mean()), recall=float(recall.mean()),
                             f1=float(f1.mean()), n=int(true_arr.size), excluded=excluded)


def _per_label_scores(
    true_arr: np.ndarray, pred_arr: np.ndarray, *, labels: np.ndarray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-label precision, recall and F1, with 0 for every zero denominator."""
    is_true = true_arr[None, :] == labels[:, None]
    is_pred = pred_arr[None, :] == labels[:, None]
    tp = (is_true & is_pred).sum(axis=1).astype(np.float64)
    precision = _safe_ratio(tp, is_pred.sum(axis=1).astype(np.float64))
    recall = _safe_ratio(tp, is_true.sum(axis=1).astype(np.float64))
    f1 = _safe_ratio(2.0 * precision * recall, precision + recall)
    return precision, recall, f1


def _safe_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``, 0 where the denominator is 0 (never divides by zero)."""
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _pick(scores: PrecisionRecallF1, value: float | None) -> MetricResult:
    return MetricResult(value=value, n=scores.n, excluded=scores.excluded, reason=scores.reason)


def precision(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, average: Average = "binary",
              positive_label: object = 1) -> MetricResult:
    """Precision; see :func:`precision_recall_f1` for conventions and a worked example."""
    scores = precision_recall_f1(y_true, y_pred, average=average, positive_label=positive_label)
    return _pick(scores, scores.precision)


def recall(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, average: Average = "binary",
           positive_label: object = 1) -> MetricResult:
    """Recall; see :func:`precision_recall_f1` for conventions and a worked example."""
    scores = precision_recall_f1(y_true, y_pred, average=average, positive_label=positive_label)
    return _pick(scores, scores.recall)


def f1_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, average: Average = "binary",
             positive_label: object = 1) -> MetricResult:
    """F1; see :func:`precision_recall_f1` for conventions and a worked example."""
    scores = precision_recall_f1(y_true, y_pred, average=average, positive_label=positive_label)
    return _pick(scores, scores.f1)


# --- regression -----------------------------------------------------------------------


def mean_absolute_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> MetricResult:
    """``MAE = mean(|y_pred - y_true|)``.

    Worked example: true (1, 2, 3), predicted (2, 2, 5): errors 1, 0, 2, MAE = 1.0.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    if true_arr.size == 0:
        return MetricResult(value=None, n=0, excluded=excluded, reason=_no_rows(excluded))
    return MetricResult(value=float(np.mean(np.abs(pred_arr - true_arr))), n=int(true_arr.size), excluded=excluded)


def root_mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> MetricResult:
    """``RMSE = sqrt(mean((y_pred - y_true)^2))``; never below MAE.

    Worked example: true (1, 2, 3), predicted (2, 2, 5): squares 1, 0, 4, RMSE = sqrt(5/3) = 1.291.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    if true_arr.size == 0:
        return MetricResult(value=None, n=0, excluded=excluded, reason=_no_rows(excluded))
    rmse = math.sqrt(float(np.mean(np.square(pred_arr - true_arr))))
    return MetricResult(value=rmse, n=int(true_arr.size), excluded=excluded)


def mean_absolute_percentage_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> MapeResult:
    """``MAPE = mean(|y_pred - y_true| / |y_true|)``, a fraction (0.05 is 5 %).

    Rows with ``y_true == 0`` have no relative error: they are left out and counted in
    ``excluded_zero_target`` (apart from missing rows in ``excluded``); the value is None
    when no row remains. Worked example: true (100, 0, 50), predicted (110, 3, 40): the
    zero row is left out, errors 0.1 and 0.2, MAPE = 0.15 over n = 2.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    nonzero = true_arr != 0.0
    zeros = int(nonzero.size - nonzero.sum())
    if not nonzero.any():
        reason = "no rows" if true_arr.size == 0 and not excluded else (
            f"no rows with a non-zero target ({zeros} zero, {excluded} missing)")
        return MapeResult(value=None, n=0, excluded=excluded, excluded_zero_target=zeros, reason=reason)
    relative = np.abs(pred_arr[nonzero] - true_arr[nonzero]) / np.abs(true_arr[nonzero])
    return MapeResult(value=float(np.mean(relative)), n=int(nonzero.sum()), excluded=excluded,
                      excluded_zero_target=zeros)


def hit_rate(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> RateResult:
    """Directional accuracy: share of rows with ``sign(y_pred) == sign(y_true)``.

    Zero has its own sign (``numpy.sign(0) == 0``): a zero prediction is a hit only on a
    zero target, and a zero target is hit only by a zero prediction; no row is dropped for
    being zero. Worked example: true (0.5, -0.2, 0.1, 0.0), predicted (1.0, 0.3, 0.2, 0.0):
    hits on rows 1, 3 and 4, hit rate 0.75.
    """
    true_arr, pred_arr, excluded = _paired(y_true, y_pred, numeric=True)
    return _rate(np.sign(true_arr) == np.sign(pred_arr), excluded=excluded)


# --- returns series -------------------------------------------------------------------


def _returns(returns: npt.ArrayLike) -> tuple[FloatArray, int]:
    array = _one_dimensional(returns, name="returns", numeric=True)
    keep = np.isfinite(array)
    return array[keep], int(keep.size - keep.sum())


def sharpe_ratio(returns: npt.ArrayLike, *, periods_per_year: float | None = None) -> MetricResult:
    """``Sharpe = mean(r) / std(r, ddof=1)``, times ``sqrt(periods_per_year)`` when given.

    ``returns`` are per-period excess returns (subtract the risk-free rate first). None with
    a reason for fewer than 2 values or when all values are equal (zero standard deviation,
    tested exactly so that rounding noise cannot make a huge ratio). Scaling every return by
    a positive constant leaves it unchanged. Worked example: returns (0.01, 0.03, -0.01,
    0.01): mean 0.01, std 0.01633, Sharpe 0.6124; with 252 periods a year 0.6124 * sqrt(252)
    = 9.72.
    """
    if periods_per_year is not None and not periods_per_year > 0:
        raise ValueError(f"periods_per_year must be positive, got {periods_per_year!r}")
    values, excluded = _returns(returns)
    if values.size < 2:
        return MetricResult(value=None, n=int(values.size), excluded=excluded,
                            reason=f"needs at least 2 returns, got {values.size}")
    if np.all(values == values[0]):
        return MetricResult(value=None, n=int(values.size), excluded=excluded,
                            reason="all returns are equal: zero standard deviation")
    ratio = float(np.mean(values) / np.std(values, ddof=1))
    if periods_per_year is not None:
        ratio *= math.sqrt(periods_per_year)
    return MetricResult(value=ratio, n=int(values.size), excluded=excluded)


def max_drawdown(returns: npt.ArrayLike) -> MetricResult:
    """Largest peak-to-trough fall of the equity curve ``cumprod(1 + r)``, as a positive fraction.

    The curve starts at 1 before the first return, so a loss in the first period counts;
    ``drawdown_t = 1 - equity_t / max(equity_0..t)`` and the result is its maximum (0 for a
    curve that never falls, 1 for a total loss). Missing returns are skipped, which for
    compounding is the same as a return of 0. A return below -1 (losing more than
    everything) gives None with a reason. Worked example: returns (0.1, -0.5, 0.2): equity
    1, 1.1, 0.55, 0.66; the worst fall is from 1.1 to 0.55, drawdown 0.5.
    """
    values, excluded = _returns(returns)
    if values.size == 0:
        return MetricResult(value=None, n=0, excluded=excluded, reason=_no_rows(excluded))
    if np.any(values < -1.0):
        return MetricResult(value=None, n=int(values.size), excluded=excluded,
                            reason="a return below -1 would make the equity negative")
    equity = np.concatenate([[1.0], np.cumprod(1.0 + values)])
    peaks = np.maximum.accumulate(equity)  # >= 1 everywhere: the division is safe
    return MetricResult(value=float(np.max(1.0 - equity / peaks)), n=int(values.size), excluded=excluded)
