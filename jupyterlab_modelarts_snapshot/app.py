"""The server extension: builds the service at load time, starts the poller, closes at stop."""

from __future__ import annotations

import os
import shutil
from typing import Any

from jupyter_server.extension.application import ExtensionApp

from .client import ModelArtsClient, open_http_client
from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .handlers import HANDLERS
from .jobs import JobStore, SnapshotService
from .models import CheckItem


def build_service(settings: ModelArtsSnapshot, base_url: str = "") -> SnapshotService:
    """One HTTP client, credential chain, store and service: the same for server and CLI."""
    http = open_http_client(settings)
    credentials = CredentialChain(settings, http)
    client = ModelArtsClient(settings, http, credentials)
    return SnapshotService(settings, client, credentials, JobStore(settings.state_dir), base_url)


class ModelArtsSnapshotApp(ExtensionApp):
    name = "jupyterlab_modelarts_snapshot"
    load_other_extensions = True

    # None when the settings are not valid: the extension then serves nothing, and the front
    # end says that its server half is not loaded.
    service: SnapshotService | None = None

    def initialize_settings(self) -> None:
        try:
            settings = ModelArtsSnapshot(parent=self)
            self.service = build_service(
                settings, self.serverapp.base_url if self.serverapp else ""
            )
        except Exception as error:
            if self.serverapp is not None and self.serverapp.reraise_server_extension_failures:
                raise
            # One clear line, not a traceback: a bad setting is the user's to fix.
            self.log.error(
                "ModelArts snapshot: the extension is not loaded because a setting is not valid: "
                "%s. Fix it in the Jupyter server config or on the command line "
                "(c.ModelArtsSnapshot.*), then restart the server.",
                error,
            )
            self.log.debug("ModelArts snapshot: settings failed", exc_info=True)
            return
        self.settings["modelarts_snapshot_service"] = self.service
        in_config = settings.credentials_in_config()
        if in_config:
            self.log.warning(
                "ModelArts snapshot: %s is set in the Jupyter config or on the command line, and "
                "the server logs its configuration at debug level: set credentials in the "
                "environment or a credentials file instead (see jupyter modelarts-snapshot "
                "doctor).",
                ", ".join(f"c.ModelArtsSnapshot.{name}" for name in in_config),
            )
        self.service.preflight.busy_kernels = self._busy_kernels
        self.service.images.pythons = self._kernel_pythons
        self.log.info(
            "ModelArts snapshot: notebook %s (from %s), %s",
            self.service.notebook_id,
            self.service.notebook_id_source,
            settings.describe(),
        )

    def _busy_kernels(self) -> list[CheckItem] | None:
        if self.serverapp is None:
            return None
        return [
            CheckItem(kind="kernel", id=kernel["id"], name=kernel.get("name"))
            for kernel in self.serverapp.kernel_manager.list_kernels()
            if kernel.get("execution_state") == "busy"
        ]

    def _kernel_pythons(self) -> dict[str, list[str]]:
        """Each kernelspec's Python, with the kernels that run on it (for the manifest)."""
        pythons: dict[str, list[str]] = {}
        manager = self.serverapp.kernel_spec_manager if self.serverapp else None
        if manager is None:
            return pythons
        for name, spec in manager.get_all_specs().items():
            argv = spec.get("spec", {}).get("argv") or []
            python = shutil.which(argv[0]) if argv else None
            if python and "python" in os.path.basename(python):
                pythons.setdefault(python, []).append(name)
        return pythons

    def initialize_handlers(self) -> None:
        if self.service is not None:
            self.handlers.extend(HANDLERS)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # Saves left unfinished by an earlier server are followed again right away.
        if self.service is not None:
            self.service.start_poller()
            # The environment as this container started, before anything else is installed.
            self.service.start_records()

    async def stop_extension(self) -> None:
        if self.service is not None:
            await self.service.close()
