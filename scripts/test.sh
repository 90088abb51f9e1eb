#!/usr/bin/env bash
# Runs every test suite: install checks, lint and types, jest, the UI tests in Chromium, the
# release check, and the Python tests (REST API, CLI, signer, emulator, restarts). Installs what
# it needs into .venv. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# shellcheck disable=SC1091
. "${VENV:-.venv}/bin/activate"

echo "==> the installed extension is enabled and OK"
server_list=$(jupyter server extension list 2>&1)
lab_list=$(jupyter labextension list 2>&1)
echo "$server_list" | grep -E "jupyterlab_modelarts_snapshot.*enabled" >/dev/null || { echo "$server_list"; exit 1; }
echo "$server_list" | grep -E "jupyterlab_modelarts_snapshot .*OK" >/dev/null || { echo "$server_list"; exit 1; }
echo "$lab_list" | grep -E "jupyterlab-modelarts-snapshot .*enabled.*OK" >/dev/null || { echo "$lab_list"; exit 1; }

echo "==> Python lint, format and types"
ruff check .
ruff format --check .
mypy

echo "==> TypeScript lint and format"
jlpm lint:check

echo "==> front-end unit tests (jest)"
jlpm test


echo "==> UI tests (galata + Playwright in Chromium)"
CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM_PATH" ]; then
  echo "Chromium is needed for the UI tests: install it (Debian: apt-get install chromium)" >&2
  echo "or set CHROMIUM_PATH to a Chromium or Chrome binary." >&2
  exit 1
fi
export CHROMIUM_PATH
(
  cd ui-tests
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 jlpm install --silent
  jlpm playwright test
)

echo "==> release check: sdist, wheel, twine, a clean install, the browser check"
bash scripts/release-check.sh

echo "==> Python tests"
# pytest exits 5 when a selection collects nothing; that is not a failure here.
python -m pytest -p no:cacheprovider "$@" || { status=$?; [ "$status" -eq 5 ] || exit "$status"; }
