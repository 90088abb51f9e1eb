"""The server extension: builds the service at load time, starts the poller, closes at stop."""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp

from .client import ModelArtsClient, open_http_client
from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .handlers import HANDLERS
from .jobs import JobStore, SnapshotService


def build_service(settings: ModelArtsSnapshot, base_url: str = "") -> SnapshotService:
    """One HTTP client, credential chain, store and service: the same for server and CLI."""
    http = open_http_client(settings)
    credentials = CredentialChain(settings, http)
    client = ModelArtsClient(settings, http, credentials)
    return SnapshotService(settings, client, credentials, JobStore(settings.state_dir), base_url)


class ModelArtsSnapshotApp(ExtensionApp):
    name = "jupyterlab_modelarts_snapshot"
    load_other_extensions = True

    service: SnapshotService

    def initialize_settings(self) -> None:
        settings = ModelArtsSnapshot(parent=self)
        self.service = build_service(settings, self.serverapp.base_url if self.serverapp else "")
        self.settings["modelarts_snapshot_service"] = self.service
        self.log.info(
            "ModelArts snapshot: notebook %s (from %s), %s",
            self.service.notebook_id,
            self.service.notebook_id_source,
            settings.describe(),
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(HANDLERS)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # Saves left unfinished by an earlier server are followed again right away.
        self.service.start_poller()

    async def stop_extension(self) -> None:
        await self.service.close()
