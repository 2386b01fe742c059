"""The layering contracts of pyproject.toml ([tool.importlinter]) hold for the code as it is,
and the product's wheel holds the product only (the kits stay in the repository)."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import setuptools

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is part of the test extra: pip install -e '.[test]'"
    # The kits are a root package of the contracts; find them whether or not `make setup` installed them.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "kits"), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_product_wheel_holds_modelmon_only():
    """The emulator and the demo are kits (kits/modelmon_kits), not part of what the image installs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    where = project["tool"]["setuptools"]["packages"]["find"]["where"]
    packages = [name for root in where for name in setuptools.find_packages(str(ROOT / root))]
    assert "modelmon" in packages
    assert all(name == "modelmon" or name.startswith("modelmon.") for name in packages), packages
    assert not any(name.split(".")[1:2] in (["emulation"], ["demo"]) for name in packages), packages


def test_test_modules_have_unique_names():
    """Test folders are not packages, so pytest imports each module by its file name: two modules of
    one name stop the whole run at collection ("import file mismatch"), as CI found twice."""
    names: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if not (path.parent / "__init__.py").exists():
            names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: paths for name, paths in names.items() if len(paths) > 1}


def test_the_status_of_our_objects_has_one_writer():
    """The operator writes the status of ModelMonitors and RetrainingJobs through k8s/status_writes.py
    only (onto the version planned from); the drift-check pod writes its own status.lastCheck."""
    allowed = {Path("operator/modelmon/k8s/status_writes.py"), Path("operator/modelmon/check_job.py")}
    writers = {
        path.relative_to(ROOT)
        for path in (ROOT / "operator" / "modelmon").rglob("*.py")
        if "patch_namespaced_custom_object_status" in path.read_text()
    }
    assert writers <= allowed, sorted(map(str, writers - allowed))
    assert Path("operator/modelmon/k8s/status_writes.py") in writers


def test_the_readme_states_the_layers_of_the_contract():
    """The README's layering sentence names the same layers, in the same order, as the contract."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    contract = [{name.strip().removeprefix("modelmon.") for name in re.split(r"[|:]", layer)} for layer in layers]
    readme = " ".join((ROOT / "README.md").read_text().split())
    sentence = readme.split("The layering, top to bottom: ", 1)[1].split(". It is an import-linter", 1)[0]

    def named(part: str) -> set[str]:
        modules = {name.rstrip("/") for name in re.findall(r"`([^`]+)`", part)}
        return modules | ({"modelmon_kits"} if "the kits" in part else set())

    assert [named(part) for part in sentence.split(" > ")] == contract
