#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine: Python packages
# (this project with its test extra). Idempotent: a second run costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
