#!/usr/bin/env bash
# The main job on the bundled example data, no cluster needed: a drift and data-quality
# check of a stable window (exit 0) and of a drifted one (exit 3), as `modelmon check`
# runs it in a terminal, in CI, and inside the operator's drift-check job.
set -uo pipefail
cd "$(dirname "$0")/.."
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
