#!/usr/bin/env bash
# Creates .venv (or $VENV) and installs the extension into it for development: the Python package
# editable (pip install -e: an edit of the package needs no reinstall), the front end built and
# linked (jupyter labextension develop: a `jlpm build` is seen at the next page load), the server
# extension enabled. Used by demo.sh and test.sh; safe to run again, and quick when nothing
# changed: each step keeps a digest of its inputs in $VENV/.stamps and is skipped while they are
# the same (pyproject.toml and package.json for pip; package.json and yarn.lock for jlpm install;
# src/, style/, schema/ and openapi.json for the build; ui-tests' package.json and yarn.lock).
#
#   scripts/bootstrap.sh [PART...]   PART: python (the package, its test tools, the link; builds the
#                                    front end only when there is no build), frontend (node
#                                    modules and a current build), ui (ui-tests' node modules).
#                                    No PART: all three.
#   PYTHON=python3.9 VENV=.venv39    another interpreter and venv over the same tree
#   SKIP_FRONTEND_BUILD=1            never build the front end (a second venv over a built tree)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
PARTS=" ${*:-python frontend ui} "
STAMPS="$VENV/.stamps"
LABEXTENSION="jupyterlab_modelarts_snapshot/labextension"
LINK="$VENV/share/jupyter/labextensions/jupyterlab-modelarts-snapshot"

wants() { [[ "$PARTS" == *" $1 "* ]]; }
# A digest of the files under the given paths (content and names) and of the venv's Python.
digest() {
  {
    "$VENV/bin/python" --version
    find "$@" -type f ! -name '*.pyc' ! -name '*.tsbuildinfo' -print0 2>/dev/null |
      LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-64
}
current() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp() { mkdir -p "$STAMPS" && echo "$2" >"$STAMPS/$1"; }
# Runs a command with its output in a log, and prints the log only when the command fails.
quietly() {
  local log
  log=$(mktemp)
  "$@" >"$log" 2>&1 || { local status=$?; cat "$log"; rm -f "$log"; return $status; }
  rm -f "$log"
}
built() { [ -f "$LABEXTENSION/static/style.js" ] && [ -f "$LABEXTENSION/package.json" ]; }

if ! "$VENV/bin/python" -c "" 2>/dev/null; then
  echo "==> creating $VENV with $("$PYTHON" --version)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"

python_inputs=$(digest pyproject.toml package.json)
if ! current python "$python_inputs"; then
  # What the build needs (pyproject.toml's build-system and jupyter-builder hook requirements),
  # so that the package installs without a build environment of its own; jlpm comes with
  # JupyterLab.
  echo "==> installing JupyterLab and the build tools into $VENV"
  mapfile -t build_requires < <(python - <<'REQUIRES'
import re
text = open("pyproject.toml", encoding="utf-8").read()
build = re.search(r"^requires = \[(.*?)\]", text, re.M | re.S).group(1)
hook = re.search(r'^dependencies = \[("hatch-jupyter-builder[^"]*")\]', text, re.M).group(1)
# and editables, which hatchling needs for an editable install
print("\n".join([*re.findall(r'"([^"]+)"', build + hook), "editables"]))
REQUIRES
  )
  python -m pip install --quiet "${build_requires[@]}"
fi

frontend_build() {
  echo "==> building the front end"
  quietly jlpm build:prod
  stamp frontend "$(digest src style schema package.json tsconfig.json yarn.lock \
    jupyterlab_modelarts_snapshot/openapi.json)"
}
node_inputs=$(digest package.json yarn.lock .yarnrc.yml)
if [ "${SKIP_FRONTEND_BUILD:-0}" != "1" ] && { wants frontend || ! built; }; then
  if ! current node "$node_inputs" || [ ! -d node_modules ]; then
    echo "==> jlpm install"
    quietly jlpm install
    stamp node "$node_inputs"
  fi
  frontend_inputs=$(digest src style schema package.json tsconfig.json yarn.lock \
    jupyterlab_modelarts_snapshot/openapi.json)
  if ! built || { wants frontend && ! current frontend "$frontend_inputs"; }; then
    frontend_build
  fi
fi

if ! current python "$python_inputs"; then
  echo "==> installing jupyterlab-modelarts-snapshot into $VENV (editable, with its test tools)"
  # pip would remove the previous install's files through the labextension link, that is from
  # the tree: unlink first. The front end is built above, not by the build hook.
  [ -L "$LINK" ] && rm "$LINK"
  SKIP_JUPYTER_BUILDER=1 python -m pip install --quiet --no-build-isolation -e ".[test]"
  stamp python "$python_inputs"
fi
if built && [ "$(readlink "$LINK" 2>/dev/null)" != "$PWD/$LABEXTENSION" ]; then
  echo "==> linking the labextension into $VENV (jupyter labextension develop)"
  quietly jupyter labextension develop . --overwrite
fi

if wants ui; then
  ui_inputs=$(digest ui-tests/package.json ui-tests/yarn.lock ui-tests/.yarnrc.yml)
  if ! current ui "$ui_inputs" || [ ! -d ui-tests/node_modules ]; then
    echo "==> jlpm install in ui-tests"
    (cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 quietly jlpm install)
    stamp ui "$ui_inputs"
  fi
fi
