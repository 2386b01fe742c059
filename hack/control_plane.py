#!/usr/bin/env python3
"""A real Kubernetes control plane on loopback for the tests and for a person at a terminal.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes whose
pods become Running/Ready, and Succeeded when a Job owns them) are built from the Go
modules pinned in hack/k8s/go.mod, once, into a cache keyed by their versions:

    ${MODELMON_CACHE_DIR:-$HOME/.cache/modelmon}/control-plane/<k8s>-kwok<v>-etcd<v>/bin/

Commands:
    python3 hack/control_plane.py build   # build once (cold: tens of minutes; warm: instant)
    python3 hack/control_plane.py up      # start, print `export KUBECONFIG=...`, wait for Ctrl-C
    python3 hack/control_plane.py build --real-node   # also kubelet, kube-proxy, helm and the images
    python3 hack/control_plane.py up --real-node      # one real node (hack/node.py) instead of kwok's

With ``--real-node`` the pods run for real: containerd, runc and CNI from Debian, kubelet and
kube-proxy from the same pinned module, the images of hack/images.py imported (needs root).

From Python (stdlib only; put hack/ on sys.path, then ``import control_plane``):

    plane = control_plane.start(workdir)   # builds if needed; returns when usable
    plane.kubeconfig, plane.server         # admin kubeconfig path, https URL
    plane.stop()

``start`` returns once /readyz is ok, a kwok node is Ready and the ``default``
ServiceAccount exists in ``default``. Every component logs to ``<workdir>/logs/``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

HACK = Path(__file__).resolve().parent
if str(HACK) not in sys.path:
    sys.path.insert(0, str(HACK))

import images as _images  # noqa: E402 (hack/ is not a package)
import node as _node  # noqa: E402
MODULE = HACK / "k8s"
KWOK_STAGES = MODULE / "kwok-stages.yaml"

# Binary name -> (Go module directory, package). kwok has a module of its own: it is built
# against the client libraries it was released with, not those of k8s.io/kubernetes.
TOOLS = {
    "etcd": (MODULE, "go.etcd.io/etcd/server/v3"),
    "kube-apiserver": (MODULE, "k8s.io/kubernetes/cmd/kube-apiserver"),
    "kube-controller-manager": (MODULE, "k8s.io/kubernetes/cmd/kube-controller-manager"),
    "kube-scheduler": (MODULE, "k8s.io/kubernetes/cmd/kube-scheduler"),
    "kwok": (MODULE / "kwok", "sigs.k8s.io/kwok/cmd/kwok"),
}
# The real node's binaries and the Helm CLI of the end-to-end tier: built on demand, into the
# same cache directory, only when a real node is asked for. Helm has a module of its own.
NODE_TOOLS = {
    "kubelet": (MODULE, "k8s.io/kubernetes/cmd/kubelet"),
    "kube-proxy": (MODULE, "k8s.io/kubernetes/cmd/kube-proxy"),
    "helm": (MODULE / "helm", "helm.sh/helm/v4/cmd/helm"),
}

# The controllers a workload needs; names as kube-controller-manager --help lists them.
CONTROLLERS = [
    "clusterrole-aggregation-controller",
    "cronjob-controller",
    "daemonset-controller",
    "deployment-controller",
    "disruption-controller",
    "endpoints-controller",
    "endpointslice-controller",
    "endpointslice-mirroring-controller",
    "garbage-collector-controller",
    "horizontal-pod-autoscaler-controller",
    "job-controller",
    "namespace-controller",
    "node-lifecycle-controller",
    # Volumes: a claim binds to a volume (the real node's examples keep models on one).
    "persistentvolume-attach-detach-controller",
    "persistentvolume-binder-controller",
    "persistentvolume-protection-controller",
    "persistentvolumeclaim-protection-controller",
    "pod-garbage-collector-controller",
    "replicaset-controller",
    "replicationcontroller-controller",
    "resourcequota-controller",
    "root-ca-certificate-publisher-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "statefulset-controller",
    "taint-eviction-controller",
    "ttl-after-finished-controller",
]

SERVICE_CIDR = "10.0.0.0/24"
SERVICE_IP = "10.0.0.1"  # first address of SERVICE_CIDR: the `kubernetes` Service
NODES = ("kwok-node-0", "kwok-node-1")
KWOK_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")


class ControlPlaneError(RuntimeError):
    """The control plane could not be built or started; the message says why."""


def _log(message: str) -> None:
    print(f"[control-plane] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- build


def versions() -> dict[str, str]:
    """The pinned versions, read from the go.mod files under hack/k8s (their one source)."""
    found = {}
    for name, gomod, module in (("kubernetes", MODULE / "go.mod", "k8s.io/kubernetes"),
                                ("etcd", MODULE / "go.mod", "go.etcd.io/etcd/server/v3"),
                                ("kwok", MODULE / "kwok" / "go.mod", "sigs.k8s.io/kwok"),
                                ("helm", MODULE / "helm" / "go.mod", "helm.sh/helm/v4")):
        match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", gomod.read_text(), re.MULTILINE)
        if not match:
            raise ControlPlaneError(f"{module} is not required in {gomod}")
        found[name] = match.group(1)
    return found


def cache_root() -> Path:
    base = os.environ.get("MODELMON_CACHE_DIR") or str(Path.home() / ".cache" / "modelmon")
    return Path(base) / "control-plane"


# Bump when the way the binaries are built changes, so that caches built the old way are not reused.
BUILD_REVISION = 2  # 2: version stamps (-X ldflags), kubelet, kube-proxy and helm


def bin_dir() -> Path:
    v = versions()
    return cache_root() / f"{v['kubernetes']}-kwok{v['kwok']}-etcd{v['etcd']}-helm{v['helm']}-r{BUILD_REVISION}" / "bin"


def _ldflags(package: str) -> str:
    """Strip symbols, and stamp the version: unstamped, the API server reports v0.0.0-master
    and Helm refuses every chart with a kubeVersion constraint."""
    v = versions()
    stamps = []
    if package.startswith("k8s.io/kubernetes/"):
        major, minor = v["kubernetes"].lstrip("v").split(".")[:2]
        stamps = [f"-X k8s.io/component-base/version.{name}={value}" for name, value in (
            ("gitVersion", v["kubernetes"]), ("gitMajor", major), ("gitMinor", minor),
            ("gitTreeState", "clean"))]
    elif package.startswith("helm.sh/helm/"):
        stamps = [f"-X helm.sh/helm/v4/internal/version.version={v['helm']}"]
    return " ".join(["-s", "-w", *stamps])


def _tools(real_node: bool) -> dict[str, tuple[Path, str]]:
    return {**TOOLS, **NODE_TOOLS} if real_node else dict(TOOLS)


def is_built(*, real_node: bool = False) -> bool:
    directory = bin_dir()
    return all(os.access(directory / name, os.X_OK) for name in _tools(real_node))


def build(*, force: bool = False, real_node: bool = False) -> Path:
    """Build the binaries once into the versioned cache directory; return that directory.

    A finished build is reused (the check costs milliseconds); only missing binaries are
    built. The Go module and build caches stay at their defaults, so a rebuild on the same
    machine is incremental.
    """
    target = bin_dir()
    if is_built(real_node=real_node) and not force:
        _log(f"binaries present in {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the others wait and reuse it
        if is_built(real_node=real_node) and not force:
            _log(f"binaries present in {target}")
            return target
        tools = _tools(real_node)
        if not force:
            tools = {k: v for k, v in tools.items() if not os.access(target / k, os.X_OK)}
        return _build(target, tools)


def _build(target: Path, tools: dict[str, tuple[Path, str]]) -> Path:
    go = shutil.which("go")
    if not go:
        raise ControlPlaneError("`go` is not on PATH: the control plane is built from Go modules "
                                "(hack/k8s/go.mod); install Go >= 1.24")
    staging = Path(tempfile.mkdtemp(prefix="bin.", dir=target.parent))
    staging.chmod(0o755)
    if target.exists():  # keep what is built; add the missing binaries
        for existing in target.iterdir():
            if existing.name not in tools:
                shutil.copy2(existing, staging / existing.name)
    started = time.monotonic()
    try:
        timings = {}
        for name, (module, package) in tools.items():
            _log(f"go build {package} (the first build takes a while on a small machine)")
            t0 = time.monotonic()
            command = [go, "build", "-trimpath", f"-ldflags={_ldflags(package)}", "-o", str(staging / name), package]
            result = subprocess.run(command, cwd=module, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, check=False)
            if result.returncode != 0:
                raise ControlPlaneError(f"`{' '.join(command)}` (in {module}) failed with exit "
                                        f"status {result.returncode}:\n{result.stdout[-6000:]}")
            timings[name] = time.monotonic() - t0
            _log(f"built {name} in {timings[name]:.1f}s")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _log(f"built {', '.join(tools)} in {time.monotonic() - started:.1f}s into {target}")
    return target


# --------------------------------------------------------------------------- certificates


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, check=False)
    if result.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)} failed:\n{result.stdout}")


def _issue(pki: Path, name: str, *, cn: str, org: str | None = None, server: bool = False,
           sans: list[str] | None = None) -> None:
    """An EC key and a certificate for it signed by the CA in ``pki`` (ca.crt, ca.key)."""
    extensions = ["basicConstraints = critical, CA:FALSE",
                  "keyUsage = critical, digitalSignature, keyEncipherment",
                  f"extendedKeyUsage = {'serverAuth' if server else 'clientAuth'}"]
    if sans:
        extensions.append("subjectAltName = " + ", ".join(sans))
    subject = [f"CN = {cn}"] + ([f"O = {org}"] if org else [])
    (pki / f"{name}.cnf").write_text(
        "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ext\n"
        "[dn]\n" + "\n".join(subject) + "\n[ext]\n" + "\n".join(extensions) + "\n")
    _openssl("req", "-x509", "-config", f"{name}.cnf", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{name}.key", "-out",
             f"{name}.crt", "-days", "365", "-CA", "ca.crt", "-CAkey", "ca.key", cwd=pki)


def make_pki(pki: Path, *, real_node: bool = False) -> None:
    """CA, API server serving cert, client certs and the service-account signing key.

    With a real node also the kubelet's client and serving certificates and the API server's
    client certificate towards the kubelet (logs, exec, port-forward).
    """
    pki.mkdir(parents=True, exist_ok=True)
    (pki / "ca.cnf").write_text(
        "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ext\n"
        "[dn]\nCN = modelmon-test-ca\n[ext]\nbasicConstraints = critical, CA:TRUE\n"
        "keyUsage = critical, keyCertSign, cRLSign, digitalSignature\n"
        "subjectKeyIdentifier = hash\n")
    _openssl("req", "-x509", "-config", "ca.cnf", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "365", cwd=pki)
    _issue(pki, "apiserver", cn="kube-apiserver", server=True, sans=[
        "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local", "IP:127.0.0.1", f"IP:{SERVICE_IP}",
        *([f"IP:{_node.NODE_IP}"] if real_node else [])])
    if real_node:
        _issue(pki, "kubelet", cn=f"system:node:{_node.NODE_NAME}", org="system:nodes")
        _issue(pki, "kubelet-serving", cn=_node.NODE_NAME, server=True,
               sans=[f"DNS:{_node.NODE_NAME}", f"IP:{_node.NODE_IP}"])
        _issue(pki, "apiserver-kubelet-client", cn="kube-apiserver-kubelet-client", org="system:masters")
    _issue(pki, "admin", cn="kubernetes-admin", org="system:masters")
    _issue(pki, "controller-manager", cn="system:kube-controller-manager")
    _issue(pki, "scheduler", cn="system:kube-scheduler")
    # The API server's identity towards aggregated API servers (requestheader authentication).
    _issue(pki, "front-proxy-client", cn="front-proxy-client")
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key",
             cwd=pki)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    for key in pki.glob("*.key"):
        key.chmod(0o600)


def write_kubeconfig(path: Path, *, server: str, pki: Path, user: str) -> None:
    """A kubeconfig with the certificates embedded, so it can be copied anywhere."""
    def b64(name: str) -> str:
        return base64.b64encode((pki / name).read_bytes()).decode()
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": "modelmon", "cluster": {
            "server": server, "certificate-authority-data": b64("ca.crt")}}],
        "users": [{"name": user, "user": {
            "client-certificate-data": b64(f"{user}.crt"), "client-key-data": b64(f"{user}.key")}}],
        "contexts": [{"name": "modelmon", "context": {
            "cluster": "modelmon", "user": user, "namespace": "default"}}],
        "current-context": "modelmon",
    }
    path.write_text(json.dumps(config, indent=2) + "\n")  # JSON is YAML
    path.chmod(0o600)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# A watchdog process reads the components' process ids from a pipe; when the pipe closes
# because we died without stopping them (a killed test run), it kills their process groups.
_WATCHDOG = """
import os, signal, sys
pids = [int(line) for line in sys.stdin]
for pid in pids:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
"""


def _watchdog() -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG], stdin=subprocess.PIPE, text=True,
                            stdout=subprocess.DEVNULL, start_new_session=True)


@dataclass
class Component:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise ControlPlaneError(f"{self.name} exited with status {code}; the end of "
                                    f"{self.log}:\n{self.tail()}")


@dataclass
class ControlPlane:
    """A running control plane. ``kubeconfig`` is the admin's (group system:masters)."""

    workdir: Path
    server: str
    kubeconfig: Path
    components: list[Component] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    remove_workdir: bool = False
    started_in: float = 0.0
    watchdog: subprocess.Popen[str] | None = None
    node: _node.RealNode | None = None

    @property
    def ca_file(self) -> Path:
        return self.workdir / "pki" / "ca.crt"

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    def pids(self) -> dict[str, int]:
        return {c.name: c.process.pid for c in self.components if c.process.poll() is None}

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of each component (Linux /proc), for reports."""
        sizes = {}
        for name, pid in self.pids().items():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[name] = int(line.split()[1]) * 1024
        return sizes

    def request(self, method: str, path: str, body: Any = None, *,
                content_type: str = "application/json", timeout: float = 10.0) -> Any:
        """One call to the API server as the admin; returns the decoded JSON (or raises)."""
        return _request(self._ssl(), self.server, method, path, body,
                        content_type=content_type, timeout=timeout)

    def _ssl(self) -> ssl.SSLContext:
        pki = self.workdir / "pki"
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        return context

    def stop(self) -> None:
        """Stop every component (SIGTERM, then SIGKILL after a grace period); clean up."""
        if self.components:
            rss = self.rss_bytes()
            _log("stopping; resident memory " + ", ".join(f"{k} {v >> 20} MiB" for k, v in rss.items())
                 + f", total {sum(rss.values()) >> 20} MiB")
        if self.watchdog:  # not needed any more: we are here to stop them
            self.watchdog.kill()
            self.watchdog.wait()
            self.watchdog = None
        for component in reversed(self.components):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(component.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for component in reversed(self.components):
            try:
                component.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(component.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                component.process.wait(5)
        self.components.clear()
        if self.node:  # pods outlive the kubelet and containerd: take them down too
            self.node.stop()
            self.node = None
        shutil.rmtree(self.workdir / "etcd", ignore_errors=True)
        if self.remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _request(context: ssl.SSLContext | None, server: str, method: str, path: str, body: Any = None,
             *, content_type: str = "application/json", timeout: float = 10.0) -> Any:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(server + path, data=data, method=method,
                                     headers={"Content-Type": content_type,
                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=timeout) as response:
        raw = response.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _spawn(plane: ControlPlane, name: str, argv: list[str]) -> Component:
    log = plane.log_dir / f"{name}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=plane.workdir, start_new_session=True)
    if plane.watchdog and plane.watchdog.stdin:
        plane.watchdog.stdin.write(f"{process.pid}\n")
        plane.watchdog.stdin.flush()
    component = Component(name, process, log)
    plane.components.append(component)
    (plane.log_dir / f"{name}.cmdline").write_text(" ".join(argv) + "\n")
    return component


def _wait(what: str, probe: Any, component: Component, timeout: float) -> Any:
    """Poll ``probe`` until it returns something truthy, the component dies, or time runs out."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        component.check_alive()
        try:
            result = probe()
        except (OSError, urllib.error.URLError, ValueError, ssl.SSLError) as error:
            result, last = None, error
        else:
            last = result
        if result:
            return result
        if time.monotonic() > deadline:
            raise ControlPlaneError(f"timed out after {timeout:.0f}s waiting for {what} (last: "
                                    f"{last!r}); the end of {component.log}:\n{component.tail()}")
        time.sleep(0.1)


def _healthz(url: str) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # self-signed serving certs of kcm/scheduler, loopback only
    return _request(context, url, "GET", "/healthz", timeout=2) == "ok"


def start(workdir: str | os.PathLike[str] | None = None, *, timeout: float = 120.0,
          build_if_needed: bool = True, real_node: bool = False,
          images: list[tuple[Path, str]] | None = None) -> ControlPlane:
    """Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.

    ``workdir`` holds certificates, kubeconfigs, logs and the etcd data (removed on stop);
    a temporary directory, removed on stop, when None. Raises ControlPlaneError, with the
    end of the failing component's log, when something does not come up.

    ``real_node``: instead of kwok's fake nodes, one real node (hack/node.py: containerd,
    kubelet, kube-proxy) where pods run; the API server then serves on the node's address,
    which pods reach through the ``kubernetes`` Service. ``images``: (OCI archive, reference)
    pairs imported into the node's containerd; the first whose reference is the pause image
    (hack/images.py) is the pod sandbox image.
    """
    bins = build(real_node=real_node) if build_if_needed else bin_dir()
    if not is_built(real_node=real_node):
        raise ControlPlaneError(f"the control-plane binaries are not in {bins}: run "
                                "`python3 hack/control_plane.py build`")
    for attempt in range(3):
        try:
            return _start(bins, workdir, timeout, real_node=real_node, images=images or [])
        except ControlPlaneError as error:
            # A free port picked here can be taken by another process before ours binds it.
            if "address already in use" not in str(error) or attempt == 2:
                raise
            _log(f"a port was taken meanwhile; starting again: {str(error).splitlines()[0]}")
    raise AssertionError("unreachable")


def _start(bins: Path, workdir: str | os.PathLike[str] | None, timeout: float, *,
           real_node: bool, images: list[tuple[Path, str]]) -> ControlPlane:
    t0 = time.monotonic()
    remove = workdir is None
    root = Path(tempfile.mkdtemp(prefix="modelmon-cp.") if workdir is None else workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in
             ("etcd", "etcd-peer", "apiserver", "controller-manager", "scheduler", "kwok",
              "kubelet", "kubelet-healthz", "kube-proxy-healthz", "kube-proxy-metrics")}
    host = _node.NODE_IP if real_node else "127.0.0.1"
    server = f"https://{host}:{ports['apiserver']}"
    plane = ControlPlane(workdir=root, server=server, kubeconfig=root / "admin.kubeconfig",
                         ports=ports, remove_workdir=remove, watchdog=_watchdog())
    try:
        if real_node:  # first: the API server binds to the node's address
            plane.node = _node.acquire(root / "node")
        plane.log_dir.mkdir(exist_ok=True)
        pki = root / "pki"
        make_pki(pki, real_node=real_node)
        for user in ("admin", "controller-manager", "scheduler", *(["kubelet"] if real_node else [])):
            write_kubeconfig(root / f"{user}.kubeconfig", server=server, pki=pki, user=user)
        _log(f"certificates in {time.monotonic() - t0:.1f}s")

        etcd_url = f"http://127.0.0.1:{ports['etcd']}"
        peer_url = f"http://127.0.0.1:{ports['etcd-peer']}"
        etcd = _spawn(plane, "etcd", [
            str(bins / "etcd"), "--name=modelmon", f"--data-dir={root / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=modelmon={peer_url}", "--initial-cluster-state=new",
            "--unsafe-no-fsync=true",  # throwaway data: no fsync on every write
            "--quota-backend-bytes=2147483648", "--log-level=warn"])
        _wait("etcd /health", lambda: _request(None, etcd_url, "GET", "/health", timeout=2)
              .get("health") == "true", etcd, 30)
        _log(f"etcd ready at {time.monotonic() - t0:.1f}s")

        apiserver = _spawn(plane, "kube-apiserver", [
            str(bins / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            f"--bind-address={host}", f"--advertise-address={host}",
            f"--secure-port={ports['apiserver']}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--authorization-mode=Node,RBAC",
            # On top of the default set (NamespaceLifecycle, LimitRanger, ServiceAccount,
            # PodSecurity, Priority, DefaultTolerationSeconds, ResourceQuota, the admission
            # webhooks and policies, ...), as kubeadm does:
            "--enable-admission-plugins=NodeRestriction",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true",
            f"--requestheader-client-ca-file={pki / 'ca.crt'}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
            *(_real_node_apiserver_flags(pki) if real_node else
              # No real endpoint can reach a loopback apiserver from a pod: publish none.
              ["--endpoint-reconciler-type=none"]),
            "--profiling=false", "--v=1"])
        _wait("kube-apiserver /readyz", lambda: plane.request("GET", "/readyz", timeout=2) == "ok",
              apiserver, timeout)
        _log(f"kube-apiserver ready at {time.monotonic() - t0:.1f}s")

        cm_kubeconfig = root / "controller-manager.kubeconfig"
        controller_manager = _spawn(plane, "kube-controller-manager", [
            str(bins / "kube-controller-manager"),
            f"--kubeconfig={cm_kubeconfig}", f"--authentication-kubeconfig={cm_kubeconfig}",
            f"--authorization-kubeconfig={cm_kubeconfig}",
            "--bind-address=127.0.0.1", f"--secure-port={ports['controller-manager']}",
            f"--cert-dir={root / 'controller-manager'}",
            f"--controllers={','.join(CONTROLLERS)}",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--leader-elect=false", "--profiling=false", "--v=1"])
        sched_kubeconfig = root / "scheduler.kubeconfig"
        scheduler = _spawn(plane, "kube-scheduler", [
            str(bins / "kube-scheduler"),
            f"--kubeconfig={sched_kubeconfig}", f"--authentication-kubeconfig={sched_kubeconfig}",
            f"--authorization-kubeconfig={sched_kubeconfig}",
            "--bind-address=127.0.0.1", f"--secure-port={ports['scheduler']}",
            f"--cert-dir={root / 'scheduler'}",
            "--leader-elect=false", "--profiling=false", "--v=1"])
        if not real_node:
            kwok_config = root / "kwok.yaml"
            kwok_config.write_text(KWOK_STAGES.read_text() if KWOK_STAGES.exists() else "")
            kwok = _spawn(plane, "kwok", [
                str(bins / "kwok"),
                f"--kubeconfig={plane.kubeconfig}", f"--config={kwok_config}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=" + "=".join(KWOK_NODE_ANNOTATION),
                f"--server-address=127.0.0.1:{ports['kwok']}",
                "--node-ip=127.0.0.1", "--cidr=10.244.0.0/16",
                "--node-lease-duration-seconds=40"])
            for name in NODES:
                plane.request("POST", "/api/v1/nodes", _kwok_node(name))
        _wait("kube-controller-manager /healthz",
              lambda: _healthz(f"https://127.0.0.1:{ports['controller-manager']}"),
              controller_manager, timeout)
        _wait("kube-scheduler /healthz", lambda: _healthz(f"https://127.0.0.1:{ports['scheduler']}"),
              scheduler, timeout)
        if real_node:
            _start_real_node(plane, bins, images, timeout)
        else:
            _wait(f"node {NODES[0]} Ready (kwok)", lambda: _node_ready(plane, NODES[0]), kwok, timeout)
        _wait("ServiceAccount default/default (kube-controller-manager)",
              lambda: plane.request("GET", "/api/v1/namespaces/default/serviceaccounts/default"),
              controller_manager, timeout)
        for component in plane.components:
            component.check_alive()
    except BaseException:
        plane.stop()
        raise
    plane.started_in = time.monotonic() - t0
    _log(f"control plane ready in {plane.started_in:.1f}s: {server} (logs: {plane.log_dir})")
    return plane


def _real_node_apiserver_flags(pki: Path) -> list[str]:
    return [f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
            "--kubelet-preferred-address-types=InternalIP",
            # The `kubernetes` Service's endpoint is the API server's address on the node, so
            # in-cluster clients (the operator, the check jobs) reach it through kube-proxy.
            "--endpoint-reconciler-type=lease"]


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return bool(response.status == 200)


def _start_real_node(plane: ControlPlane, bins: Path, images: list[tuple[Path, str]], timeout: float) -> None:
    """containerd (with the images imported), kubelet and kube-proxy; returns once the node is Ready."""
    node = plane.node
    assert node is not None
    t0 = time.monotonic()
    work = node.workdir
    work.mkdir(parents=True, exist_ok=True)
    pki = plane.workdir / "pki"
    net_d = work / "cni" / "net.d"
    net_d.mkdir(parents=True, exist_ok=True)
    _node.write_json(net_d / "10-modelmon.conflist", _node.cni_config(work / "cni" / "ipam"))
    sandbox = next((ref for _, ref in images if "/pause:" in ref), None)
    if sandbox is None:
        raise ControlPlaneError("a real node needs the pause image among `images` "
                                "(hack/images.py builds localhost/modelmon/pause)")
    config = work / "containerd.toml"
    config.write_text(_node.containerd_config(work / "containerd", sandbox, net_d))
    containerd = _spawn(plane, "containerd", ["containerd", "--config", str(config), "--log-level", "warn"])
    _wait("containerd", lambda: _node.SOCKET.exists() and node.ctr("version"), containerd, 30)
    for archive, reference in images:
        t1 = time.monotonic()
        node.import_image(archive, reference)
        _log(f"imported {reference} in {time.monotonic() - t1:.1f}s")
    resolv = work / "resolv.conf"
    resolv.write_text("# The test node has no cluster DNS: pods find Services by their environment variables.\n")
    ports = plane.ports
    kubelet_config = _node.write_json(work / "kubelet.json", _node.kubelet_config(
        pki=pki, port=ports["kubelet"], healthz_port=ports["kubelet-healthz"], resolv_conf=resolv))
    kubelet = _spawn(plane, "kubelet", [
        str(bins / "kubelet"), f"--config={kubelet_config}",
        f"--kubeconfig={plane.workdir / 'kubelet.kubeconfig'}", f"--root-dir={work / 'kubelet'}",
        f"--node-ip={_node.NODE_IP}", f"--hostname-override={_node.NODE_NAME}", "--v=1"])
    proxy_config = _node.write_json(work / "kube-proxy.json", _node.kube_proxy_config(
        kubeconfig=plane.kubeconfig, healthz_port=ports["kube-proxy-healthz"],
        metrics_port=ports["kube-proxy-metrics"]))
    kube_proxy = _spawn(plane, "kube-proxy", [str(bins / "kube-proxy"), f"--config={proxy_config}", "--v=1"])
    _wait(f"node {_node.NODE_NAME} Ready (kubelet)", lambda: _node_ready(plane, _node.NODE_NAME), kubelet, timeout)
    _wait("kube-proxy /healthz", lambda: _http_ok(f"http://127.0.0.1:{ports['kube-proxy-healthz']}/healthz"),
          kube_proxy, timeout)
    for item in _node.storage_objects(work / "volumes"):
        path = "/apis/storage.k8s.io/v1/storageclasses" if item["kind"] == "StorageClass" else "/api/v1/persistentvolumes"
        plane.request("POST", path, item)
    _log(f"real node {_node.NODE_NAME} ({_node.NODE_IP}) Ready in {time.monotonic() - t0:.1f}s")


def _kwok_node(name: str) -> dict[str, Any]:
    resources = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION[0]: KWOK_NODE_ANNOTATION[1],
                            "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", "type": "kwok"},
        },
        "status": {"capacity": resources, "allocatable": resources},
    }


def _node_ready(plane: ControlPlane, name: str) -> bool:
    node = plane.request("GET", f"/api/v1/nodes/{name}", timeout=2)
    spec_taints = node.get("spec", {}).get("taints") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in node.get("status", {}).get("conditions") or [])
    # node-lifecycle-controller lifts the not-ready taint once kwok reports Ready.
    return ready and not any(t.get("key") == "node.kubernetes.io/not-ready" for t in spec_taints)


# --------------------------------------------------------------------------- command line


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build the binaries once (cached by version)")
    build_cmd.add_argument("--force", action="store_true", help="rebuild even when cached")
    build_cmd.add_argument("--real-node", action="store_true",
                           help="also kubelet, kube-proxy, helm and the images (hack/images.py)")
    build_cmd.add_argument("--no-images", action="store_true",
                           help="with --real-node: leave the images to whoever starts the node "
                                "(make test: the e2e tier builds them while the other tiers run)")
    up = commands.add_parser("up", help="start the control plane and wait for Ctrl-C")
    up.add_argument("--workdir", help="where to keep certificates, kubeconfig and logs "
                                      "(default: a temporary directory, removed at exit)")
    up.add_argument("--real-node", action="store_true",
                    help="one real node (containerd, kubelet, kube-proxy) instead of kwok's fake ones, "
                         "with the images of hack/images.py imported; needs root")
    commands.add_parser("versions", help="print the pinned versions and the cache directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "versions":
            print(json.dumps({**versions(), "bin": str(bin_dir()), "built": is_built()}, indent=2))
        elif args.command == "build":
            t0 = time.monotonic()
            build(force=args.force, real_node=args.real_node)
            print(f"control plane binaries ready in {time.monotonic() - t0:.1f}s: {bin_dir()}")
            if args.real_node and not args.no_images:
                t0 = time.monotonic()
                built = _images.build()
                print(f"images ready in {time.monotonic() - t0:.1f}s: "
                      + ", ".join(b.reference for b in built))
        else:
            node_images = ([(b.archive, b.reference) for b in _images.build()] if args.real_node else [])
            plane = start(args.workdir, real_node=args.real_node, images=node_images)
            with plane:
                rss = sum(plane.rss_bytes().values()) / 2**20
                helm = f"    export PATH={bin_dir()}:$PATH   # helm\n" if args.real_node else ""
                print(f"\nThe control plane is up ({plane.server}, {rss:.0f} MiB resident, "
                      f"started in {plane.started_in:.1f}s). In another terminal:\n\n"
                      f"    export KUBECONFIG={plane.kubeconfig}\n{helm}    kubectl get nodes\n\n"
                      f"Logs: {plane.log_dir}. Press Ctrl-C to stop.", flush=True)
                signal.signal(signal.SIGTERM, _interrupt)
                with contextlib.suppress(KeyboardInterrupt):
                    while all(c.process.poll() is None for c in plane.components):
                        time.sleep(1)
                    for component in plane.components:
                        component.check_alive()
                print("\nstopping the control plane", flush=True)
    except (ControlPlaneError, _node.NodeError, _images.ImageError) as error:
        print(f"control plane: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # during the build or the start: already cleaned up
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
