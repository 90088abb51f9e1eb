#!/usr/bin/env bash
# JupyterLab as a ModelArts notebook has it on the first day, for the UI test of that day: the
# server runs from an env that does not have the package (its Python reads the user site, as a
# conda env's does), with a HOME of its own and the instance's environment, and it is never
# restarted. The test installs the package as the README says (from the wheel built here), and
# the page must then work through the service kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
day=$root/build/day-one
port=8891

# The platform's env: JupyterLab as the test venv has it, kept between runs.
version=$(python -c 'import jupyterlab; print(jupyterlab.__version__)')
if [ "$(cat "$day/platform/.jupyterlab" 2>/dev/null)" != "$version" ]; then
  rm -rf "$day/platform"
  /usr/bin/python3 -m venv --system-site-packages "$day/platform"
  "$day/platform/bin/pip" install --quiet --disable-pip-version-check "jupyterlab==$version"
  echo "$version" >"$day/platform/.jupyterlab"
fi
if "$day/platform/bin/python" -c 'import jupyterlab_modelarts_snapshot' 2>/dev/null; then
  echo "the platform env must not have the package" >&2
  exit 1
fi

# A new user with nothing installed, and this tree's wheel for the test to install.
rm -rf "$day/home" "$day/dist" "$day/container"
mkdir -p "$day/home/.jupyter" "$day/dist" "$day/container/proc" "$day/container/work"
python -m build --wheel --no-isolation --outdir "$day/dist" "$root" >"$day/build.log" 2>&1 ||
  { cat "$day/build.log" >&2; exit 1; }
# The user's own Jupyter config, read by everything the user runs (the CLI, the service kernel):
# a small container to walk for the pre-flight report, and a quick poll.
cat >"$day/home/.jupyter/jupyter_server_config.py" <<CONFIG
c.ModelArtsSnapshot.scan_root = "$day/container"
c.ModelArtsSnapshot.work_dir = "$day/container/work"
c.ModelArtsSnapshot.proc_dir = "$day/container/proc"
c.ModelArtsSnapshot.conda_roots = []
c.ModelArtsSnapshot.poll_interval = 1
c.ModelArtsSnapshot.report_reuse_seconds = 0
CONFIG

# The instance's environment, as ModelArts gives it, pointed at the emulator.
env -i \
  HOME="$day/home" \
  PATH="$day/platform/bin:/usr/local/bin:/usr/bin:/bin" \
  LANG=C.UTF-8 \
  INSTANCE_ID=6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f \
  PROJECT_ID=0f1e2d3c4b5a69788796a5b4c3d2e1f0 \
  MODELARTS_ENDPOINT=http://127.0.0.1:8090 \
  SWR_ENDPOINT=http://127.0.0.1:8090 \
  MODELARTS_REGION=cn-north-4 \
  HUAWEICLOUD_SDK_AK=EMULATORACCESSKEY0001 \
  HUAWEICLOUD_SDK_SK=emulator-secret-key-0001 \
  HUAWEICLOUD_SDK_CREDENTIALS_FILE=/dev/null \
  MODELARTS_METADATA_URL=off \
  "$day/platform/bin/jupyter" lab --allow-root --config "$here/jupyter_server_day_one_config.py" \
  --port=$port &
server=$!
echo "$server" >"$day/server.pid"
trap 'kill $server 2>/dev/null' TERM INT EXIT
wait $server
