"""The shipped examples are valid: monitors parse with the spec models, the rest against
the official Kubernetes schemas."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from modelmon.api import monitor, retraining

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [(path, index, doc) for path in sorted((ROOT / "examples").rglob("*.yaml"))
             for index, doc in enumerate(yaml.safe_load_all(path.read_text())) if doc]


def test_there_are_examples_of_both_kinds():
    kinds = {doc["kind"] for _, _, doc in DOCUMENTS}
    assert {"ModelMonitor", "Deployment", "Service"} <= kinds


@pytest.mark.parametrize("path,index,doc", DOCUMENTS,
                         ids=[f"{p.parent.name}/{p.name}#{i}" for p, i, _ in DOCUMENTS])
def test_example_is_valid(path, index, doc):
    if doc["kind"] == "ModelMonitor":
        monitor.parse_spec(doc["spec"])
    elif doc["kind"] == "RetrainingJob":
        retraining.parse_job_spec(doc["spec"])
    else:
        kubernetes_validate.validate(doc, "1.33", strict=True)
