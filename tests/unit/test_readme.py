"""The README's examples are real: its YAML parses into the models the operator uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from modelmon.api.alerts import AlertsSpec
from modelmon.api.performance import PerformanceSpec
from modelmon.api.rollout import RolloutSpec

README = Path(__file__).resolve().parents[2] / "README.md"


def yaml_documents() -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.S)
    return [doc for block in blocks for doc in yaml.safe_load_all(block) if isinstance(doc, dict)]


def specs_with(key: str) -> list[dict]:
    return [doc["spec"][key] for doc in yaml_documents() if isinstance(doc.get("spec"), dict) and key in doc["spec"]]


def test_the_alert_example_has_one_valid_sink_of_each_kind():
    (alerts,) = specs_with("alerts")
    parsed = AlertsSpec.model_validate(alerts)
    assert sorted(sink.type for sink in parsed.sinks) == ["alertmanager", "email", "slack", "webhook"]


def test_the_secret_of_the_alert_example_holds_every_key_the_sinks_name():
    secret = next(doc for doc in yaml_documents() if doc.get("kind") == "Secret")
    (alerts,) = specs_with("alerts")
    refs = re.findall(r"'key': '([^']+)'", str(alerts))
    assert refs and set(refs) <= set(secret["stringData"])


def test_the_performance_and_rollout_examples_are_valid():
    (performance,) = specs_with("performance")
    PerformanceSpec.model_validate(performance)
    (rollout,) = specs_with("rollout")
    RolloutSpec.model_validate(rollout)
