"""The chart ships exactly the repository's CRDs (crds/, generated from the spec models)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import helm_python
import yaml

from chart_rendering import CHART, ROOT

REPOSITORY_CRDS = ROOT / "crds"
CHART_CRDS = CHART / "crds"


def test_chart_crds_are_byte_identical_copies_of_the_repositorys():
    ours = {p.name: p.read_bytes() for p in REPOSITORY_CRDS.glob("*.yaml")}
    shipped = {p.name: p.read_bytes() for p in CHART_CRDS.glob("*.yaml")}
    assert ours, "crds/ holds no CRD"
    assert sorted(shipped) == sorted(ours), "run `make crds` to copy crds/*.yaml into the chart"
    stale = sorted(name for name in ours if shipped[name] != ours[name])
    assert not stale, f"charts/modelmon/crds/{stale} differ from crds/: run `make crds`"


def test_helm_installs_every_crd_before_the_templates():
    with helm_python.Chart.load(CHART) as chart:
        loaded = chart.crds
    names = sorted(doc["metadata"]["name"] for item in loaded for doc in yaml.safe_load_all(item["data"]) if doc)
    expected = sorted(doc["metadata"]["name"] for path in REPOSITORY_CRDS.glob("*.yaml")
                      for doc in yaml.safe_load_all(path.read_text()) if doc)
    assert names == expected
    assert all(name.endswith(".modelmon.io") for name in names)


def test_each_crd_file_is_named_after_its_plural():
    for path in CHART_CRDS.glob("*.yaml"):
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert [d["spec"]["names"]["plural"] for d in documents] == [path.stem]


def test_make_crds_writes_one_file_per_kind_and_copies_them_into_the_chart(tmp_path):
    """`make crds`, run in a scratch copy of the layout, splits `modelmon crds` by kind."""
    from modelmon.api import crds

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "crds").mkdir()
    (tmp_path / "charts" / "modelmon" / "crds").mkdir(parents=True)
    shutil.copy(ROOT / "charts" / "sync_values_schema.py", tmp_path / "charts")
    (tmp_path / "charts" / "modelmon" / "values.schema.json").write_text('{"properties": {}}')
    (tmp_path / "charts" / "modelmon" / "crds" / "stale.yaml").write_text("left over from an old chart\n")
    result = subprocess.run(["make", "--no-print-directory", "crds", f"PYTHON={sys.executable}"], cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = {f"{crd['spec']['names']['plural']}.yaml": crds.render_yaml([crd]) for crd in crds.all_crds()}
    assert {p.name: p.read_text() for p in (tmp_path / "crds").iterdir()} == expected
    assert {p.name: p.read_text() for p in (tmp_path / "charts" / "modelmon" / "crds").iterdir()} == expected
    synced = json.loads((tmp_path / "charts" / "modelmon" / "values.schema.json").read_text())
    assert synced["properties"]["alerts"]["properties"]["defaults"]["properties"]["sinks"]
