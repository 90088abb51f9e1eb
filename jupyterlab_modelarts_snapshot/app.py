"""The server extension: builds the service at load time, starts it with the server, closes it at
stop. The service sees kernels through the server's own kernel manager."""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp

from .config import ModelArtsSnapshot
from .handlers import HANDLERS
from .kernels import ServerKernels
from .service import SaveService, build_service


class ModelArtsSnapshotApp(ExtensionApp):
    name = "jupyterlab_modelarts_snapshot"
    load_other_extensions = True

    # None when the settings are not valid: the extension then serves nothing, and the front
    # end says that its server half is not loaded.
    service: SaveService | None = None

    def initialize_settings(self) -> None:
        try:
            settings = ModelArtsSnapshot(parent=self)
            self.service = build_service(
                settings,
                self.serverapp.base_url if self.serverapp else "",
                ServerKernels(self.serverapp),
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
        self.log.info(
            "ModelArts snapshot: notebook %s (from %s), %s",
            self.service.identity.notebook_id,
            self.service.identity.notebook_id_source,
            settings.describe(),
        )

    def initialize_handlers(self) -> None:
        if self.service is not None:
            self.handlers.extend(HANDLERS)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # Saves left unfinished by an earlier server are followed again right away.
        if self.service is not None:
            # Also records the environment as this container started, before anything else is
            # installed.
            self.service.start()

    async def stop_extension(self) -> None:
        if self.service is not None:
            await self.service.close()
