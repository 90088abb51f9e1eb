#!/usr/bin/env bash
# Starts the ModelArts emulator and JupyterLab with the extension wired to it, and prints the URL.
# Stop both with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh python frontend
# shellcheck disable=SC1091
. "${VENV:-.venv}/bin/activate"

DEMO_DIR="$PWD/.demo"
LAB_PORT="${LAB_PORT:-8888}"
EMULATOR_PORT="${EMULATOR_PORT:-8090}"
TOKEN="${DEMO_TOKEN:-$(python -c 'import secrets; print(secrets.token_hex(16))')}"
mkdir -p "$DEMO_DIR/work"

jupyter modelarts-snapshot emulator --port "$EMULATOR_PORT" --init-seconds 3 --creating-seconds 20 \
  >"$DEMO_DIR/emulator.out" 2>"$DEMO_DIR/emulator.log" &
EMULATOR_PID=$!
trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  [ -s "$DEMO_DIR/emulator.out" ] && break
  sleep 0.1
done
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"

# What a ModelArts instance would provide; the emulator accepts these demo keys.
export MODELARTS_ENDPOINT="$EMULATOR_URL"
export SWR_ENDPOINT="$EMULATOR_URL"
export MODELARTS_REGION="cn-north-4"
export MODELARTS_METADATA_URL="$EMULATOR_URL"
export MODELARTS_NOTEBOOK_ID="6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f"
export HUAWEICLOUD_SDK_PROJECT_ID="0f1e2d3c4b5a69788796a5b4c3d2e1f0"
export HUAWEICLOUD_SDK_AK="EMULATORACCESSKEY0001"
export HUAWEICLOUD_SDK_SK="emulator-secret-key-0001"

# A small stand-in for the container's own filesystem, so that the pre-flight report has something
# to show (a pip cache, a tool); on ModelArts the report walks / from the container's start.
CONTAINER="$DEMO_DIR/container"
SINCE="$(python -c 'import time; print(time.time() - 1)')"
python - "$CONTAINER" <<'PLANT'
import os, sys
for relative, size in (("home/ma-user/.cache/pip/http-v2/0/blob.body", 48 << 20),
                       ("opt/tools/bin/tool", 12 << 20)):
    target = os.path.join(sys.argv[1], relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(os.urandom(size))
PLANT

cat <<INFO

  JupyterLab:  http://127.0.0.1:$LAB_PORT/lab?token=$TOKEN
  Emulator:    $EMULATOR_URL   (request counts: $EMULATOR_URL/_emulator/requests)
  API example: curl -H "Authorization: token $TOKEN" http://127.0.0.1:$LAB_PORT/modelarts-snapshot/readiness

INFO

ROOT_FLAG=()
[ "$(id -u)" = "0" ] && ROOT_FLAG=(--allow-root)
jupyter lab --no-browser "${ROOT_FLAG[@]}" --ip=127.0.0.1 --port="$LAB_PORT" \
  --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$DEMO_DIR/work" \
  --ModelArtsSnapshot.state_dir="$DEMO_DIR/state" --ModelArtsSnapshot.poll_interval=2 \
  --ModelArtsSnapshot.scan_root="$CONTAINER" --ModelArtsSnapshot.work_dir="$DEMO_DIR/work" \
  --ModelArtsSnapshot.changes_since="$SINCE" \
  --ModelArtsSnapshot.manifest_dir="$CONTAINER/home/ma-user/.modelarts-snapshot"
