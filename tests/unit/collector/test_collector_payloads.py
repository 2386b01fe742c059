"""Flattening v1 and v2 inference payloads into rows (modelmon.collector.payloads)."""

from __future__ import annotations

import pytest

from modelmon.collector import payloads


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        pytest.param(
            {"instances": [[1, 2.5], [3, 4]]},
            [{"feature_0": 1.0, "feature_1": 2.5}, {"feature_0": 3.0, "feature_1": 4.0}],
            id="v1-lists",
        ),
        pytest.param(
            {"instances": [{"age": 41, "city": "Oslo", "vip": True}]},
            [{"age": 41.0, "city": "Oslo", "vip": True}],
            id="v1-objects",
        ),
        pytest.param({"instances": [7]}, [{"feature_0": 7.0}], id="v1-scalar"),
        pytest.param(
            {"instances": [[[1, 2], [3, 4]]]},
            [{"feature_0": "[1,2]", "feature_1": "[3,4]"}],
            id="v1-nested-kept-as-json",
        ),
        pytest.param(
            {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]},
            [{"x_0": 1.0, "x_1": 2.0}, {"x_0": 3.0, "x_1": 4.0}],
            id="v2-flat-data",
        ),
        pytest.param(
            {
                "inputs": [
                    {"name": "x", "shape": [2, 2], "datatype": "INT64", "data": [[1, 2], [3, 4]]},
                    {"name": "y", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]},
                ]
            },
            [{"x_0": 1, "x_1": 2, "y": "a"}, {"x_0": 3, "x_1": 4, "y": "b"}],
            id="v2-nested-two-tensors",
        ),
    ],
)
def test_requests(body, rows):
    assert payloads.flatten_request(body) == rows


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        pytest.param({"predictions": [1, 0]}, [{"prediction": 1.0}, {"prediction": 0.0}], id="v1-scalars"),
        pytest.param({"predictions": [[0.2, 0.8]]}, [{"prediction_0": 0.2, "prediction_1": 0.8}], id="v1-lists"),
        pytest.param({"predictions": [[0.9]]}, [{"prediction": 0.9}], id="v1-list-of-one"),
        pytest.param(
            {"predictions": [{"label": "cat", "score": 0.9}]},
            [{"prediction_label": "cat", "prediction_score": 0.9}],
            id="v1-objects",
        ),
        pytest.param(
            {"outputs": [{"name": "out", "shape": [2], "datatype": "INT32", "data": [1, 0]}]},
            [{"prediction": 1}, {"prediction": 0}],
            id="v2-single-output",
        ),
        pytest.param(
            {"outputs": [{"name": "p", "shape": [1, 2], "datatype": "FP64", "data": [0.1, 0.9]}]},
            [{"prediction_0": 0.1, "prediction_1": 0.9}],
            id="v2-single-wide-output",
        ),
        pytest.param(
            {
                "outputs": [
                    {"name": "label", "shape": [1], "datatype": "BOOL", "data": [True]},
                    {"name": "score", "shape": [1, 1], "datatype": "FP32", "data": [0.7]},
                ]
            },
            [{"label": True, "score": 0.7}],
            id="v2-named-outputs",
        ),
    ],
)
def test_responses(body, rows):
    assert payloads.flatten_response(body) == rows


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param([1, 2], "not a JSON object", id="not-an-object"),
        pytest.param({"data": []}, "neither 'instances' (v1) nor 'inputs' (v2)", id="no-known-key"),
        pytest.param({"instances": {"a": 1}}, "'instances' must be a list", id="v1-not-a-list"),
        pytest.param({"inputs": []}, "non-empty list of tensors", id="v2-empty"),
        pytest.param(
            {"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]},
            "inputs[0].data has 1 values but shape [2] holds 2",
            id="v2-shape-mismatch",
        ),
        pytest.param(
            {"inputs": [{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}]},
            "inputs[0].datatype 'FLOAT' is not a v2 datatype",
            id="v2-bad-datatype",
        ),
        pytest.param(
            {"inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": ["a"]}]},
            "holds 'a', not a value of its datatype",
            id="v2-bad-value",
        ),
        pytest.param(
            {
                "inputs": [
                    {"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2]},
                    {"name": "y", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]},
                ]
            },
            "inputs[1] has 3 rows (shape[0]) but inputs[0] has 2",
            id="v2-batch-mismatch",
        ),
        pytest.param(
            {"instances": [list(range(payloads.MAX_COLUMNS + 1))]}, "more than the 4096 columns", id="too-wide"
        ),
    ],
)
def test_refusals_name_the_field(body, message):
    with pytest.raises(payloads.PayloadError, match=None) as caught:
        payloads.flatten_request(body)
    assert message in str(caught.value)


def test_deep_nesting_is_flattened_without_recursion():
    data: list = [1.0]
    for _ in range(5000):
        data = [data]
    body = {"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": data}]}
    assert payloads.flatten_request(body) == [{"x": 1.0}]
