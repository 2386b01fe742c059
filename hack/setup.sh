#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine: this project with its
# test and demo extras. The test control plane is built from Go modules by
# `make control-plane` (hack/control_plane.py); it needs go, openssl and kubectl.
# Idempotent: a second run costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in python3 go openssl kubectl; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is needed (Go builds the test control plane from hack/k8s; kubectl is its client)" >&2; exit 1; }
done
# Real servers the integration tests talk to on loopback: Prometheus (rollout analysis) and
# Alertmanager (an alert sink). Debian packages; skipped when already installed.
debs=()
command -v prometheus >/dev/null || debs+=(prometheus)
command -v prometheus-alertmanager >/dev/null || debs+=(prometheus-alertmanager)
if ((${#debs[@]})); then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test,demo]'
