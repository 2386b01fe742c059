"""The data-source set-ups in docs/data-sources.md and the README parse into the models the check uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from modelmon.api.monitor import CheckJob, CurrentData, parse_spec

ROOT = Path(__file__).resolve().parents[3]


def documents(path: Path) -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    return [doc for block in blocks for doc in yaml.safe_load_all(block) if isinstance(doc, dict)]


def test_the_partitioned_log_on_s3_is_a_valid_monitor():
    docs = documents(ROOT / "docs" / "data-sources.md")
    (monitor,) = [d for d in docs if d.get("kind") == "ModelMonitor"]
    spec = parse_spec(monitor["spec"])
    assert spec.current.time_partitions is not None and spec.current.window is not None
    assert spec.performance is not None and spec.performance.ground_truth is not None
    assert spec.performance.ground_truth.time_partitions is not None
    (secret,) = [d for d in docs if d.get("kind") == "Secret"]
    assert {e.secret_key_ref.key for e in spec.check_job.env} <= set(secret["stringData"])


def test_the_readme_data_section_is_valid():
    specs = [d["spec"] for d in documents(ROOT / "README.md") if "timePartitions" in str(d)]
    (spec,) = specs
    current = CurrentData.model_validate(spec["current"])
    assert current.uri == "s3://ml-logs/credit/" and current.time_partitions is not None
    assert len(CheckJob.model_validate(spec["checkJob"]).env) == 2
