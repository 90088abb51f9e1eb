"""JupyterLab for the UI tests: the extension wired to the emulator on port 8090."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from jupyterlab.galata import configure_jupyter_server

from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
)

c = get_config()  # type: ignore[name-defined] # noqa: F821
configure_jupyter_server(c)

c.ModelArtsSnapshot.endpoint = "http://127.0.0.1:8090"
c.ModelArtsSnapshot.swr_endpoint = "http://127.0.0.1:8090"  # SWR routes have their own prefix
c.ModelArtsSnapshot.region = "cn-north-4"
c.ModelArtsSnapshot.project_id = DEMO_PROJECT_ID
c.ModelArtsSnapshot.notebook_id = DEMO_NOTEBOOK_ID
c.ModelArtsSnapshot.access_key = DEMO_ACCESS_KEY
c.ModelArtsSnapshot.secret_key = DEMO_SECRET_KEY
c.ModelArtsSnapshot.metadata_url = "off"
c.ModelArtsSnapshot.poll_interval = 1
c.ModelArtsSnapshot.state_dir = tempfile.mkdtemp(prefix="modelarts-snapshot-ui-")
os.environ["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = os.devnull

# Uncomment to set server log level to debug level
# c.ServerApp.log_level = "DEBUG"

# The pause test stops this process as ModelArts does while it commits the container.
PID_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".jupyter-server.pid")
with open(PID_FILE, "w") as pid_file:
    pid_file.write(str(os.getpid()))

# The container's filesystem for the pre-flight report: a small tree with a pip cache, written
# after the moment changes count from. The tests plant more in it (its path is in ROOT_FILE).
CONTAINER = tempfile.mkdtemp(prefix="modelarts-snapshot-ui-container-")
c.ModelArtsSnapshot.changes_since = time.time() - 1
for relative, size in (
    ("home/ma-user/.cache/pip/http-v2/a/b/blob.body", 3_000_000),
    ("opt/tools/tool.bin", 1_000_000),
    ("home/ma-user/work/dataset.bin", 2_000_000),
):
    target = os.path.join(CONTAINER, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(os.urandom(size))
# Its processes: none is stuck, whatever this machine's own are doing (a busy CI machine has
# processes waiting on its disk, which would turn the processes check into a warning).
os.makedirs(os.path.join(CONTAINER, "proc"), exist_ok=True)
c.ModelArtsSnapshot.proc_dir = os.path.join(CONTAINER, "proc")
# The container's own package records, for the manifest (the tests add a package).
os.makedirs(os.path.join(CONTAINER, "var/lib/dpkg"), exist_ok=True)
os.makedirs(os.path.join(CONTAINER, "etc"), exist_ok=True)
with open(os.path.join(CONTAINER, "var/lib/dpkg/status"), "w") as status:
    status.write(
        "Package: curl\nStatus: install ok installed\nArchitecture: amd64\n"
        "Version: 7.81.0-1ubuntu1.15\n"
    )
with open(os.path.join(CONTAINER, "etc/os-release"), "w") as release:
    release.write('ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n')
c.ModelArtsSnapshot.dpkg_status = os.path.join(CONTAINER, "var/lib/dpkg/status")
c.ModelArtsSnapshot.os_release = os.path.join(CONTAINER, "etc/os-release")
c.ModelArtsSnapshot.conda_roots = []
c.ModelArtsSnapshot.scan_root = CONTAINER
c.ModelArtsSnapshot.work_dir = os.path.join(CONTAINER, "home/ma-user/work")
c.ModelArtsSnapshot.manifest_dir = os.path.join(CONTAINER, "home/ma-user/.modelarts-snapshot")
# Each dialog walks again, so that what a test plants is seen at once.
c.ModelArtsSnapshot.report_reuse_seconds = 0
ROOT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".preflight-root")
with open(ROOT_FILE, "w") as root_file:
    root_file.write(CONTAINER)

# A slow walk on demand, with no hook in the product: the walk's child process finds GNU find
# through the PATH it inherits from this server, so a find that waits while a gate file exists
# comes first. The gate does not exist unless a test makes it (its path is in WALK_GATE_FILE):
# other tests' walks run at find's own speed.
REAL_FIND = shutil.which("find")
assert REAL_FIND, "the pre-flight walk needs GNU find"
SHIMS = tempfile.mkdtemp(prefix="modelarts-snapshot-ui-shims-")
WALK_GATE = os.path.join(SHIMS, "walk-gate")
SHIM_LINES = [
    "#!/bin/sh",
    f'while [ -e "{WALK_GATE}" ]; do sleep 0.05; done',
    f'exec "{REAL_FIND}" "$@"',
]
with open(os.path.join(SHIMS, "find"), "w") as shim:
    shim.write("\n".join(SHIM_LINES) + "\n")
os.chmod(os.path.join(SHIMS, "find"), 0o700)  # this server's user runs it, no one else
os.environ["PATH"] = SHIMS + os.pathsep + os.environ.get("PATH", "")
WALK_GATE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".walk-gate")
with open(WALK_GATE_FILE, "w") as gate_file:
    gate_file.write(WALK_GATE)

# The auto-stop: a Python env the tests install into after the server started, as someone does
# on a running instance (the warning counts what the stop would erase). A venv without pip is
# made in a moment; the tests find it in GET manifest/now by its prefix. The lease is read from
# the emulator every 5 s (the least allowed), so that a lease a test sets is seen at once.
PYTHON_ENV = tempfile.mkdtemp(prefix="modelarts-snapshot-ui-python-")
subprocess.run([sys.executable, "-m", "venv", "--without-pip", PYTHON_ENV], check=True)
c.ModelArtsSnapshot.python_envs = [os.path.join(PYTHON_ENV, "bin", "python")]
c.ModelArtsSnapshot.lease_refresh_seconds = 5
