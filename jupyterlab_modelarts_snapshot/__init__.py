"""Save a running ModelArts notebook instance as an image from JupyterLab."""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"

__all__ = ["__version__", "load_ipython_extension"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-modelarts-snapshot"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import ModelArtsSnapshotApp

    return [{"module": "jupyterlab_modelarts_snapshot", "app": ModelArtsSnapshotApp}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyterlab_modelarts_snapshot``: the ``%modelarts_snapshot`` magic."""
    from .magic import SnapshotMagics

    ipython.register_magics(SnapshotMagics)
