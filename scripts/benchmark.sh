#!/usr/bin/env bash
# Runs the benchmarks (benchmarks/run.py): API latency and throughput next to Jupyter's own
# /api/status, ModelArts calls per minute with 1 and 50 tabs, the labextension's JavaScript size
# and JupyterLab's time to app.restored with and without the extension. Arguments go to run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# shellcheck disable=SC1091
. "${VENV:-.venv}/bin/activate"
CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
[ -n "$CHROMIUM_PATH" ] || { echo "Chromium is needed for the page-load benchmark (or pass --no-browser)" >&2; }
export CHROMIUM_PATH
# (bootstrap.sh installs ui-tests' node modules, whose Playwright drives Chromium here)
python benchmarks/run.py "$@"
