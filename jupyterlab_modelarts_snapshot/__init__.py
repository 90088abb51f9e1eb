"""Save a running ModelArts notebook instance as an image from JupyterLab."""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-modelarts-snapshot"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import ModelArtsSnapshotApp

    return [{"module": "jupyterlab_modelarts_snapshot", "app": ModelArtsSnapshotApp}]
