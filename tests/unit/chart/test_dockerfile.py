"""The operator image's Dockerfile, read statically. The image itself is built from it and run
on a real node by the end-to-end tier (hack/images.py, tests/e2e)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib

import setuptools

from chart_rendering import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCKERIGNORE = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]


def final_stage() -> str:
    return re.split(r"^FROM\s", DOCKERFILE, flags=re.M)[-1]


def instruction(name: str, text: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", text)  # continuation lines make one instruction
    return re.findall(rf"^{name}\s+(.+)$", joined, flags=re.M)


def test_users_pull_the_official_python_base_by_default_pinned_by_digest():
    (base,) = instruction("ARG", DOCKERFILE.split("FROM", 1)[0])
    assert re.fullmatch(r"BASE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base), base
    assert all(stage.startswith("${BASE}") for stage in re.split(r"^FROM\s", DOCKERFILE, flags=re.M)[1:])


def test_runs_modelmon_run_as_a_numeric_non_root_user():
    stage = final_stage()
    (user,) = instruction("USER", stage)
    uid, _, gid = user.strip().partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    assert json.loads(instruction("ENTRYPOINT", stage)[0]) == ["modelmon"]
    assert json.loads(instruction("CMD", stage)[0]) == ["run"]


def test_installs_the_product_only_from_wheels_only():
    """The product and its report extra only (the check job publishes HTML reports): the demo and the
    emulator are kits, and test tools never reach the operator's image."""
    builds = " ".join(instruction("RUN", DOCKERFILE))
    # the dependencies from the hash-checked lock file, then the package alone
    assert re.search(r"pip wheel [^&]*--require-hashes [^&]*--wheel-dir /wheels -r requirements/image\.txt", builds)
    assert re.search(r"pip wheel [^&]*--no-deps [^&]*--wheel-dir /wheels \.(\s|$)", builds), builds
    install = " ".join(line for line in instruction("RUN", final_stage()) if "pip install" in line)
    assert "--no-index" in install and re.search(r'--find-links /wheels "modelmon\[report\]"(\s|$)', install), install
    assert not re.search(r"demo|test|kits", install)


LOCK = ROOT / "requirements" / "image.txt"


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) of the image's lock file."""
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", LOCK.read_text(), flags=re.I):
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if match:
            name = match.group(1).lower().replace("_", "-")
            pins[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def test_the_lock_file_pins_every_dependency_of_the_image_with_hashes():
    """Made by pip-compile from pyproject.toml with the report extra: every dependency the package
    declares is pinned to one version, with its hashes, inside the declared range."""
    from packaging.requirements import Requirement

    header = LOCK.read_text().split("\n\n", 1)[0]
    assert "pip-compile" in header and "--extra=report" in header and "--generate-hashes" in header
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked()
    assert len(pins) > 20 and all(hashes for _, hashes in pins.values()), "every pin carries its hashes"
    for text in project["dependencies"] + project["optional-dependencies"]["report"]:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in {LOCK.name}: run the pip-compile of its header"
        assert requirement.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} is outside {requirement}"


def test_the_numeric_user_has_a_passwd_entry():
    """kopf names its identity after the user (getpass.getuser()): without an entry the
    operator crashed at start on a real node (KeyError: getpwuid(): uid not found: 65532)."""
    user = instruction("USER", final_stage())[0].strip()
    uid, _, gid = user.partition(":")
    runs = " ".join(instruction("RUN", final_stage()))
    assert re.search(rf"modelmon:x:{uid}:{gid}:[^']*' >> /etc/passwd", runs), runs
    assert re.search(rf"modelmon:x:{gid}:'? >> /etc/group", runs), runs


def test_python_writes_nothing_outside_tmp():
    env = " ".join(instruction("ENV", final_stage()))
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env


def test_build_context_leaves_out_what_the_image_does_not_need():
    for excluded in (".git", "tests", "bench", "charts", "**/__pycache__"):
        assert excluded in DOCKERIGNORE
    copied = [line.split()[:-1] for line in instruction("COPY", DOCKERFILE) if "--from" not in line]
    for sources in copied:
        for source in sources:
            assert source not in DOCKERIGNORE, f"{source} is copied but excluded from the build context"


def test_what_the_build_stage_copies_holds_the_whole_package_and_its_entrypoint(tmp_path):
    """The build stage's COPY sources alone (minus .dockerignore) hold every package of the
    project, the files pyproject.toml names, and the console script's target, importable."""
    context = tmp_path / "context"
    context.mkdir()
    ignored = shutil.ignore_patterns(*[p.removeprefix("**/") for p in DOCKERIGNORE])
    for line in instruction("COPY", DOCKERFILE):
        if "--from" in line:
            continue
        *sources, _destination = line.split()
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, context / source, ignore=ignored)
            else:
                shutil.copy(path, context / source)
    project = tomllib.loads((context / "pyproject.toml").read_text())
    assert (context / project["project"]["readme"]).is_file()
    where = project["tool"]["setuptools"]["packages"]["find"]["where"]
    assert sorted(setuptools.find_packages(where=str(context / where[0]))) == sorted(
        setuptools.find_packages(where=str(ROOT / where[0])))
    assert (context / where[0] / "modelmon" / "py.typed").is_file()
    module, _, function = project["project"]["scripts"]["modelmon"].partition(":")
    probe = (f"import sys; sys.path.insert(0, {str(context / where[0])!r}); import {module} as m; "
             f"assert m.__file__.startswith({str(context)!r}), m.__file__; assert callable(m.{function}); "
             f"sys.argv = ['modelmon', 'run', '--help']; m.{function}()")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Run the operator" in result.stdout
