"""A real node for the test control plane: containerd, runc, CNI, kubelet and kube-proxy.

kwok's fake nodes mark pods Running without running anything. This node runs them: the
kubelet and kube-proxy are built from the same pinned Go module as the control plane
(hack/k8s/go.mod), containerd, runc and the CNI plugins are Debian's. ``control_plane.start(...,
real_node=True)`` sets it up; ``ControlPlane.stop()`` takes it down.

The network rule of the harness: every address is loopback or one this module assigns, on
interfaces it creates, and nothing is routed off the machine.

- The node's address ``NODE_IP`` lives on a veth link of its own; the API server binds to it, so
  pods reach it through the ``kubernetes`` Service (kube-proxy DNATs 10.0.0.1:443 to it).
- Pods sit on the bridge ``BRIDGE`` in ``POD_CIDR``, with routes to the node and the Service
  range only: no default route, no masquerading.
- Forwarding is allowed between pods on the bridge and nowhere else (a FORWARD guard).

``teardown()`` removes all of it -- pods (whose processes outlive containerd and the kubelet),
mounts, network namespaces, links, iptables chains, sysctls -- and also runs at start, so a
run killed half-way never blocks the next one. One real node per machine at a time (a lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

NODE_NAME = "modelmon-node"
NODE_IP = "10.250.0.1"
NODE_LINK = "mm-node0"
BRIDGE = "mm-cni0"
POD_CIDR = "10.244.0.0/24"
CLUSTER_CIDR = "10.244.0.0/16"
RUN_DIR = Path("/run/modelmon-node")  # short: a unix socket path must stay under 108 bytes
SOCKET = RUN_DIR / "containerd.sock"
GUARD_COMMENT = "modelmon-node: pods stay on this machine"
CNI_BIN = Path("/usr/lib/cni")
SYSCTLS = {"net/ipv4/ip_forward": "1", "net/bridge/bridge-nf-call-iptables": "1"}
DEBIAN_PACKAGES = "containerd runc containernetworking-plugins iptables"


class NodeError(RuntimeError):
    """The real node could not be set up; the message says why and what to install or look at."""


def _log(message: str) -> None:
    print(f"[node] {message}", file=sys.stderr, flush=True)


def _run(argv: list[str], *, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, check=False)
    if check and result.returncode != 0:
        raise NodeError(f"`{' '.join(argv)}` failed with exit status {result.returncode}: {result.stdout.strip()}")
    if not quiet and result.returncode != 0:
        _log(f"(ignored) `{' '.join(argv)}`: {result.stdout.strip()[:200]}")
    return result


def check_requirements() -> None:
    missing = [tool for tool in ("containerd", "containerd-shim-runc-v2", "runc", "ctr", "iptables", "ip")
               if not shutil.which(tool)]
    missing += [f"{CNI_BIN}/{p}" for p in ("bridge", "host-local", "loopback", "portmap")
                if not (CNI_BIN / p).exists()]
    if missing:
        raise NodeError(f"missing {', '.join(missing)}: install the Debian packages {DEBIAN_PACKAGES} "
                        "(hack/setup.sh does)")
    if os.geteuid() != 0:
        raise NodeError("a real node needs root (it creates network interfaces, mounts and iptables rules)")


# --------------------------------------------------------------------------- configuration


def containerd_config(root: Path, sandbox_image: str, cni_conf_dir: Path) -> str:
    return f"""version = 2
root = "{root}"
state = "{RUN_DIR / 'state'}"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "{SOCKET}"
[ttrpc]
  address = "{RUN_DIR / 'containerd.sock.ttrpc'}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{sandbox_image}"
  # Without it every sandbox fails: runc cannot lower /proc/self/oom_score_adj here, and the
  # kubelet reports only "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{cni_conf_dir}"
"""


def cni_config(ipam_dir: Path) -> dict[str, Any]:
    """A bridge network whose pods route only to the node and the Service range."""
    return {
        "cniVersion": "0.4.0", "name": "modelmon",
        "plugins": [
            {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": False, "hairpinMode": True,
             "ipam": {"type": "host-local", "dataDir": str(ipam_dir),
                      "ranges": [[{"subnet": POD_CIDR}]],
                      "routes": [{"dst": f"{NODE_IP}/32"}, {"dst": "10.0.0.0/24"}]}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def kubelet_config(*, pki: Path, port: int, healthz_port: int, resolv_conf: Path) -> dict[str, Any]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "address": NODE_IP, "port": port, "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1", "healthzPort": healthz_port,
        "tlsCertFile": str(pki / "kubelet-serving.crt"), "tlsPrivateKeyFile": str(pki / "kubelet-serving.key"),
        # The API server calls the kubelet (logs, exec) with a client certificate of our CA;
        # anything else is refused.
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": str(pki / "ca.crt")}},
        "authorization": {"mode": "Webhook"},
        "containerRuntimeEndpoint": f"unix://{SOCKET}",
        "cgroupDriver": "cgroupfs", "cgroupsPerQOS": False, "enforceNodeAllocatable": [],
        "failSwapOn": False, "evictionHard": {"memory.available": "100Mi"},
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        "clusterDomain": "cluster.local", "resolvConf": str(resolv_conf),
        "serializeImagePulls": False, "maxPods": 110,
        "nodeStatusUpdateFrequency": "4s", "syncFrequency": "5s",
        "fileCheckFrequency": "5s", "registerNode": True,
        "podCIDR": POD_CIDR,
    }


def kube_proxy_config(*, kubeconfig: Path, healthz_port: int, metrics_port: int) -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(kubeconfig)},
        "mode": "iptables", "clusterCIDR": CLUSTER_CIDR, "hostnameOverride": NODE_NAME,
        "bindAddress": NODE_IP,
        "healthzBindAddress": f"127.0.0.1:{healthz_port}", "metricsBindAddress": f"127.0.0.1:{metrics_port}",
        "conntrack": {"maxPerCore": 0},
        # Service node ports only on the node's own address, never on the machine's others.
        "nodePortAddresses": [f"{NODE_IP}/32"],
    }


# --------------------------------------------------------------------------- storage

STORAGE_CLASS = "local"
VOLUMES = 8


def storage_objects(volume_root: Path) -> list[dict[str, Any]]:
    """A default StorageClass and static local volumes, as a cluster's admin provides them, so a
    PersistentVolumeClaim of the examples binds here as it does on kind, minikube or a cloud.

    The directories are world-writable with the sticky bit (like /tmp): a hostPath volume
    ignores fsGroup, and the examples' pods run as a non-root user.
    """
    objects: list[dict[str, Any]] = [{
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": STORAGE_CLASS,
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer",
        "reclaimPolicy": "Delete"}]
    for index in range(VOLUMES):
        path = volume_root / f"pv-{index}"
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o1777)
        objects.append({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"{NODE_NAME}-pv-{index}"},
            "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce", "ReadWriteMany"],
                     "storageClassName": STORAGE_CLASS, "persistentVolumeReclaimPolicy": "Retain",
                     "hostPath": {"path": str(path), "type": "Directory"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [NODE_NAME]}]}]}}}})
    return objects


# --------------------------------------------------------------------------- network


def _read_sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", name).read_text().strip()
    except OSError:
        return None


def _write_sysctl(name: str, value: str) -> None:
    Path("/proc/sys", name).write_text(value + "\n")


def _guard_rules() -> list[list[str]]:
    comment = ["-m", "comment", "--comment", GUARD_COMMENT]
    return [
        ["FORWARD", "-i", BRIDGE, "-o", BRIDGE, *comment, "-j", "ACCEPT"],
        ["FORWARD", "-i", BRIDGE, *comment, "-j", "DROP"],
        ["FORWARD", "-o", BRIDGE, *comment, "-j", "DROP"],
    ]


def setup_network(saved_sysctls: dict[str, str]) -> None:
    # A veth pair, not a dummy link: these kernels have no dummy module, and a veth whose peer
    # is up has a carrier, so the address is local and reachable at once.
    _run(["ip", "link", "add", NODE_LINK, "type", "veth", "peer", "name", NODE_LINK + "p"])
    _run(["ip", "addr", "add", f"{NODE_IP}/32", "dev", NODE_LINK])
    _run(["ip", "link", "set", NODE_LINK + "p", "up"])
    _run(["ip", "link", "set", NODE_LINK, "up"])
    for name, value in SYSCTLS.items():
        old = _read_sysctl(name)
        if old is None:
            raise NodeError(f"/proc/sys/{name} is missing (module br_netfilter not loaded?): "
                            "`modprobe br_netfilter`")
        saved_sysctls[name] = old
        _write_sysctl(name, value)
    # Inserted in reverse, so that they end up first in FORWARD in the order listed.
    for rule in reversed(_guard_rules()):
        _run(["iptables", "-I", rule[0], "1", *rule[1:]])


# --------------------------------------------------------------------------- teardown


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            ppid = int(text[text.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    return children


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kill_pods() -> int:
    """SIGKILL every containerd shim of this node and every process under it (the pods)."""
    shims = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
             and "containerd-shim" in _cmdline(int(p.name)) and str(RUN_DIR) in _cmdline(int(p.name))]
    children = _children_map()
    doomed: list[int] = []
    stack = list(shims)
    while stack:
        pid = stack.pop()
        doomed.append(pid)
        stack.extend(children.get(pid, []))
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(doomed)


def _mounts_under(prefixes: list[str]) -> list[str]:
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if any(point == p or point.startswith(p.rstrip("/") + "/") for p in prefixes):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def _on_our_bridge(namespace: str) -> bool:
    """Whether a pod network namespace's eth0 is the peer of a veth on this node's bridge."""
    listing = _run(["ip", "-n", namespace, "-o", "link", "show", "eth0"], check=False, quiet=True).stdout
    match = re.search(r"eth0@if(\d+)", listing)
    if not match:
        return False
    for link in Path("/sys/class/net").iterdir():
        with contextlib.suppress(OSError):
            if (link / "ifindex").read_text().strip() == match.group(1):
                return (link / "master").resolve().name == BRIDGE
    return False


def _kube_chains() -> list[str]:
    listing = _run(["iptables", "-t", "nat", "-S"], check=False, quiet=True).stdout.splitlines()
    return [line.split()[1] for line in listing if line.startswith("-N KUBE-")]


def _iptables_cleanup(binary: str) -> None:
    """Remove the chains kubelet, kube-proxy and the CNI plugins leave (KUBE-*, CNI-*) and our guard."""
    if not shutil.which(binary):
        return
    for table in ("filter", "nat", "mangle"):
        listing = _run([binary, "-t", table, "-S"], check=False, quiet=True).stdout.splitlines()
        for line in listing:
            if line.startswith("-A ") and (re.search(r"-j (KUBE|CNI)-", line) or GUARD_COMMENT in line):
                chain = line.split()[1]
                if not chain.startswith(("KUBE-", "CNI-")):
                    _run([binary, "-t", table, *shlex.split("-D" + line[2:])], check=False, quiet=True)
        chains = [line.split()[1] for line in listing
                  if line.startswith("-N ") and line.split()[1].startswith(("KUBE-", "CNI-"))]
        for chain in chains:
            _run([binary, "-t", table, "-F", chain], check=False, quiet=True)
        for chain in chains:
            _run([binary, "-t", table, "-X", chain], check=False, quiet=True)


def teardown(*, roots: list[Path], saved_sysctls: dict[str, str] | None = None) -> None:
    """Remove everything a real node leaves behind. Idempotent; also cleans a killed run's leftovers."""
    killed = kill_pods()
    if killed:
        _log(f"killed {killed} pod and shim processes")
        time.sleep(0.5)
    for point in _mounts_under([str(RUN_DIR), *map(str, roots)]):
        _run(["umount", "-l", point], check=False, quiet=True)
    netns = Path("/var/run/netns")
    if netns.is_dir():
        for entry in netns.glob("cni-*"):
            if _on_our_bridge(entry.name):  # another CNI user's namespaces are not ours to delete
                _run(["ip", "netns", "delete", entry.name], check=False, quiet=True)
    for link in (BRIDGE, NODE_LINK):
        if Path(f"/sys/class/net/{link}").exists():
            _run(["ip", "link", "delete", link], check=False)
    _iptables_cleanup("iptables")
    _iptables_cleanup("ip6tables")
    for name, value in (saved_sysctls or {}).items():
        with contextlib.suppress(OSError):
            _write_sysctl(name, value)
    for root in [RUN_DIR, *roots]:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- the node


@dataclass
class RealNode:
    """What the node set up, so that ``stop`` can take it down again."""

    workdir: Path
    lock: IO[str] | None = None
    saved_sysctls: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)

    @property
    def roots(self) -> list[Path]:
        return [self.workdir / "containerd", self.workdir / "kubelet", self.workdir / "volumes"]

    def ctr(self, *args: str) -> str:
        return _run(["ctr", "--address", str(SOCKET), "--namespace", "k8s.io", *args]).stdout

    def import_image(self, archive: Path, reference: str) -> None:
        self.ctr("images", "import", "--snapshotter", "overlayfs", str(archive))
        listed = self.ctr("images", "list", "--quiet").split()
        if reference not in listed:
            raise NodeError(f"importing {archive} gave {listed}, not {reference}")
        self.images.append(reference)

    def stop(self) -> None:
        teardown(roots=self.roots, saved_sysctls=self.saved_sysctls)
        if self.lock:
            self.lock.close()
            self.lock = None


def acquire(workdir: Path) -> RealNode:
    """Take the machine-wide lock and clear what an earlier, killed run left."""
    check_requirements()
    lock_path = Path("/run/modelmon-node.lock")
    lock = open(lock_path, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise NodeError(f"another real node runs on this machine (lock {lock_path}); "
                        "stop it (its `hack/control_plane.py up`, or the test run) first") from None
    if _kube_chains() and not RUN_DIR.exists() and not Path(f"/sys/class/net/{BRIDGE}").exists():
        lock.close()
        # Not left by a run of ours (that leaves RUN_DIR or the bridge): another Kubernetes node
        # (kind, k3s, a kubelet) runs here, and tearing down would remove its kube-proxy rules.
        raise NodeError("iptables has KUBE-* chains that no real node of ours left: another Kubernetes "
                        "node runs on this machine; stop it, or use kwok's fake nodes "
                        "(`hack/control_plane.py up` without --real-node)")
    node = RealNode(workdir=workdir, lock=lock)
    teardown(roots=[])  # a killed run's pods, links and chains
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    setup_network(node.saved_sysctls)
    return node


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
