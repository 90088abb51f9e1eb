"""The documented install, run as a ModelArts user would run it, in a simulation of the notebook:

- a "platform" env with JupyterLab (``.../notebook-conda/envs/jp4``), owned by root and read-only;
- a non-root ``ma-user`` with its own HOME, and ``INSTANCE_ID`` and ``PROJECT_ID`` set;
- the user's kernel env with the package (this test's own environment);
- the platform's Jupyter server running as ``ma-user`` before the install.

Then: ``jupyter modelarts-snapshot install``, and the user's first day, with the server not
restarted (ModelArts never restarts it): the REST API is still missing, and the page's service
kernel (joined as the page joins it, through the server's REST API and kernel websocket) reports
the instance ready, starts a save and follows it to ACTIVE against the emulator, running as
``ma-user`` on the platform's Python under the same server process. After that, a restart serves
the REST API, which sees that save, and lists the labextension; the platform env is byte for
byte as before; after "a stop" (HOME reset) the extension is gone; with HOME kept, as in a saved
image, it is there from the start.

Needs root (to create the user), so it runs in CI and is skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyterlab_modelarts_snapshot import __version__
from jupyterlab_modelarts_snapshot.emulator import DEMO_NOTEBOOK_ID, DEMO_PROJECT_ID
from jupyterlab_modelarts_snapshot.models import FAILED, SERVICE_KERNEL

from conftest import Emulator
from helpers import wait_until, wait_until_async
from service_kernel_client import ServiceKernelClient

ROOT = Path(__file__).parent.parent
USER = "ma-user"
# A Python every user may run (a pyenv under /root is not), for the platform's and kernel's envs.
BASE_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None or not os.access(BASE_PYTHON, os.X_OK),
    reason="creating the non-root ma-user needs root (CI runs as root) and a system Python",
)
# One simulated notebook at a time on this machine: two test runs at once (two checkouts, or two
# pytest-xdist workers that each got one of this module's tests) would add and delete the same
# ma-user.
MACHINE_LOCK = Path(tempfile.gettempdir()) / "jupyterlab-modelarts-snapshot-ma-user.lock"


@dataclass
class Notebook:
    root: Path
    platform: Path  # the Jupyter server's env, read-only
    kernel_env: Path  # a kernel's env, where a terminal's pip installs (the user's)
    home: Path
    wheel: Path
    uid: int
    gid: int

    def env(self, **extra: str) -> dict[str, str]:
        """The instance's environment, as ModelArts gives it (no Jupyter or cloud settings)."""
        env = {
            "HOME": str(self.home),
            "PATH": f"{self.kernel_env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "INSTANCE_ID": DEMO_NOTEBOOK_ID,
            "PROJECT_ID": DEMO_PROJECT_ID,
        }
        env.update(extra)
        return env

    def run(self, *command: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=self.env(**extra), user=self.uid, group=self.gid, cwd=self.home,
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip


def checksums(folder: Path) -> dict[str, str]:
    listing = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            listing[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_symlink():
            listing[str(path.relative_to(folder))] = "-> " + os.readlink(path)
    return listing


def the_wheel(into: Path) -> Path:
    """This version's wheel, built now from the tree with the front end as it is built there;
    without a build environment of its own when the venv has the build tools (bootstrap.sh
    installs them), so it takes seconds."""
    tools = ("hatchling", "hatch_nodejs_version", "hatch_jupyter_builder")
    ready = all(importlib.util.find_spec(tool) for tool in tools)
    isolation = ["--no-isolation"] if ready else []
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", str(into), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    return next(into.glob("*.whl"))


@pytest.fixture(scope="module")
def one_notebook_at_a_time() -> Iterator[None]:
    with MACHINE_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="module")
def notebook(one_notebook_at_a_time: None) -> Iterator[Notebook]:
    root = Path(tempfile.mkdtemp(prefix="modelarts-notebook-", dir="/tmp"))
    root.chmod(0o755)  # the user walks through it
    created_user = False
    try:
        platform = root / "modelarts" / "authoring" / "notebook-conda" / "envs" / "jp4"
        # --system-site-packages: like a conda env, its Python reads the user's site-packages.
        subprocess.run(
            [BASE_PYTHON, "-m", "venv", "--system-site-packages", str(platform)], check=True
        )
        subprocess.run(
            [str(platform / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "jupyterlab>=4.0.0,<5"],
            check=True,
        )  # fmt: skip
        # Readable by all and writable by none, as /modelarts is mounted.
        subprocess.run(["chmod", "-R", "a+rX,a-w", str(root / "modelarts")], check=True)
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "--no-create-home", "--gid", "100", USER], check=True)
            created_user = True
        account = pwd.getpwnam(USER)
        home = root / "home" / USER
        home.mkdir(parents=True)
        (home / "work").mkdir()
        os.chown(home, account.pw_uid, account.pw_gid)
        os.chown(home / "work", account.pw_uid, account.pw_gid)
        dist = root / "dist"
        dist.mkdir()
        wheel = the_wheel(dist)
        subprocess.run(["chmod", "-R", "a+rX", str(dist)], check=True)
        kernel_env = root / "kernel-env"
        kernel_env.mkdir()
        os.chown(kernel_env, account.pw_uid, account.pw_gid)
        made = Notebook(root, platform, kernel_env, home, wheel, account.pw_uid, account.pw_gid)
        # README step 1, in a terminal: pip installs into the kernel's env.
        for command in (
            [BASE_PYTHON, "-m", "venv", str(kernel_env)],
            [str(kernel_env / "bin" / "pip"), "install", "--quiet", str(wheel)],
        ):
            done = made.run(*command)
            assert done.returncode == 0, done.stdout + done.stderr
        yield made
    finally:
        if created_user:
            subprocess.run(["userdel", USER], check=False)
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)


class PlatformServer:
    """The platform's Jupyter server, started as ma-user, as ModelArts starts it."""

    def __init__(self, notebook: Notebook, emulator: Emulator, **extra_env: str) -> None:
        self.notebook = notebook
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.token = secrets.token_hex(16)
        env = notebook.env(
            MODELARTS_ENDPOINT=emulator.url, HUAWEICLOUD_SDK_AK="EMULATORACCESSKEY0001",
            HUAWEICLOUD_SDK_SK="emulator-secret-key-0001", MODELARTS_METADATA_URL="off",
            **extra_env,
        )  # fmt: skip
        self.log = notebook.root / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [str(notebook.platform / "bin" / "jupyter"), "lab", "--no-browser",
             "--ip=127.0.0.1", f"--port={self.port}", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={notebook.home / 'work'}",
             f"--ModelArtsSnapshot.hostname=notebook-{DEMO_NOTEBOOK_ID}"],
            env=env, user=notebook.uid, group=notebook.gid, cwd=notebook.home,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.http.get("/api/status").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("the platform's server did not start")

    def instance(self) -> httpx.Response:
        return self.http.get("/modelarts-snapshot/readiness")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def labextensions(notebook: Notebook) -> str:
    listing = notebook.run(str(notebook.platform / "bin" / "jupyter"), "labextension", "list")
    return listing.stdout + listing.stderr


# The page's first save on the first day, as its form sends it.
FIRST_SAVE = {"name": "first-day-env", "namespace": "atelier-auto", "tag": "v1"}


def service_kernels(server_pid: int) -> list[int]:
    """The service kernels the server with this process ID started: its children that run the
    service kernel's module."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            ours = b"jupyterlab_modelarts_snapshot.service_kernel" in command
            if ours and proc_status(int(entry.name))["PPid"] == str(server_pid):
                found.append(int(entry.name))
        except OSError:  # it ended meanwhile
            continue
    return found


def proc_status(pid: int) -> dict[str, str]:
    fields = (line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {name: value.strip() for name, value in fields}


def ended(pid: int) -> bool:
    try:
        return proc_status(pid)["State"].startswith("Z")  # ended, not yet reaped
    except OSError:
        return True


async def first_save_through_the_service_kernel(
    server: PlatformServer, server_pid: int
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """What the page does when the REST API is missing: join the service session (the server
    starts the kernel), ask for readiness, start a save and follow it to its end. Returns the
    readiness, the finished job and the service kernel's process ID."""
    client = await ServiceKernelClient(f"http://127.0.0.1:{server.port}", server.token).start()
    try:
        readiness = await client.get_json("readiness")
        answer = await client.request("POST", "jobs", json.dumps(FIRST_SAVE))
        assert answer.status == 201, answer.text
        job_id = answer.json()["id"]
        assert answer.headers.get("Location") == f"jobs/{job_id}", answer.headers

        async def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = await client.get_json(f"jobs/{job_id}")
            assert job["status"] not in FAILED, job
            return job if job["status"] == "ACTIVE" else None

        # The kernel's own poller follows the save, at the default poll interval (10 s).
        job = await wait_until_async(finished, 60, 0.5, f"save {job_id} ACTIVE")
        assert job is not None
        (kernel_pid,) = service_kernels(server_pid)
    finally:
        await client.close(shutdown=False)
    # The kernel stays, as the page leaves it; the server ends it when it stops.
    return readiness, job, kernel_pid


# Four server starts, a kernel start and an install in one story: on a 2-core CI machine
# running the UI lane beside it, it can take more than the suite's 300 s.
@pytest.mark.timeout(900)
def test_the_documented_install_in_a_simulated_notebook(
    notebook: Notebook, modelarts_env: Emulator
) -> None:
    before = checksums(notebook.platform)
    server = PlatformServer(notebook, modelarts_env)
    server_pid = server.process.pid
    try:
        assert server.instance().status_code == 404  # nothing yet, as on a new instance
        # The documented step, in a notebook terminal, from the kernel env where pip put it.
        result = notebook.run(
            "jupyter", "modelarts-snapshot", "install", "--from", str(notebook.wheel)
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"jupyterlab-modelarts-snapshot=={__version__}" in result.stdout
        assert "Reload the JupyterLab page" in result.stdout
        assert "save an image now" in result.stdout
        # The page half is there at once; the server half waits for a server start.
        assert "jupyterlab-modelarts-snapshot" in labextensions(notebook)
        assert server.instance().status_code == 404

        # The first day: the server is never restarted, and the page reaches the service
        # through the service kernel, whose kernelspec the install wrote into the user's data
        # dir. Its settings come from the environment it inherits from the server; its state
        # dir is ~/.local/share/jupyter/modelarts_snapshot (there is no /home/ma-user/work here).
        spec = notebook.home / ".local/share/jupyter/kernels" / SERVICE_KERNEL / "kernel.json"
        spec_python = Path(json.loads(spec.read_text())["argv"][0])
        assert spec_python.parent == notebook.platform / "bin", spec_python
        modelarts_env.configure(init_seconds=0.2, creating_seconds=0.5)
        creates = modelarts_env.count("create_image")
        readiness, job, kernel_pid = asyncio.run(
            first_save_through_the_service_kernel(server, server_pid)
        )
        assert readiness["ready"], readiness
        assert (readiness["notebook_id"], readiness["notebook_id_source"]) == (
            DEMO_NOTEBOOK_ID, "env:INSTANCE_ID",
        )  # fmt: skip
        assert (job["name"], job["namespace"], job["tag"]) == tuple(FIRST_SAVE.values())
        assert job["notebook_id"] == DEMO_NOTEBOOK_ID
        assert modelarts_env.count("create_image") == creates + 1  # one save, one image
        record = (
            notebook.home / ".local/share/jupyter/modelarts_snapshot/jobs" / f"{job['id']}.json"
        )
        assert record.stat().st_uid == notebook.uid
        # The same server process as before the install, its REST API still missing...
        assert server.process.poll() is None and server.process.pid == server_pid
        assert server.instance().status_code == 404
        # ...and its child, the service kernel, runs as ma-user on the platform's Python.
        argv = Path(f"/proc/{kernel_pid}/cmdline").read_bytes().split(b"\0")
        assert argv[0].decode() == str(spec_python), argv
        status = proc_status(kernel_pid)
        assert status["PPid"] == str(server_pid)
        assert status["Uid"].split() == [str(notebook.uid)] * 4, status["Uid"]
    finally:
        server.stop()
    # The server ends the kernel it started.
    wait_until(lambda: ended(kernel_pid), 30, 0.2, "the service kernel ended")

    server = PlatformServer(notebook, modelarts_env)
    try:
        answer = server.instance()
        assert answer.status_code == 200, server.log.read_text()[-3000:]
        info: dict[str, Any] = answer.json()
        assert (info["notebook_id"], info["notebook_id_source"]) == (
            DEMO_NOTEBOOK_ID, "env:INSTANCE_ID",
        )  # fmt: skip
        assert (info["project_id"], info["project_id_source"]) == (
            DEMO_PROJECT_ID, "env:PROJECT_ID",
        )  # fmt: skip
        assert info["ready"], info
        # REST and the service kernel share the state dir: the first day's save is there.
        saved = server.http.get(f"/modelarts-snapshot/jobs/{job['id']}")
        assert (saved.status_code, saved.json()["status"]) == (200, "ACTIVE"), saved.text
    finally:
        server.stop()
    assert checksums(notebook.platform) == before  # the platform env is untouched

    # The hostname rule, when INSTANCE_ID is not there.
    server = PlatformServer(notebook, modelarts_env, INSTANCE_ID="")
    try:
        assert server.instance().json()["notebook_id_source"] == "hostname"
    finally:
        server.stop()

    # A stop resets HOME: the extension is gone, as documented.
    kept = notebook.root / "home-kept"
    notebook.home.rename(kept)
    notebook.home.mkdir()
    os.chown(notebook.home, notebook.uid, notebook.gid)
    (notebook.home / "work").mkdir()
    os.chown(notebook.home / "work", notebook.uid, notebook.gid)
    server = PlatformServer(notebook, modelarts_env)
    try:
        assert server.instance().status_code == 404
        assert "jupyterlab-modelarts-snapshot" not in labextensions(notebook)
    finally:
        server.stop()

    # In a saved image HOME is kept: the extension is there from the start.
    shutil.rmtree(notebook.home)
    kept.rename(notebook.home)
    server = PlatformServer(notebook, modelarts_env)
    try:
        assert server.instance().status_code == 200
        assert "jupyterlab-modelarts-snapshot" in labextensions(notebook)
    finally:
        server.stop()
    assert checksums(notebook.platform) == before


def test_install_refuses_to_replace_the_platforms_packages(
    notebook: Notebook, modelarts_env: Emulator
) -> None:
    """A package that needs another version of one of the platform's packages is refused whole."""
    before = checksums(notebook.platform)
    demanding = notebook.root / "demanding"
    (demanding / "needs_newer").mkdir(parents=True)
    (demanding / "needs_newer" / "__init__.py").write_text("")
    (demanding / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "needs-newer"\nversion = "1.0"\n'
        'dependencies = ["traitlets>=5.13,<5.14"]\n'  # the platform has the newest
    )
    subprocess.run(["chmod", "-R", "a+rwX", str(demanding)], check=True)  # pip builds in place
    server = PlatformServer(notebook, modelarts_env)
    try:
        result = notebook.run("jupyter", "modelarts-snapshot", "install", "--from", str(demanding))
    finally:
        server.stop()
    assert result.returncode != 0
    # Refused by the extension's own check (pip's report), or by pip when it sees the clash.
    assert "traitlets" in result.stderr
    assert "othing was installed" in result.stderr and "Traceback" not in result.stderr
    assert checksums(notebook.platform) == before
    user_site = list(notebook.home.glob(".local/lib/python*/site-packages/traitlets*"))
    assert user_site == []
