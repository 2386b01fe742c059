#!/usr/bin/env bash
# The main job on an embedded default, no cluster needed: `modelmon demo` runs the real
# operator against an in-process Kubernetes API on the bundled example data (drift check,
# alerts, retraining, rollout), then `modelmon check` shows the same check in a terminal
# (exit 0 on the stable window, 3 on the drifted one).
set -uo pipefail
cd "$(dirname "$0")/.."
modelmon demo "$@" || { echo "demo: modelmon demo failed" >&2; exit 1; }
echo
data=examples/data
run() {
  echo "\$ modelmon check --reference $data/reference.csv --current $data/$1"
  modelmon check --reference "$data/reference.csv" --current "$data/$1"
  local code=$?
  echo "(exit status $code)"; echo
  [[ $code == "$2" ]] || { echo "demo: expected exit status $2, got $code" >&2; exit 1; }
}
run current-stable.csv 0
run current-drifted.csv 3
