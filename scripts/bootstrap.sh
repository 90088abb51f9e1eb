#!/usr/bin/env bash
# Creates .venv (or $VENV) and installs the extension into it, building the front end first.
# Used by demo.sh and test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip
# jlpm (JupyterLab's pinned yarn) builds the front end.
python -m pip install --quiet "jupyterlab>=4.0.0,<5"

if [ "${SKIP_FRONTEND_BUILD:-0}" != "1" ]; then
  echo "==> building the front end"
  jlpm install --silent >/dev/null
  jlpm build:prod >/dev/null
fi

echo "==> installing jupyterlab-modelarts-snapshot into $VENV"
python -m pip install --quiet ".[test]"
