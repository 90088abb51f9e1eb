#!/usr/bin/env bash
# Checks the release as the extension template's CI does: builds the sdist and the wheel, checks
# them with twine, installs the wheel into a clean virtual environment with JupyterLab, and checks
# that both halves are enabled and that JupyterLab loads it in Chromium with no error in the page
# or in the server log. Needs .venv (scripts/bootstrap.sh) and ui-tests' node modules.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. "${VENV:-.venv}/bin/activate"
WORK="$(mktemp -d)"
trap 'kill "${LAB_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "==> build the sdist and the wheel, and check them"
rm -rf dist
python -m build >"$WORK/build.log" 2>&1 || { tail -50 "$WORK/build.log"; exit 1; }
twine check --strict dist/*
ls dist

echo "==> install the wheel into a clean environment with JupyterLab"
python -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet "jupyterlab>=4.0.0,<5" dist/*.whl
server_list=$("$WORK/venv/bin/jupyter" server extension list 2>&1)
lab_list=$("$WORK/venv/bin/jupyter" labextension list 2>&1)
echo "$server_list" | grep -E "jupyterlab_modelarts_snapshot.*enabled" >/dev/null || { echo "$server_list"; exit 1; }
echo "$server_list" | grep -E "jupyterlab_modelarts_snapshot .*OK" >/dev/null || { echo "$server_list"; exit 1; }
echo "$lab_list" | grep -E "jupyterlab-modelarts-snapshot .*enabled.*OK" >/dev/null || { echo "$lab_list"; exit 1; }
echo "server extension and labextension: enabled, OK"

echo "==> browser check in Chromium"
PORT=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$(python -c 'import secrets; print(secrets.token_hex(16))')
ROOT_FLAG=()
[ "$(id -u)" = "0" ] && ROOT_FLAG=(--allow-root)
mkdir -p "$WORK/root"
"$WORK/venv/bin/jupyter" lab --no-browser "${ROOT_FLAG[@]}" --ip=127.0.0.1 --port="$PORT" \
  --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$WORK/root" \
  --LabApp.expose_app_in_browser=True --ModelArtsSnapshot.state_dir="$WORK/state" \
  >"$WORK/lab.log" 2>&1 &
LAB_PID=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$PORT/api/status?token=$TOKEN" >/dev/null && break
  sleep 0.5
done
node scripts/browser-check.js "http://127.0.0.1:$PORT/lab?token=$TOKEN"
if grep -E "^\[E |Traceback" "$WORK/lab.log"; then
  echo "the server logged errors (above)" >&2
  exit 1
fi
echo "release check passed"
