"""The kernels a save would freeze, and the Pythons they run on, as seen from where the service
runs: from inside the Jupyter server (its kernel manager) or from a terminal (the user's running
servers, asked through their REST API). The service is given one of these when it is built."""

from __future__ import annotations

import os
import shutil
from typing import Any, Protocol

import httpx
from jupyter_core.paths import jupyter_runtime_dir

from .models import CheckItem


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
            if kernel.get("execution_state") == "busy"
        ]

    def pythons(self) -> dict[str, list[str]]:
        pythons: dict[str, list[str]] = {}
        manager = self.serverapp.kernel_spec_manager
        for name, spec in manager.get_all_specs().items():
            argv = spec.get("spec", {}).get("argv") or []
            python = shutil.which(argv[0]) if argv else None
            if python and "python" in os.path.basename(python):
                pythons.setdefault(python, []).append(name)
        return pythons


class RunningServerKernels:
    """From a terminal (the CLI, the magic): the user's running Jupyter servers."""

    def busy(self) -> list[CheckItem] | None:
        return busy_kernels()

    def pythons(self) -> dict[str, list[str]]:
        return {}


def running_servers() -> list[dict[str, Any]]:
    """The Jupyter servers of this user that are running now (from their runtime files)."""
    from jupyter_server.serverapp import list_running_servers

    return [info for info in list_running_servers(jupyter_runtime_dir()) if _alive(info["pid"])]


def busy_kernels() -> list[CheckItem] | None:
    """Busy kernels of this user's running Jupyter servers, asked through their REST API (for
    the CLI, which has no kernel manager); None when no server answered."""
    found: list[CheckItem] | None = None
    for info in running_servers():
        try:
            response = httpx.get(
                f"{info['url'].rstrip('/')}/api/kernels",
                headers={"Authorization": f"token {info.get('token', '')}"},
                timeout=3,
            )
            response.raise_for_status()
            kernels = response.json()
        except (httpx.HTTPError, ValueError):
            continue
        found = (found or []) + [
            CheckItem(kind="kernel", id=str(kernel.get("id")), name=kernel.get("name"))
            for kernel in kernels
            if isinstance(kernel, dict) and kernel.get("execution_state") == "busy"
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
