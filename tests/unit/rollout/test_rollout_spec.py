"""spec.rollout validation: bad input names the field and the fix."""

from __future__ import annotations

import pydantic
import pytest

from modelmon.api import errors
from modelmon.api.rollout import RolloutSpec
from modelmon.rollout import handover

BASE = {"targetRef": {"name": "credit"}, "handover": {"env": {}}, "strategy": {"canary": {"steps": [{"setWeight": 10}]}}}


def check(raw, *fragments):
    with pytest.raises(pydantic.ValidationError) as caught:
        RolloutSpec.model_validate(raw)
    text = errors.describe(caught.value, prefix="spec.rollout")
    for fragment in fragments:
        assert fragment in text, text


def test_defaults():
    spec = RolloutSpec.model_validate(BASE)
    assert spec.progress_deadline == "10m"
    assert handover.calculate_values(spec.handover, model={"uri": "s3://m/2", "version": "2", "sha256": "x"}) == {
        "env:MODEL_URI": "s3://m/2", "env:MODEL_VERSION": "2"}


def test_image_handover():
    spec = RolloutSpec.model_validate({**BASE, "handover": {"image": "reg.example/credit:{version}"}})
    assert handover.calculate_values(spec.handover, model={"version": "2.1"}) == {"image": "reg.example/credit:2.1"}


@pytest.mark.parametrize(("change", "fragments"), [
    ({"handover": {}}, ["exactly one of env", "or image"]),
    ({"handover": {"image": "reg/x:latest"}}, ["{version}"]),
    ({"handover": {"image": "reg/x:{tag}"}}, ["no other placeholder"]),
    ({"handover": {"env": {"uri": None, "version": None}}}, ["names no variable"]),
    ({"strategy": {}}, ["exactly one of canary or blueGreen"]),
    ({"strategy": {"canary": {"steps": [{"setWeight": 10, "pause": {}}]}}}, ["exactly one of setWeight"]),
    ({"strategy": {"canary": {"steps": [{"setWeight": 100}]}}}, ["spec.rollout.strategy.canary.steps.0.setWeight"]),
    ({"strategy": {"canary": {"steps": [{"analysis": {"template": "nope"}}]}}}, ["['nope']", "analysisTemplates"]),
    ({"progressDeadline": "10 minutes"}, ["spec.rollout.progressDeadline", "15m"]),
    ({"strategy": {"canary": {"steps": [{"setWeigth": 10}]}}}, ["setWeigth", "unknown field"]),
    ({"analysisTemplates": [{"name": "q", "metrics": [{"name": "a", "prometheus": {
        "address": "http://p", "query": "x"}}]}]}, ["set min and/or max"]),
    ({"analysisTemplates": [{"name": "q", "metrics": [{"name": "a", "min": 1, "max": 0, "webhook": {
        "url": "http://h"}}]}]}, ["min 1.0 is above max 0.0"]),
    ({"analysisTemplates": [{"name": "q", "metrics": [{"name": "a", "min": 1, "webhook": {"url": "http://h"},
                                                       "prometheus": {"address": "http://p", "query": "x"}}]}]},
     ["exactly one of prometheus, modelMonitor, webhook"]),
], ids=["no-handover", "image-no-placeholder", "image-unknown-placeholder", "env-empty", "no-strategy", "two-kinds",
        "weight-100", "unknown-template", "bad-duration", "misspelled", "no-bounds", "min-above-max", "two-providers"])
def test_bad_input(change, fragments):
    check({**BASE, **change}, *fragments)
