"""Reading labelled predictions: prediction and target columns, joined with late ground truth.

Predictions and targets are read as the task needs them: labels as text (so 1 read from a
CSV and "1" from JSON agree), numbers as float64. When targets arrive later in a separate
source, they are joined on an id column (as text, so an integer id matches its string
form); a target seen twice keeps its last value (a corrected label), and a prediction with
no target is counted as unlabelled. Problems with the columns raise
:class:`PerformanceInputError`, which the check turns into "unknown" verdicts with the
reason: a misconfigured column never fails the drift check nor looks like a decay.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelmon.api.performance import PerformanceSpec
from modelmon.data import datasets
from modelmon.data.tables import Table
from modelmon.performance.labelled import LabelledPredictions


class PerformanceInputError(Exception):
    """The prediction/target/id/timestamp columns cannot be used; the message says how to fix it."""


def read_labelled(predictions: Table, *, spec: PerformanceSpec, ground_truth: Table | None = None) -> LabelledPredictions:
    """Labelled predictions of ``predictions`` (joined with ``ground_truth`` when given), oldest first."""
    try:
        return _read_labelled(predictions, spec=spec, ground_truth=ground_truth)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        # A column of a type no check anticipated (lists, structs...): unknown verdicts, never a crash.
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PerformanceInputError(f"{predictions.path}: cannot read the performance columns: {detail}") from error


def _read_labelled(predictions: Table, *, spec: PerformanceSpec, ground_truth: Table | None) -> LabelledPredictions:
    predicted = _values(predictions, spec.prediction_column, task=spec.task, role="predictionColumn")
    if ground_truth is None:
        targets = _values(predictions, spec.target_column, task=spec.task, role="targetColumn")
    else:
        targets = _joined_targets(predictions, ground_truth, spec=spec)
    times = _times(predictions, spec.timestamp_column) if spec.timestamp_column else None
    known = _present(targets)
    if times is not None:
        order = np.argsort(times[known], kind="stable")  # NaN times sort last; duration windows skip them
        return LabelledPredictions(predictions=predicted[known][order], targets=targets[known][order],
                                   times=times[known][order], unlabelled=int(known.size - known.sum()))
    return LabelledPredictions(predictions=predicted[known], targets=targets[known],
                               unlabelled=int(known.size - known.sum()))


def _column(table: Table, name: str, *, role: str) -> pa.ChunkedArray:
    if name not in table.columns:
        shown = ", ".join(table.columns[:20])
        raise PerformanceInputError(f"{table.path}: no column {name!r} (performance.{role}); columns: {shown}")
    return table.column(name)


def _values(table: Table, name: str, *, task: str, role: str) -> npt.NDArray[np.object_] | npt.NDArray[np.float64]:
    column = _column(table, name, role=role)
    where = f"{table.path}: column {name!r} (performance.{role})"
    return labels(column, where=where) if task == "classification" else numbers(column, where=where)


def labels(column: pa.ChunkedArray, *, where: str) -> npt.NDArray[np.object_]:
    """Class labels as text, None where missing (or empty). Non-integral numbers are scores, not labels."""
    if pa.types.is_floating(column.type):
        finite = pc.drop_null(column)
        finite = finite.filter(pc.is_finite(finite))
        if len(finite) and not pc.all(pc.equal(finite, pc.floor(finite))).as_py():
            raise PerformanceInputError(f"{where} holds non-integer numbers (scores or probabilities?): "
                                        f"classification needs class labels; threshold the scores first, or set "
                                        f"task: regression")
        column = pc.cast(pc.if_else(pc.is_finite(column), column, None), pa.int64())
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    try:
        text = pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise PerformanceInputError(f"{where}: of type {column.type}, which is not a label ({error})") from error
    values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    values[values == ""] = None  # CSV readers give an empty cell of a text column as "": no class is spelled ""
    return values


def numbers(column: pa.ChunkedArray, *, where: str) -> npt.NDArray[np.float64]:
    """Numbers as float64, NaN where missing; text is an error naming the column."""
    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
            or pa.types.is_null(kind)):
        raise PerformanceInputError(f"{where} is {kind}, but regression needs numbers; fix the column, or set "
                                    f"task: classification for labels")
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _present(values: npt.NDArray[np.object_] | npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    if values.dtype.kind == "f":
        return np.asarray(np.isfinite(values))
    return values.astype(bool)  # labels are non-empty text or None


def _ids(table: Table, name: str, *, role: str) -> pa.ChunkedArray:
    """Ids as text, so that 17, 17.0 and "17" in two files are the same prediction."""
    column = _column(table, name, role=role)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if pa.types.is_floating(column.type):
        column = pc.cast(column, pa.int64(), safe=False)
    return pc.cast(column, pa.string())


def _joined_targets(predictions: Table, truth: Table, *, spec: PerformanceSpec) -> npt.NDArray[np.object_] | npt.NDArray[np.float64]:
    """Each prediction's target from ``truth`` by id (missing when none arrived yet).

    One hash lookup per prediction (arrow's ``index_in``). It answers with the first match,
    so the feed is searched newest first: a label delivered twice keeps its last delivery.
    """
    source = spec.ground_truth
    assert source is not None
    target_name = source.target_column or spec.target_column
    role = "groundTruth.targetColumn" if source.target_column else "targetColumn"
    predicted_ids = _ids(predictions, source.id_column, role="groundTruth.idColumn")
    truth = datasets.only_ids(truth, source.id_column, predicted_ids)
    targets = _column(truth, target_name, role=role)
    ids = _ids(truth, source.id_column, role="groundTruth.idColumn")
    usable = pc.and_(pc.is_valid(ids), pc.is_valid(targets))
    if pa.types.is_string(targets.type) or pa.types.is_large_string(targets.type):
        usable = pc.and_(usable, pc.not_equal(targets, ""))  # an empty CSV cell is no label
    newest_first = np.flatnonzero(np.asarray(usable.to_numpy(zero_copy_only=False), dtype=bool))[::-1]
    ids, targets = ids.take(newest_first), targets.take(newest_first)
    slots = pc.index_in(predicted_ids, value_set=ids)
    where = f"{truth.path}: column {target_name!r} (performance.{role})"
    joined = targets.take(slots)  # a null slot (no label yet) takes a null
    return labels(joined, where=where) if spec.task == "classification" else numbers(joined, where=where)


def _times(table: Table, name: str) -> npt.NDArray[np.float64]:
    """Seconds since the epoch (NaN when missing): timestamps, ISO-8601 text or epoch-second numbers."""
    column = _column(table, name, role="timestampColumn")
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    try:
        if not pa.types.is_timestamp(column.type):
            column = pc.cast(column, pa.timestamp("us", tz="UTC"))
        micros = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise PerformanceInputError(f"{table.path}: column {name!r} (performance.timestampColumn) is not a time: "
                                    f"{error}") from error
    return np.asarray(pc.cast(micros, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64) / 1e6
