#!/usr/bin/env python3
"""The container images of the end-to-end tier, built here without a registry.

No container registry is reachable from these machines, so nothing can be pulled -- not even
a base image. This module builds:

- ``base``: a Debian bookworm root filesystem with python3 (mmdebstrap), imported as an image;
- ``modelmon``: the operator's image from the repository's own ``Dockerfile``, its ``BASE``
  build argument pointing at that base (users keep ``docker build .`` on the default);
- ``model-server`` and ``trainer``: the examples' images (examples/model-server,
  examples/retraining), from their Dockerfiles the same way;
- ``pause``: the pod sandbox image the test node's containerd needs (hack/k8s/pause).

Each image is built with buildah (Debian package; vfs storage, chroot isolation) and saved as
an OCI archive that ``ctr images import`` takes. Archives are cached by content -- a hash of
the Dockerfile, the files it copies and the base's key -- under

    ${MODELMON_CACHE_DIR:-$HOME/.cache/modelmon}/images/<name>-<key>.tar

so a warm run builds nothing. pip inside a build verifies TLS against the host's CA bundle,
mounted read-only for the build and never copied into an image.

    python3 hack/images.py build          # every image (cached)
    python3 hack/images.py list           # name, reference, archive, cached?
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HACK = Path(__file__).resolve().parent
ROOT = HACK.parent
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")

# The base: what the Dockerfiles need from `python:3.11-slim` (python3 with venv and pip,
# CA certificates). bookworm's python3 is 3.11, the version the project supports.
DEBIAN_SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")


class ImageError(RuntimeError):
    """An image could not be built; the message names the step and ends with its output."""


def _log(message: str) -> None:
    print(f"[images] {message}", file=sys.stderr, flush=True)


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


@dataclass(frozen=True)
class Image:
    """One image: where its Dockerfile and context are, and the reference it is tagged with."""

    name: str
    reference: str
    context: Path
    inputs: tuple[str, ...]  # paths under context whose content decides the image

    def files(self) -> Iterable[Path]:
        for entry in self.inputs:
            path = self.context / entry
            if path.is_dir():
                yield from sorted(p for p in path.rglob("*") if p.is_file()
                                  and "__pycache__" not in p.parts and p.suffix != ".pyc"
                                  and not any(part.endswith(".egg-info") for part in p.parts))
            else:
                yield path


def images() -> dict[str, Image]:
    """The product image and the examples' images, tagged as users and the examples name them."""
    version = project_version()
    return {
        "modelmon": Image("modelmon", f"ghcr.io/modelmon/modelmon:{version}", ROOT,
                          ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md", "LICENSE", "requirements",
                           "operator")),
        "model-server": Image("model-server", "ghcr.io/modelmon/example-model-server:0.1.0",
                              ROOT / "examples" / "model-server", ("Dockerfile", "server.py", "models")),
        "trainer": Image("trainer", "ghcr.io/modelmon/example-trainer:0.1.0",
                         ROOT / "examples" / "retraining", ("Dockerfile", "train.py")),
    }


PAUSE_REFERENCE = "localhost/modelmon/pause:1"


def cache_dir() -> Path:
    base = os.environ.get("MODELMON_CACHE_DIR") or str(Path.home() / ".cache" / "modelmon")
    return Path(base) / "images"


def _digest(parts: Iterable[bytes]) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(hashlib.sha256(part).digest())
    return sha.hexdigest()[:16]


def base_key() -> str:
    return _digest([DEBIAN_SUITE.encode(), " ".join(BASE_PACKAGES).encode(), b"minbase"])


def base_reference() -> str:
    return f"localhost/modelmon/base-{DEBIAN_SUITE}:{base_key()}"


def image_key(image: Image) -> str:
    def parts() -> Iterable[bytes]:
        yield base_key().encode()
        yield image.reference.encode()
        for path in image.files():
            yield str(path.relative_to(image.context)).encode()
            yield path.read_bytes()
    return _digest(parts())


def pause_key() -> str:
    return _digest([(HACK / "k8s" / "pause" / "main.go").read_bytes(), (HACK / "k8s" / "go.mod").read_bytes()])


def archive_path(name: str, key: str) -> Path:
    return cache_dir() / f"{name}-{key}.tar"


# --------------------------------------------------------------------------- buildah


def _run(step: str, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    t0 = time.monotonic()
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=cwd, check=False)
    if result.returncode != 0:
        raise ImageError(f"{step}: `{' '.join(argv)}` failed with exit status {result.returncode}:\n"
                         f"{result.stdout[-6000:]}")
    _log(f"{step} ({time.monotonic() - t0:.1f}s)")
    return result.stdout


def _need(*tools: str) -> None:
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        raise ImageError(f"{', '.join(missing)} not found: install the Debian packages "
                         "(`apt-get install mmdebstrap buildah`; hack/setup.sh does)")


class Buildah:
    """buildah with its own storage under the cache directory (vfs: works on any filesystem)."""

    def __init__(self, work: Path) -> None:
        self.root = cache_dir() / "storage"
        self.runroot = work / "runroot"
        self.env = {**os.environ, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot",
                    "TMPDIR": str(work)}

    def argv(self, *args: str) -> list[str]:
        return ["buildah", "--root", str(self.root), "--runroot", str(self.runroot),
                "--storage-driver", "vfs", *args]

    def run(self, step: str, *args: str, cwd: Path | None = None) -> str:
        return _run(step, self.argv(*args), env=self.env, cwd=cwd)

    def exists(self, reference: str) -> bool:
        result = subprocess.run(self.argv("inspect", "--type", "image", reference), env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, check=False)
        return result.returncode == 0

    def forget(self, reference: str) -> None:
        """Drop an image (and the build stages left untagged) from the storage once archived:
        vfs keeps a full copy per layer, and the archive is what later runs use."""
        for args in (("rmi", "--force", reference), ("rmi", "--prune", "--force")):
            subprocess.run(self.argv(*args), env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    def save(self, reference: str, archive: Path) -> None:
        partial = archive.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        self.run(f"save {reference}", "push", "--quiet", reference, f"oci-archive:{partial}:{reference}")
        partial.rename(archive)


def build_base(buildah: Buildah, work: Path) -> str:
    reference = base_reference()
    if buildah.exists(reference):
        return reference
    _need("mmdebstrap")
    rootfs = work / "base.tar"
    _run("mmdebstrap " + DEBIAN_SUITE, ["mmdebstrap", "--quiet", "--variant=minbase",
                                        "--include=" + ",".join(BASE_PACKAGES), DEBIAN_SUITE, str(rootfs)])
    container = buildah.run("from scratch", "from", "scratch").strip()
    try:
        buildah.run("add the root filesystem", "add", container, str(rootfs), "/")
        # apt's lists and caches are of no use in an image that never runs apt.
        buildah.run("config", "config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "--env", "LANG=C.UTF-8", "--cmd", "python3", container)
        buildah.run(f"commit {reference}", "commit", "--quiet", container, reference)
    finally:
        subprocess.run(buildah.argv("rm", container), env=buildah.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    return reference


def build_image(buildah: Buildah, image: Image, base: str) -> None:
    volumes = []
    if HOST_CA.exists():  # for pip's TLS during the build only; never part of a layer
        volumes = ["--volume", f"{HOST_CA}:{HOST_CA}:ro"]
    buildah.run(f"build {image.reference}", "bud", "--quiet", "--network", "host", "--isolation", "chroot",
                "--build-arg", f"BASE={base}", *volumes, "--tag", image.reference,
                "--file", str(image.context / "Dockerfile"), str(image.context))


def build_pause(buildah: Buildah, work: Path) -> None:
    binary = work / "pause"
    _run("go build pause", ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(binary), "./pause"],
         env={**os.environ, "CGO_ENABLED": "0"}, cwd=HACK / "k8s")
    container = buildah.run("from scratch", "from", "scratch").strip()
    try:
        buildah.run("copy pause", "copy", "--chmod", "0755", container, str(binary), "/pause")
        buildah.run("config", "config", "--entrypoint", '["/pause"]', "--user", "65535:65535", container)
        buildah.run(f"commit {PAUSE_REFERENCE}", "commit", "--quiet", container, PAUSE_REFERENCE)
    finally:
        subprocess.run(buildah.argv("rm", container), env=buildah.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


@dataclass(frozen=True)
class Built:
    name: str
    reference: str
    archive: Path

    def image_id(self) -> str:
        """The image's ID as the container runtime reports it (a pod's ``imageID``): the
        digest of its config, read from the OCI archive."""
        with tarfile.open(self.archive) as archive:
            def blob(digest: str) -> dict[str, Any]:
                member = archive.extractfile("blobs/" + digest.replace(":", "/"))
                assert member is not None
                return dict(json.load(member))
            index_member = archive.extractfile("index.json")
            assert index_member is not None
            manifest = blob(json.load(index_member)["manifests"][0]["digest"])
            return str(manifest["config"]["digest"])


def planned() -> list[Built]:
    """Every image with the archive it is (or would be) cached in."""
    found = [Built(name, image.reference, archive_path(name, image_key(image)))
             for name, image in images().items()]
    return [*found, Built("pause", PAUSE_REFERENCE, archive_path("pause", pause_key()))]


def build(names: Iterable[str] | None = None) -> list[Built]:
    """Build what the cache lacks; return every requested image with its OCI archive."""
    wanted = set(names) if names is not None else None
    unknown = sorted((wanted or set()) - {b.name for b in planned()})
    if unknown:
        raise ImageError(f"no image named {', '.join(unknown)}; the images are {', '.join(b.name for b in planned())}")
    todo = [b for b in planned() if wanted is None or b.name in wanted]
    if all(b.archive.exists() for b in todo):
        return todo
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the others wait and reuse it
        missing = [b for b in todo if not b.archive.exists()]
        if not missing:
            return todo
        _need("buildah", "go")
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="modelmon-images.") as tmp:
            work = Path(tmp)
            buildah = Buildah(work)
            base = None
            for item in missing:
                if item.name == "pause":
                    build_pause(buildah, work)
                else:
                    base = base or build_base(buildah, work)
                    build_image(buildah, images()[item.name], base)
                buildah.save(item.reference, item.archive)
                buildah.forget(item.reference)
                _prune(item)
        _log(f"built {', '.join(b.name for b in missing)} in {time.monotonic() - t0:.1f}s")
    return todo


def _prune(current: Built) -> None:
    """Drop older archives of the same image: the cache holds one per image."""
    for old in cache_dir().glob(f"{current.name}-*.tar"):
        if old != current.archive:
            old.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build the images the cache lacks")
    build_cmd.add_argument("names", nargs="*", help=f"only these (of {', '.join([*images(), 'pause'])})")
    commands.add_parser("list", help="print each image, its reference, archive and whether it is cached")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            t0 = time.monotonic()
            built = build(args.names or None)
            print(f"images ready in {time.monotonic() - t0:.1f}s:")
            for item in built:
                print(f"  {item.reference:55} {item.archive}")
        else:
            print(json.dumps([{"name": b.name, "reference": b.reference, "archive": str(b.archive),
                               "cached": b.archive.exists()} for b in planned()], indent=2))
    except ImageError as error:
        print(f"images: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
