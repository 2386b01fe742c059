"""Flattening inference payloads into rows: one row per instance, one column per feature or output.

Two protocols, the ones KServe's servers speak:

- v1 (TensorFlow-Serving style): a request ``{"instances": [...]}``, a response ``{"predictions": [...]}``.
  An instance that is an object gives its keys as columns; a list gives ``feature_0``, ``feature_1``,
  ...; a scalar gives ``feature_0``. A prediction that is a scalar (or a list of one) is the column
  ``prediction``; a list gives ``prediction_0``, ``prediction_1``, ...; an object ``prediction_<key>``.
- v2 (Open Inference Protocol): ``{"inputs": [tensor, ...]}`` and ``{"outputs": [tensor, ...]}``, each
  tensor ``{"name", "shape", "datatype", "data"}``, ``data`` flat or nested in row-major order and its
  first dimension the batch. An input tensor of one value per row is the column ``<name>``, a wider one
  ``<name>_0``, ``<name>_1``, ...; the outputs are named the same way, except that a single output
  tensor is ``prediction`` (or ``prediction_<j>`` when wider), as in v1.

Numbers of v1 payloads are written as float64 whatever their JSON spelling (``1`` and ``1.0`` are the
same feature, and files written an hour apart must agree on the column's type); v2 keeps its declared
type family (INT*/UINT* as int64, FP* as float64, BOOL, BYTES as string). A value nested deeper than a
row's columns (an image's pixels in one v1 feature) is kept as its JSON text.

Every refusal is a :class:`PayloadError` whose message names the field and what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

Value = None | bool | int | float | str
Row = dict[str, Value]

#: A row wider than this is refused: a tensor of pixels is not a table of features.
MAX_COLUMNS = 4096

_V2_TYPES = {"BOOL": "bool", "BYTES": "str", "FP16": "float", "FP32": "float", "FP64": "float"}
_V2_TYPES.update({f"INT{n}": "int" for n in (8, 16, 32, 64)})
_V2_TYPES.update({f"UINT{n}": "int" for n in (8, 16, 32, 64)})


class PayloadError(ValueError):
    """The payload cannot be read as an inference request or response; the message says why."""


def flatten_request(body: Any) -> list[Row]:
    """The feature rows of a request body (v1 ``instances`` or v2 ``inputs``)."""
    if not isinstance(body, Mapping):
        raise PayloadError("the request's data is not a JSON object with 'instances' (v1) or 'inputs' (v2)")
    if "instances" in body:
        return _v1_rows(body["instances"], field="instances", scalar="feature_0", prefix="feature_", keyed="")
    if "inputs" in body:
        return _v2_rows(body["inputs"], field="inputs", single=None)
    raise PayloadError("the request's data has neither 'instances' (v1) nor 'inputs' (v2)")


def flatten_response(body: Any) -> list[Row]:
    """The prediction rows of a response body (v1 ``predictions`` or v2 ``outputs``)."""
    if not isinstance(body, Mapping):
        raise PayloadError("the response's data is not a JSON object with 'predictions' (v1) or 'outputs' (v2)")
    if "predictions" in body:
        return _v1_rows(
            body["predictions"], field="predictions", scalar="prediction", prefix="prediction_", keyed="prediction_"
        )
    if "outputs" in body:
        return _v2_rows(body["outputs"], field="outputs", single="prediction")
    raise PayloadError("the response's data has neither 'predictions' (v1) nor 'outputs' (v2)")


def _v1_rows(items: Any, *, field: str, scalar: str, prefix: str, keyed: str) -> list[Row]:
    if not isinstance(items, list):
        raise PayloadError(f"{field!r} must be a list (one item per instance), got {type(items).__name__}")
    rows = []
    for index, item in enumerate(items):
        if isinstance(item, Mapping):
            row = {f"{keyed}{key}": _v1_value(value) for key, value in item.items()}
        elif isinstance(item, list):
            row = (
                {scalar: _v1_value(item[0])}
                if len(item) == 1 and keyed
                else {f"{prefix}{j}": _v1_value(value) for j, value in enumerate(item)}
            )
        else:
            row = {scalar: _v1_value(item)}
        if len(row) > MAX_COLUMNS:
            raise PayloadError(
                f"{field}[{index}] has {len(row)} values, more than the {MAX_COLUMNS} columns a row may have"
            )
        rows.append(row)
    return rows


def _v1_value(value: Any) -> Value:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return json.dumps(value, separators=(",", ":"))


def _v2_rows(tensors: Any, *, field: str, single: str | None) -> list[Row]:
    if not isinstance(tensors, list) or not tensors:
        raise PayloadError(f"{field!r} must be a non-empty list of tensors {{name, shape, datatype, data}}")
    columns: list[tuple[list[str], list[Value], int]] = []
    batch: int | None = None
    for index, tensor in enumerate(tensors):
        names, values, rows = _v2_tensor(tensor, where=f"{field}[{index}]", alone=single if len(tensors) == 1 else None)
        if batch is not None and rows != batch:
            raise PayloadError(f"{field}[{index}] has {rows} rows (shape[0]) but {field}[0] has {batch}")
        batch = rows
        columns.append((names, values, len(names)))
    assert batch is not None
    if sum(len(names) for names, _, _ in columns) > MAX_COLUMNS:
        raise PayloadError(f"{field!r} has more than the {MAX_COLUMNS} columns a row may have")
    out: list[Row] = [{} for _ in range(batch)]
    for names, values, width in columns:
        for i, row in enumerate(out):
            row.update(zip(names, values[i * width : (i + 1) * width]))
    return out


def _v2_tensor(tensor: Any, *, where: str, alone: str | None) -> tuple[list[str], list[Value], int]:
    if not isinstance(tensor, Mapping):
        raise PayloadError(f"{where} must be an object {{name, shape, datatype, data}}")
    name, shape, datatype, data = (tensor.get(key) for key in ("name", "shape", "datatype", "data"))
    if not isinstance(name, str) or not name:
        raise PayloadError(f"{where}.name must be a non-empty string")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise PayloadError(f"{where}.shape must be a list of non-negative integers")
    kind = _V2_TYPES.get(datatype) if isinstance(datatype, str) else None
    if kind is None:
        raise PayloadError(
            f"{where}.datatype {datatype!r} is not a v2 datatype (BOOL, INT8..UINT64, FP16..FP64, BYTES)"
        )
    flat = _flatten(data, where=f"{where}.data")
    size = math.prod(shape)
    if len(flat) != size:
        raise PayloadError(f"{where}.data has {len(flat)} values but shape {shape} holds {size}")
    rows = shape[0] if shape else 1
    width = math.prod(shape[1:]) if len(shape) > 1 else 1
    values = [_v2_value(value, kind, where=where) for value in flat]
    stem = alone or name
    names = [stem] if width == 1 else [f"{stem}_{j}" for j in range(width)]
    return names, values, rows


def _flatten(data: Any, *, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise PayloadError(f"{where} must be a list")
    flat: list[Any] = []
    stack: list[Sequence[Any]] = [data]
    positions = [0]
    # Iterative so that a deeply nested payload cannot exhaust the interpreter's stack.
    while stack:
        current, position = stack[-1], positions[-1]
        if position == len(current):
            stack.pop()
            positions.pop()
            continue
        positions[-1] += 1
        item = current[position]
        if isinstance(item, list):
            stack.append(item)
            positions.append(0)
        else:
            flat.append(item)
    return flat


def _v2_value(value: Any, kind: str, *, where: str) -> Value:
    if value is None:
        return None
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "str" and isinstance(value, str):
        return value
    raise PayloadError(f"{where}.data holds {value!r}, not a value of its datatype")
