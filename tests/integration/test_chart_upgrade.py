"""CRDs upgrade with `helm upgrade` (the real Helm v4 CLI against a real kube-apiserver).

1. The last chart that shipped its CRDs in crds/ (Helm installs those once and never
   upgrades them) is installed, and a ModelMonitor created.
2. `helm upgrade --take-ownership --force-conflicts` to this chart, whose CRDs are templates: Helm adopts the
   CRDs it installed from crds/ (once; the documented migration step), the monitor is kept.
3. A plain `helm upgrade` to a copy of this chart whose ModelMonitor CRD has a new field:
   the new schema is applied, the field is accepted and stored (under the old schema the API
   server prunes it); the monitor created under the old chart is unchanged and reconciled.
4. `helm uninstall` keeps the CRDs and the monitors (helm.sh/resource-policy: keep).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from modelmon.metrics import OperatorMetrics
from modelmon.settings import OperatorSettings
from operator_harness import running_operator
from support.monitors import monitor_body
from support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hack"))
import control_plane as _control_plane  # noqa: E402 - hack/ is tooling, not a package

pytestmark = pytest.mark.cluster

#: The last commit whose chart shipped the CRDs in crds/ (before they became templates).
OLD_CHART_COMMIT = "1414f09"
GROUP, VERSION, PLURAL = "modelmon.io", "v1alpha1", "modelmonitors"
CRD = "modelmonitors.modelmon.io"
#: The new field the upgraded CRD brings (a stand-in for any field a later release adds).
NEW_FIELD = "upgradeProbe"


def old_chart(target: Path) -> Path:
    """charts/modelmon as committed at OLD_CHART_COMMIT (git history of this repository)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", OLD_CHART_COMMIT, "charts/modelmon"], capture_output=True, check=False
    )
    assert archive.returncode == 0, f"git archive {OLD_CHART_COMMIT} failed (a shallow clone?): {archive.stderr!r}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    chart = target / "charts" / "modelmon"
    assert (chart / "crds" / "modelmonitors.yaml").exists(), "the old chart ships its CRDs in crds/"
    return chart


def chart_with_new_field(target: Path) -> Path:
    """This chart, with one more field in the ModelMonitor CRD's spec."""
    target.mkdir()
    subprocess.run(["cp", "-r", str(ROOT / "charts" / "modelmon"), str(target)], check=True)
    path = target / "modelmon" / "files" / "crds" / "modelmonitors.yaml"
    head, document = path.read_text().split("---\n", 1)
    crd = yaml.safe_load(document)
    for version in crd["spec"]["versions"]:
        version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][NEW_FIELD] = {"type": "string"}
    path.write_text(head + "---\n" + yaml.safe_dump(crd, sort_keys=False))
    return target / "modelmon"


@pytest.fixture(scope="module")
def helm(control_plane, tmp_path_factory) -> Iterator[Any]:
    binary = _control_plane.build(real_node=True) / "helm"
    home = tmp_path_factory.mktemp("helm")
    env = {
        **os.environ,
        "KUBECONFIG": str(control_plane.kubeconfig),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }

    def run(*args: str) -> str:
        result = subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    yield run


@pytest.fixture(scope="module")
def admin(control_plane) -> kubernetes.client.ApiClient:
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(control_plane.kubeconfig), client_configuration=configuration)
    return kubernetes.client.ApiClient(configuration)


def crd_spec_fields(admin) -> set[str]:
    crd = kubernetes.client.ApiextensionsV1Api(admin).read_custom_resource_definition(CRD)
    version = next(v for v in crd.spec.versions if v.storage)
    return set(version.schema.open_apiv3_schema.properties["spec"].properties)


def test_helm_upgrade_upgrades_the_crds_and_keeps_the_objects(control_plane, helm, admin, tmp_path):
    release, release_namespace, namespace = "mm-upg", f"upg-sys-{uuid.uuid4().hex[:6]}", f"upg-{uuid.uuid4().hex[:6]}"
    core, custom = kubernetes.client.CoreV1Api(admin), kubernetes.client.CustomObjectsApi(admin)
    extensions = kubernetes.client.ApiextensionsV1Api(admin)
    # A clean slate for the CRDs: another module of this session may have applied them.
    for name in (CRD, "retrainingjobs.modelmon.io"):
        try:
            extensions.delete_custom_resource_definition(name)
        except kubernetes.client.ApiException as error:
            assert error.status == 404
    wait_for(
        lambda: (
            not [
                c
                for c in extensions.list_custom_resource_definition().items
                if c.metadata.name.endswith(".modelmon.io")
            ]
        ),
        what="old CRDs gone",
        timeout=60,
    )

    # 1. The old chart: its crds/ are installed once by `helm install`.
    helm("install", release, str(old_chart(tmp_path / "old")), "-n", release_namespace, "--create-namespace")
    assert NEW_FIELD not in crd_spec_fields(admin)
    core.create_namespace({"metadata": {"name": namespace}})
    core.create_namespaced_config_map(
        namespace,
        {
            "metadata": {"name": "credit-data"},
            "data": {
                "reference.csv": (ROOT / "examples" / "data" / "reference.csv").read_text(),
                "current.csv": (ROOT / "examples" / "data" / "current-drifted.csv").read_text(),
            },
        },
    )
    existing = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, monitor_body("credit"))
    # The control: under the old schema the API server drops the field the new one adds.
    pruned = custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, monitor_body("probe-old", **{NEW_FIELD: "kept?"})
    )
    assert NEW_FIELD not in pruned["spec"]

    # 2. To this chart: the CRDs become the release's templates (adopted once).
    # --force-conflicts: CRDs applied earlier by kubectl --server-side (as the old docs said to upgrade them,
    # and as other tests here do) have fields of another manager; adopting them takes those too.
    helm(
        "upgrade",
        release,
        str(ROOT / "charts" / "modelmon"),
        "-n",
        release_namespace,
        "--take-ownership",
        "--force-conflicts",
    )
    crd = extensions.read_custom_resource_definition(CRD)
    assert crd.metadata.annotations["helm.sh/resource-policy"] == "keep"
    assert crd.metadata.annotations["meta.helm.sh/release-name"] == release
    assert (
        custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")["metadata"]["uid"]
        == (existing["metadata"]["uid"])
    )

    # 3. A plain `helm upgrade` to a CRD with a new field: applied, and the field is stored.
    helm("upgrade", release, str(chart_with_new_field(tmp_path / "new")), "-n", release_namespace)
    wait_for(lambda: NEW_FIELD in crd_spec_fields(admin), what="the upgraded CRD served", timeout=30)
    created = wait_for(
        lambda: custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, monitor_body("probe-new", **{NEW_FIELD: "kept"})
        ),
        what="a monitor with the field",
    )
    assert created["spec"][NEW_FIELD] == "kept"
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, "probe-old", {"spec": {NEW_FIELD: "added later"}}
    )
    assert patched["spec"][NEW_FIELD] == "added later"
    assert patched["metadata"]["uid"] == pruned["metadata"]["uid"]
    # The field belongs to a later operator (this one refuses unknown fields by name): only
    # the monitors without it are handed to the operator below.
    for name in ("probe-old", "probe-new"):
        custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    # The monitor created under the old chart, unchanged, is reconciled after the upgrade.
    unchanged = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit")
    assert unchanged["metadata"]["uid"] == existing["metadata"]["uid"] and unchanged["spec"] == existing["spec"]
    with running_operator(
        api=admin,
        settings=OperatorSettings(check_image="modelmon:test", namespaces=[namespace]),
        metrics=OperatorMetrics(),
    ):
        wait_for(
            lambda: any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in (
                    custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "credit").get("status") or {}
                ).get("conditions")
                or []
            ),
            what="the old monitor Ready after the upgrade",
            timeout=90,
        )

    # 4. Uninstall keeps the CRDs and every monitor.
    helm("uninstall", release, "-n", release_namespace)
    assert extensions.read_custom_resource_definition(CRD).metadata.name == CRD
    names = {
        m["metadata"]["name"] for m in custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)["items"]
    }
    assert names == {"credit"}
    core.delete_namespace(namespace)
    core.delete_namespace(release_namespace)
