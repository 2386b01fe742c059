#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine: this project with its
# test and demo extras, and the Debian packages below. The test control plane, its real node
# and the images are built by `make control-plane` (hack/control_plane.py, hack/images.py);
# that needs go, openssl and kubectl.
# Idempotent: a second run costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in python3 go openssl kubectl; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is needed (Go builds the test control plane from hack/k8s; kubectl is its client)" >&2; exit 1; }
done
# Debian packages, installed when missing:
# - prometheus, prometheus-alertmanager: real servers the rollout-analysis and alert-sink tests
#   talk to on loopback;
# - containerd, runc, containernetworking-plugins, iptables, conntrack: the real node of the
#   end-to-end tier (hack/node.py; kubelet and kube-proxy are built from Go like the control plane);
# - mmdebstrap, buildah: the images, built here without a registry (hack/images.py).
debs=()
for pkg in prometheus prometheus-alertmanager containerd runc containernetworking-plugins iptables conntrack \
           mmdebstrap buildah chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || debs+=("$pkg")
done
if ((${#debs[@]})); then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test,demo]'
