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


def test_quickstart_data_is_the_example_data():
    """examples/classifier/data.yaml carries examples/data's files byte for byte
    (regenerate with `python3 hack/quickstart_data.py`)."""
    maps = {doc["metadata"]["name"]: doc["data"] for doc in
            yaml.safe_load_all((ROOT / "examples" / "classifier" / "data.yaml").read_text())}
    data = ROOT / "examples" / "data"
    assert maps["credit-default-reference"] == {"reference.csv": (data / "reference.csv").read_text()}
    assert maps["credit-default-current"] == {"current.csv": (data / "current-stable.csv").read_text()}


def test_quickstart_monitor_reads_the_configmaps_it_ships_with():
    directory = ROOT / "examples" / "classifier"
    shipped = {(doc["metadata"]["name"], key) for path in directory.glob("*.yaml")
               for doc in yaml.safe_load_all(path.read_text()) if doc and doc["kind"] == "ConfigMap"
               for key in doc["data"]}
    (mm,) = [doc for doc in yaml.safe_load_all((directory / "modelmonitor.yaml").read_text())]
    for source in (mm["spec"]["reference"], mm["spec"]["current"]):
        ref = source["configMapKeyRef"]
        assert (ref["name"], ref["key"]) in shipped
