"""The ModelArts notebook as a place to install into: the Jupyter server that is running, the
Python it runs on, and ``jupyter modelarts-snapshot install``.

On ModelArts the Jupyter server runs from a read-only conda env (``jp4``, or ``jp3`` with
JupyterLab 3 on older images), and a plain ``pip install`` in a terminal goes into a kernel's env,
which that server never imports. ``install`` puts the package into the user's own site of the
server's Python (``pip install --user``), enables the server extension in the user's Jupyter
config for the next start, and writes the service kernel's kernelspec into the user's data dir,
which the running server finds at once; it never writes into the server's env and never
replaces one of its packages.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir, jupyter_runtime_dir

from . import i18n
from ._version import __version__
from .i18n import Text, _
from .kernels import ask_server, running_servers
from .models import SERVICE_KERNEL

DISTRIBUTION = "jupyterlab-modelarts-snapshot"
MODULE = "jupyterlab_modelarts_snapshot"
PLATFORM_ENVS = Path("/modelarts/authoring/notebook-conda/envs")

# Run by the server's Python: what it is, and what its own env holds (not the user site).
_DESCRIBE = r"""
import importlib.metadata as md, json, site, sys, sysconfig
user = site.getusersitepackages()
own = {}
for dist in md.distributions():
    if not str(dist.locate_file("")).startswith(user):
        own[(dist.metadata["Name"] or "").lower().replace("_", "-")] = dist.version
print(json.dumps({
    "executable": sys.executable, "version": sys.version.split()[0], "prefix": sys.prefix,
    "user_site_enabled": bool(site.ENABLE_USER_SITE), "user_site": user,
    "packages": own,
}))
"""


class InstallError(Exception):
    """Why ``install`` stopped, in words, with what the user can do instead."""

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ServerPython:
    """The running Jupyter server, and the Python it runs on."""

    url: str
    pid: int
    executable: str
    version: str
    prefix: str
    user_site_enabled: bool
    user_site: str
    packages: dict[str, str]

    @property
    def jupyterlab_major(self) -> int | None:
        version = self.packages.get("jupyterlab")
        return int(version.split(".")[0]) if version else None


def describe_python(executable: str) -> dict[str, Any]:
    result = subprocess.run(
        [executable, "-c", _DESCRIBE], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise InstallError(
            _(
                "{executable} could not be run: {reason}",
                executable=executable,
                reason=result.stderr.strip()[-500:],
            )
        )
    info: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return info


def find_server_python(executable: str | None = None) -> ServerPython:
    """The running server and its Python (``executable`` overrides the one it runs on)."""
    servers = running_servers()
    if not servers and executable is None:
        raise InstallError(
            _(
                "No running Jupyter server of this user was found (no runtime file in {folder}). "
                "Run this in a terminal of the notebook, or give the server's Python with "
                "--server-python.",
                folder=jupyter_runtime_dir(),
            )
        )
    url, pid = (str(servers[0]["url"]), int(servers[0]["pid"])) if servers else ("", 0)
    if executable is None:
        executable = _python_of(pid)
    info = describe_python(executable)
    return ServerPython(url=url, pid=pid, **info)


def _python_of(pid: int) -> str:
    """The Python a process runs: its command line's first word, as started (a venv's or conda
    env's own python; /proc/PID/exe would give the base interpreter behind a venv)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        first = argv[0].decode()
        if os.path.isabs(first) and os.access(first, os.X_OK) and "python" in Path(first).name:
            return first
        return os.readlink(f"/proc/{pid}/exe")
    except (OSError, IndexError, UnicodeDecodeError):
        raise InstallError(
            _(
                "The Python of the Jupyter server (process {pid}) could not be found: give it "
                "with --server-python.",
                pid=pid,
            )
        ) from None


def platform_env() -> str | None:
    """``jp4`` or ``jp3``: the ModelArts env the Jupyter server runs from, when there is one."""
    for name in ("jp4", "jp3"):
        if (PLATFORM_ENVS / name).is_dir():
            return name
    return None


def _pip(python: ServerPython, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def install(python: ServerPython, requirement: str) -> list[str]:
    """Install ``requirement`` into the server Python's user site and enable the server
    extension in the user's Jupyter config. Returns what was installed (name==version)."""
    if python.jupyterlab_major is not None and python.jupyterlab_major < 4:
        raise InstallError(
            _(
                "The Jupyter server runs JupyterLab {version} (an older ModelArts image, jp3). "
                "The extension's page and server parts need JupyterLab 4 and jupyter_server 2, "
                "and installing those would replace the platform's own. On this image use the "
                "CLI (jupyter modelarts-snapshot save ...) or the notebook magic (%load_ext "
                "jupyterlab_modelarts_snapshot) from a kernel's env instead.",
                version=python.packages["jupyterlab"],
            )
        )
    if "jupyter-server" not in python.packages:
        raise InstallError(
            _(
                "{executable} has no jupyter_server: it runs no Jupyter server.",
                executable=python.executable,
            )
        )
    if not python.user_site_enabled:
        raise InstallError(
            _(
                "{executable} does not read the user's site-packages (user site disabled), so "
                "nothing can be added to it without writing into its env.",
                executable=python.executable,
            )
        )
    # Ask pip first what it would install: nothing of the server's own env may be replaced.
    plan = _pip(python, "install", "--user", "--dry-run", "--quiet", "--report", "-", requirement)
    if plan.returncode != 0:
        raise InstallError(
            _(
                "pip cannot install {requirement} for the Jupyter server's Python; nothing was "
                "installed. pip said: {output}",
                requirement=requirement,
                output=plan.stderr.strip()[-800:],
            )
        )
    report = json.loads(plan.stdout)
    planned = [
        (item["metadata"]["name"].lower().replace("_", "-"), item["metadata"]["version"])
        for item in report.get("install", [])
    ]
    replaced = [
        f"{name} {python.packages[name]} -> {version}"
        for name, version in planned
        if name in python.packages and name != DISTRIBUTION
    ]
    if replaced:
        raise InstallError(
            _(
                "Installing would replace packages of the Jupyter server's own env: {packages}. "
                "Nothing was installed. Use the CLI or the notebook magic from a kernel's env, or "
                "build a custom image with the extension.",
                packages=", ".join(replaced),
            )
        )
    done = _pip(python, "install", "--user", "--quiet", requirement)
    if done.returncode != 0:
        raise InstallError(
            _(
                "pip could not install {requirement}: {output}",
                requirement=requirement,
                output=done.stderr.strip()[-800:],
            )
        )
    enable = subprocess.run(
        [python.executable, "-m", "jupyter_server.extension.serverextension", "enable", "--user",
         MODULE],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if enable.returncode != 0:
        raise InstallError(
            _("The server extension could not be enabled: {output}", output=enable.stderr[-800:])
        )
    # The running server finds this at once: the page reaches the service through it today.
    write_kernelspec(python.executable, jupyter_data_dir())
    return [f"{name}=={version}" for name, version in planned]


def kernelspec(python: str) -> dict[str, Any]:
    """The kernelspec that starts the service kernel on ``python`` (the Jupyter server's)."""
    return {
        "argv": [python, "-m", f"{MODULE}.service_kernel", "-f", "{connection_file}"],
        "display_name": i18n.render(_("ModelArts snapshot service")),
        "language": "json",
        "interrupt_mode": "message",
        "metadata": {"modelarts_snapshot": {"role": "service"}},
    }


def write_kernelspec(python: str, data_dir: str) -> Path:
    """Write the service kernel's spec into the Jupyter data dir (the server finds it there at
    once, without a restart), replacing an older one. Returns its folder."""
    folder = Path(data_dir) / "kernels" / SERVICE_KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "kernel.json"
    spec.write_text(json.dumps(kernelspec(python), indent=1, ensure_ascii=False) + "\n")
    return folder


@dataclass
class PageTransport:
    """How the JupyterLab page of the running server reaches the service: ``rest`` (the server
    extension is loaded), ``kernel`` (the service kernel stands in), ``none`` (neither is
    installed) or ``unknown`` (no running server answered). ``error`` is why the service kernel
    cannot start, when it cannot."""

    kind: str
    server: str | None = None
    error: str | None = None


def page_transport() -> PageTransport:
    servers = running_servers()
    if not servers:
        return PageTransport("unknown")
    info = servers[0]
    url = str(info.get("url"))
    if isinstance(ask_server(info, "modelarts-snapshot/readiness"), dict):
        return PageTransport("rest", url)
    specs = ask_server(info, "api/kernelspecs")
    if not isinstance(specs, dict):
        return PageTransport("unknown", url)
    spec = (specs.get("kernelspecs") or {}).get(SERVICE_KERNEL)
    if not isinstance(spec, dict):
        return PageTransport("none", url)
    argv = (spec.get("spec") or {}).get("argv") or [""]
    # What the kernel does first: import its module on its Python.
    try:
        started = subprocess.run(
            [str(argv[0]), "-c", f"import {MODULE}.service_kernel"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    except OSError as error:
        return PageTransport("kernel", url, f"{argv[0]}: {error.strerror}")
    if started.returncode == 0:
        return PageTransport("kernel", url)
    last = started.stderr.strip().splitlines()[-1:] or [f"{argv[0]}: exit {started.returncode}"]
    return PageTransport("kernel", url, last[0])


def default_requirement() -> str:
    return f"{DISTRIBUTION}=={__version__}" if __version__ != "dev" else DISTRIBUTION
