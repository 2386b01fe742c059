"""The chart ships exactly the repository's CRDs (crds/, generated from the spec models)."""

from __future__ import annotations

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
