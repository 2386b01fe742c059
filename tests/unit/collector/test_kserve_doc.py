"""docs/kserve.md agrees with the code: its monitor parses and reads the collector's layout, its chart
values pass the chart's schema, its metrics are the collector's, and the page passes the docs checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from modelmon.api.monitor import parse_spec
from modelmon.policies import collected_source
from modelmon.collector import layout
from modelmon.collector.events import ModelKey
from modelmon.collector.metrics import CollectorMetrics

ROOT = Path(__file__).resolve().parents[3]
PAGE = (ROOT / "docs" / "kserve.md").read_text(encoding="utf-8")


def documents() -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", PAGE, flags=re.S)
    return [doc for block in blocks for doc in yaml.safe_load_all(block) if isinstance(doc, dict)]


def test_the_monitor_reads_the_dataset_the_collector_writes_for_the_inference_service():
    docs = documents()
    (values,) = [d for d in docs if "collector" in d]
    (service,) = [d for d in docs if d.get("kind") == "InferenceService"]
    (monitor,) = [d for d in docs if d.get("kind") == "ModelMonitor"]
    spec = parse_spec(monitor["spec"])
    model = ModelKey(service["metadata"]["namespace"], service["metadata"]["name"])
    # the monitor names the InferenceService; its check reads what the collector wrote for it
    assert spec.current.inference_service is not None and spec.current.inference_service.name == model.name
    current = collected_source.resolve(
        spec.current, namespace=monitor["metadata"]["namespace"], store=values["collector"]["store"]["uri"]
    )
    assert current.uri == f"{values['collector']['store']['uri']}/{layout.model_root(model)}/"
    assert current.time_partitions is not None and current.window is not None
    assert current.window.timestamp_column == "timestamp"
    assert spec.performance is not None and spec.performance.ground_truth is not None
    assert spec.performance.ground_truth.id_column == "id"
    assert spec.performance.prediction_column == "prediction"
    # The chart's Service for a release named modelmon, in the namespace the docs install into.
    assert service["spec"]["predictor"]["logger"] == {
        "mode": "all",
        "url": "http://modelmon-collector.modelmon-system.svc/",
    }


def test_the_chart_values_pass_the_charts_schema():
    (values,) = [d for d in documents() if "collector" in d]
    schema = json.loads((ROOT / "charts" / "modelmon" / "values.schema.json").read_text())
    jsonschema.validate(values["collector"], schema["properties"]["collector"])


def test_the_metrics_table_lists_the_collectors_metrics():
    documented = set(re.findall(r"^\| `(modelmon_collector_\w+)", PAGE, flags=re.M))
    families = CollectorMetrics().registry.collect()
    assert documented == {f"{f.name}_total" if f.type == "counter" else f.name for f in families}


def test_the_readme_points_the_logger_at_the_same_service():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Capturing predictions from KServe") :]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[:1]
    (service,) = [d for d in documents() if d.get("kind") == "InferenceService"]
    assert yaml.safe_load(block)["spec"]["predictor"]["logger"] == service["spec"]["predictor"]["logger"]
    assert "[docs/kserve.md](docs/kserve.md)" in section
