"""The kernels a save would freeze, and the Pythons they run on, as seen from where the service
runs: from inside the Jupyter server (its kernel manager) or from a terminal (the user's running
servers, asked through their REST API). The service is given one of these when it is built.

The service kernel is the service's own, not a user's: it is never counted as busy nor as a
Python whose packages the manifest records."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Protocol

import httpx
from jupyter_core.paths import jupyter_runtime_dir

from .models import SERVICE_KERNEL, CheckItem


class KernelProbe(Protocol):
    def busy(self) -> list[CheckItem] | None:
        """The busy kernels; None when none could be asked."""

    def pythons(self) -> dict[str, list[str]]:
        """Each kernelspec's Python, with the kernels that run on it (for the manifest)."""


class ServerKernels:
    """Inside the Jupyter server: its own kernel manager and kernelspecs."""

    def __init__(self, serverapp: Any) -> None:
        self.serverapp = serverapp

    def busy(self) -> list[CheckItem] | None:
        return [
            CheckItem(kind="kernel", id=kernel["id"], name=kernel.get("name"))
            for kernel in self.serverapp.kernel_manager.list_kernels()
            if kernel.get("execution_state") == "busy" and kernel.get("name") != SERVICE_KERNEL
        ]

    def pythons(self) -> dict[str, list[str]]:
        return pythons_of(self.serverapp.kernel_spec_manager.get_all_specs())


class RunningServerKernels:
    """From a terminal (the CLI, the magic) or the service kernel: the user's running Jupyter
    servers. ``server`` limits it to one (the service kernel's own)."""

    def __init__(self, server: dict[str, Any] | None = None) -> None:
        self.server = server

    def _servers(self) -> list[dict[str, Any]]:
        return [self.server] if self.server else running_servers()

    def busy(self) -> list[CheckItem] | None:
        return busy_kernels(self._servers())

    def pythons(self) -> dict[str, list[str]]:
        pythons: dict[str, list[str]] = {}
        for info in self._servers():
            specs = ask_server(info, "api/kernelspecs")
            if isinstance(specs, dict) and isinstance(specs.get("kernelspecs"), dict):
                for python, names in pythons_of(specs["kernelspecs"]).items():
                    pythons.setdefault(python, []).extend(names)
        return pythons


def pythons_of(specs: dict[str, Any]) -> dict[str, list[str]]:
    """Each kernelspec's Python (``{name: {"spec": {"argv": [...]}}}``), with its kernelspecs."""
    pythons: dict[str, list[str]] = {}
    for name, spec in specs.items():
        argv = (spec.get("spec") or {}).get("argv") if isinstance(spec, dict) else None
        python = shutil.which(argv[0]) if isinstance(argv, list) and argv else None
        if name != SERVICE_KERNEL and python and "python" in os.path.basename(python):
            pythons.setdefault(python, []).append(name)
    return pythons


def running_servers() -> list[dict[str, Any]]:
    """The Jupyter servers of this user that are running now (from their runtime files)."""
    from jupyter_server.serverapp import list_running_servers

    for _attempt in range(3):
        try:
            return [
                info for info in list_running_servers(jupyter_runtime_dir()) if _alive(info["pid"])
            ]
        except FileNotFoundError:  # a server stopped between the listing and the read: again
            continue
    return []


def server_of_process(pid: int) -> dict[str, Any] | None:
    """The running Jupyter server with this process ID (a kernel's parent), if any."""
    return next((info for info in running_servers() if info.get("pid") == pid), None)


def settings_arguments(pid: int) -> list[str]:
    """The ``--ModelArtsSnapshot.*`` arguments a process was started with (the Jupyter server
    of the service kernel), so that the kernel's settings are the server's; none when its
    command line cannot be read."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    words = [word.decode(errors="replace") for word in argv]
    return [word for word in words if word.startswith("--ModelArtsSnapshot.")]


def ask_server(info: dict[str, Any], path: str) -> Any:
    """A running server's answer to ``GET path`` with its own token; None when it gave none."""
    try:
        response = httpx.get(
            f"{info['url'].rstrip('/')}/{path}",
            headers={"Authorization": f"token {info['token']}"} if info.get("token") else {},
            timeout=3,
        )
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError):
        return None


def busy_kernels(servers: list[dict[str, Any]] | None = None) -> list[CheckItem] | None:
    """Busy kernels of this user's running Jupyter servers (or of ``servers``), asked through
    their REST API (outside the server there is no kernel manager); None when none answered."""
    found: list[CheckItem] | None = None
    for info in running_servers() if servers is None else servers:
        kernels = ask_server(info, "api/kernels")
        if not isinstance(kernels, list):
            continue
        found = (found or []) + [
            CheckItem(kind="kernel", id=str(kernel.get("id")), name=kernel.get("name"))
            for kernel in kernels
            if isinstance(kernel, dict)
            and kernel.get("execution_state") == "busy"
            and kernel.get("name") != SERVICE_KERNEL
        ]
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
