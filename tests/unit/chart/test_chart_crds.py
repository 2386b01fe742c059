"""The chart ships exactly the repository's CRDs (crds/, generated from the spec models), as
templates that `helm upgrade` upgrades and `helm uninstall` keeps."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import helm_python
import yaml

from chart_rendering import CHART, ROOT, render, select

REPOSITORY_CRDS = ROOT / "crds"
CHART_CRDS = CHART / "files" / "crds"


def test_chart_crds_are_byte_identical_copies_of_the_repositorys():
    ours = {p.name: p.read_bytes() for p in REPOSITORY_CRDS.glob("*.yaml")}
    shipped = {p.name: p.read_bytes() for p in CHART_CRDS.glob("*.yaml")}
    assert ours, "crds/ holds no CRD"
    assert sorted(shipped) == sorted(ours), "run `make crds` to copy crds/*.yaml into the chart's files/crds/"
    stale = sorted(name for name in ours if shipped[name] != ours[name])
    assert not stale, f"charts/modelmon/files/crds/{stale} differ from crds/: run `make crds`"


def test_the_crds_are_templates_kept_on_uninstall_and_equal_to_the_repositorys():
    """Helm never upgrades a chart's crds/ directory; templates are upgraded. The keep policy
    stops `helm uninstall` from deleting the CRDs and with them every monitor."""
    with helm_python.Chart.load(CHART) as chart:
        assert chart.crds == [], "a crds/ directory would be installed once and never upgraded"
    rendered = {d["metadata"]["name"]: d for d in select(render(), "CustomResourceDefinition")}
    expected = {doc["metadata"]["name"]: doc for path in REPOSITORY_CRDS.glob("*.yaml")
                for doc in yaml.safe_load_all(path.read_text()) if doc}
    assert sorted(rendered) == sorted([*expected, "clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"])
    for name, crd in rendered.items():
        assert crd["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}, name
        assert crd["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm", name
        if name in expected:
            # The same object as crds/ apart from the release's labels and the policy.
            theirs = {**crd, "metadata": {**crd["metadata"], "labels": expected[name]["metadata"]["labels"]}}
            del theirs["metadata"]["annotations"]
            assert theirs == expected[name], name
    assert all(name.endswith((".modelmon.io", ".kopf.dev")) for name in rendered)


def test_crd_values_leave_out_the_peering_crds_or_every_crd_or_the_keep_policy():
    names = lambda values: sorted(d["metadata"]["name"] for d in select(render(values), "CustomResourceDefinition"))  # noqa: E731
    assert names({"crds": {"install": True, "keep": True, "kopfPeering": False}}) == [
        "modelmonitors.modelmon.io", "retrainingjobs.modelmon.io"]
    assert names({"replicaCount": 1, "operator": {"peering": {"enabled": False}}}) == [
        "modelmonitors.modelmon.io", "retrainingjobs.modelmon.io"]
    assert names({"crds": {"install": False, "keep": True, "kopfPeering": True}}) == []
    unkept = select(render({"crds": {"install": True, "keep": False, "kopfPeering": True}}), "CustomResourceDefinition")
    assert unkept and all("annotations" not in d["metadata"] for d in unkept)


def test_each_crd_file_is_named_after_its_plural():
    for path in CHART_CRDS.glob("*.yaml"):
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert [d["spec"]["names"]["plural"] for d in documents] == [path.stem]


def test_make_crds_writes_one_file_per_kind_and_copies_them_into_the_chart(tmp_path):
    """`make crds`, run in a scratch copy of the layout, splits `modelmon crds` by kind."""
    from modelmon.api import crds

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "crds").mkdir()
    (tmp_path / "charts" / "modelmon" / "files" / "crds").mkdir(parents=True)
    shutil.copy(ROOT / "charts" / "sync_values_schema.py", tmp_path / "charts")
    (tmp_path / "charts" / "modelmon" / "values.schema.json").write_text('{"properties": {}}')
    (tmp_path / "charts" / "modelmon" / "files" / "crds" / "stale.yaml").write_text("left over from an old chart\n")
    result = subprocess.run(["make", "--no-print-directory", "crds", f"PYTHON={sys.executable}"], cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = {f"{crd['spec']['names']['plural']}.yaml": crds.render_yaml([crd]) for crd in crds.all_crds()}
    assert {p.name: p.read_text() for p in (tmp_path / "crds").iterdir()} == expected
    assert {p.name: p.read_text() for p in (tmp_path / "charts" / "modelmon" / "files" / "crds").iterdir()} == expected
    synced = json.loads((tmp_path / "charts" / "modelmon" / "values.schema.json").read_text())
    assert synced["properties"]["alerts"]["properties"]["defaults"]["properties"]["sinks"]
