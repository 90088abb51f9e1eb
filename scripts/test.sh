#!/usr/bin/env bash
# The project's tests, in stages:
#   install   the extension is installed, enabled and OK (server extension and labextension)
#   lint      ruff, ruff format, mypy and the architecture contract (lint-imports); eslint and prettier
#   js        the front end's unit tests (jest)
#   ui        the UI tests: galata + Playwright in Chromium, against the emulator and JupyterLab
#   release   sdist and wheel, twine, the wheel in a clean venv, the browser check
#   python    the Python tests (REST API, CLI, signer, emulator, restarts), in parallel (xdist)
#
#   ./scripts/test.sh                        every stage, as CI runs it (.ci/run)
#   ./scripts/test.sh python -k handlers     stages, then pytest's arguments
#   ./scripts/test.sh js ui                  several stages
#
# Installs what it needs into .venv (scripts/bootstrap.sh, which skips what has not changed).
# One stage runs in the terminal. Several run at once where that is safe: the Python tests, the UI
# tests (they mostly wait for the browser) and the other stages one after another; each writes a
# log under build/test-logs/ that is printed when it ends, and the script fails if any stage
# failed, and says which. pytest's exit 5 (nothing collected) is not a failure.
#   PYTEST_WORKERS   pytest-xdist's -n (default: two a core, at most 8); or give -n, -p no:xdist
set -euo pipefail
cd "$(dirname "$0")/.."
# Bytecode is written (in __pycache__/, ignored by git): each of the tests' server and CLI
# processes then reads the package compiled, instead of compiling it again.
unset PYTHONDONTWRITEBYTECODE
ALL_STAGES=(install lint js ui release python)
VENV="${VENV:-.venv}"
LOGS="${TEST_LOGS:-build/test-logs}"

stage=""
stages=()
if [ "${1:-}" = "--run-stage" ]; then
  # Internal: one stage of a parallel run, in a process of its own (so that `set -e` holds in
  # it), with the venv already current; the rest of the arguments are pytest's.
  stage=$2
  stages=("$2")
  shift 2
else
  while [ $# -gt 0 ] && [[ " ${ALL_STAGES[*]} " == *" $1 "* ]]; do
    stages+=("$1")
    shift
  done
  if [ ${#stages[@]} -eq 0 ] && [ $# -gt 0 ]; then
    echo "(no stage named: the arguments go to pytest, so the python stage runs)"
    stages=(python)
  elif [ ${#stages[@]} -eq 0 ]; then
    stages=("${ALL_STAGES[@]}")
  fi
fi
PYTEST_ARGS=("$@")
has() { [[ " ${stages[*]} " == *" $1 "* ]]; }

# -- the stages ------------------------------------------------------------------------------

stage_install() {
  local server_list lab_list
  server_list=$(jupyter server extension list 2>&1)
  lab_list=$(jupyter labextension list 2>&1)
  echo "$server_list" | grep -E "jupyterlab_modelarts_snapshot.*enabled" >/dev/null || { echo "$server_list"; return 1; }
  echo "$server_list" | grep -E "jupyterlab_modelarts_snapshot .*OK" >/dev/null || { echo "$server_list"; return 1; }
  echo "$lab_list" | grep -E "jupyterlab-modelarts-snapshot .*enabled.*OK" >/dev/null || { echo "$lab_list"; return 1; }
  echo "server extension and labextension: enabled, OK"
}

stage_lint() {
  echo "--> ruff, ruff format, mypy, the architecture contract"
  ruff check .
  ruff format --check .
  mypy
  lint-imports --no-cache
  echo "--> eslint, prettier"
  jlpm lint:check
}

stage_js() {
  jlpm test
}

stage_ui() {
  CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$CHROMIUM_PATH" ]; then
    echo "Chromium is needed for the UI tests: install it (Debian: apt-get install chromium)"
    echo "or set CHROMIUM_PATH to a Chromium or Chrome binary."
    return 1
  fi
  export CHROMIUM_PATH
  # The UI tests' servers have fixed ports (the emulator 8090, JupyterLab 8888-8891), and outside
  # CI Playwright would use a server it finds there, whosever it is: one UI run at a time on this
  # machine (another checkout's test.sh waits here), and none while another holds the ports.
  exec 8>"${TMPDIR:-/tmp}/jupyterlab-modelarts-snapshot-ui-ports.lock"
  flock 8
  python - <<'PORTS'
import socket, sys, time
ports, deadline, said = (8090, 8888, 8889, 8890, 8891), time.monotonic() + 600, False
while True:
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    if not busy:
        break
    if time.monotonic() > deadline:
        sys.exit(f"ports {busy} are still in use: the UI tests need 8090 and 8888-8890")
    if not said:
        print(f"waiting for ports {busy} (another UI test run, or the demo?)", flush=True)
        said = True
    time.sleep(2)
PORTS
  (cd ui-tests && jlpm playwright test)
}

stage_release() {
  bash scripts/release-check.sh
}

stage_python() {
  local args=(-p no:cacheprovider) selected
  local workers="${PYTEST_WORKERS:-$(python -c 'import os; print(min(8, 2 * (os.cpu_count() or 1)))')}"
  # pytest-xdist workers: two a core (the tests mostly wait, on servers, the emulator's timers
  # and subprocesses), unless told (-n, -p no:xdist, PYTEST_WORKERS) or unless the arguments
  # select a few tests, which then run sooner in one process than the workers take to start.
  # pyproject.toml sets how the tests are shared out (--dist).
  if [[ " ${PYTEST_ARGS[*]} " != *" -n"* && " ${PYTEST_ARGS[*]} " != *" --numprocesses"* &&
    " ${PYTEST_ARGS[*]} " != *"no:xdist"* ]]; then
    if [ ${#PYTEST_ARGS[@]} -gt 0 ]; then
      selected=$(python -m pytest -p no:cacheprovider -n 0 -q --collect-only "${PYTEST_ARGS[@]}" 2>/dev/null |
        sed -nE 's/^no tests collected.*/0/p; s/^([0-9]+)(\/[0-9]+)? tests? collected.*/\1/p' || true)
      [ -n "$selected" ] && [ "$selected" -le 8 ] && workers=0
    fi
    args+=(-n "$workers")
  fi
  python -m pytest "${args[@]}" "${PYTEST_ARGS[@]}" || {
    local status=$?
    [ "$status" -eq 5 ] && { echo "(pytest collected nothing: not a failure)"; return 0; }
    return "$status"
  }
}

# -- install what the stages need, then run them ---------------------------------------------

if [ -n "$stage" ]; then
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  "stage_$stage"
  exit
fi

parts=(python)
{ has lint || has js || has ui || has release; } && parts+=(frontend)
{ has ui || has release; } && parts+=(ui)
bash scripts/bootstrap.sh "${parts[@]}"
# shellcheck disable=SC1091
. "$VENV/bin/activate"

if [ ${#stages[@]} -eq 1 ]; then
  echo "==> ${stages[0]}"
  "stage_${stages[0]}"
  exit
fi

mkdir -p "$LOGS"
PRINT_LOCK="$LOGS/.print.lock"
: >"$PRINT_LOCK"
# Runs one stage into its log, then prints the log whole (one stage's log at a time) and records
# the result.
run_logged() {
  local name=$1 started status=0
  started=$(date +%s)
  bash scripts/test.sh --run-stage "$name" "${PYTEST_ARGS[@]}" </dev/null >"$LOGS/$name.log" 2>&1 || status=$?
  local took=$(($(date +%s) - started))
  local word=passed
  [ "$status" -eq 0 ] || word="FAILED (exit $status)"
  echo "$name: $word in ${took}s" >"$LOGS/$name.result"
  (
    flock 9
    echo "==> $name: $word in ${took}s ($LOGS/$name.log)"
    cat "$LOGS/$name.log"
    echo
  ) 9>"$PRINT_LOCK"
  return "$status"
}
# A lane: stages one after the other, each into its log; the lane goes on after a failure.
lane() {
  local failed=0 name
  for name in "$@"; do
    run_logged "$name" || failed=1
  done
  return $failed
}

rm -f "$LOGS"/*.result
started=$(date +%s)
lanes=()
has python && lanes+=(python)
has ui && lanes+=(ui)
rest=()
for name in install lint js release; do has "$name" && rest+=("$name"); done
[ ${#rest[@]} -gt 0 ] && lanes+=("${rest[*]}")
echo "==> at once: $(printf '[%s] ' "${lanes[@]}")(logs in $LOGS/)"
# Each lane in its own process group, so that an interrupt ends the servers it started too.
set -m
pids=()
has python && { lane python & pids+=($!); }
has ui && { lane ui & pids+=($!); }
[ ${#rest[@]} -gt 0 ] && { lane "${rest[@]}" & pids+=($!); }
set +m
# An interrupt, as the terminal would send it to each lane (pytest then runs its teardowns and
# Playwright stops its servers); whatever still runs after 20 s is terminated.
stop_lanes() {
  local pid _
  for pid in "${pids[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 40); do
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=""; done
    [ -z "$pid" ] && return
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
}
trap 'stop_lanes; exit 130' INT TERM
for pid in "${pids[@]}"; do wait "$pid" || true; done
trap - INT TERM

echo "==> summary ($(($(date +%s) - started))s in all)"
failed=()
for name in "${ALL_STAGES[@]}"; do
  has "$name" || continue
  if [ -f "$LOGS/$name.result" ]; then
    cat "$LOGS/$name.result"
    grep -q ": passed" "$LOGS/$name.result" || failed+=("$name")
  else
    echo "$name: did not finish"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]} (their logs are above, and in $LOGS/)" >&2
  exit 1
fi
