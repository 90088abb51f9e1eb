"""Which instance and project the service acts for, where each ID came from, and its readiness:
whether it knows enough (IDs, endpoint, credentials) to save."""

from __future__ import annotations

from typing import Any

from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .exceptions import NoCredentials
from .i18n import _
from .models import Readiness


class Identity:
    def __init__(
        self, settings: ModelArtsSnapshot, credentials: CredentialChain, base_url: str = ""
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self.notebook_id, self.notebook_id_source = settings.resolve_notebook_id(base_url)
        self.project_id, self.project_id_source = settings.resolve_project_id()
        if self.project_id:
            settings.project_id = self.project_id  # what the client puts in its URLs
        # The image the instance runs, as ShowNotebook last said: id, name, swr_path.
        self.running_image: dict[str, Any] | None = None

    async def readiness(self) -> Readiness:
        creds = await self.credentials.get()
        if not self.project_id and creds and creds.project_id:
            # The credentials' own project (profile file, SDK session) fills the gap.
            self.project_id, self.project_id_source = (
                creds.project_id,
                f"credentials:{creds.source}",
            )
            self.settings.project_id = self.project_id
        project_id = self.project_id
        problems: list[str] = []
        if not self.notebook_id:
            problems.append(
                _(
                    "The notebook instance ID is unknown: set MODELARTS_NOTEBOOK_ID (ModelArts "
                    "sets INSTANCE_ID in a notebook) or c.ModelArtsSnapshot.notebook_id to the "
                    "instance ID shown in the ModelArts console."
                )
            )
        if not self.settings.endpoint:
            problems.append(
                _(
                    "The ModelArts endpoint is unknown: set MODELARTS_REGION (e.g. cn-north-4) or "
                    "MODELARTS_ENDPOINT."
                )
            )
        if not project_id:
            problems.append(
                _(
                    "The project ID is unknown: set HUAWEICLOUD_SDK_PROJECT_ID (ModelArts sets "
                    "PROJECT_ID in a notebook) or c.ModelArtsSnapshot.project_id (My Credentials "
                    "> API Credentials in the console)."
                )
            )
        if creds is None:
            problems.extend(self.credentials.problems or [NoCredentials.message])
        return Readiness(
            notebook_id=self.notebook_id,
            notebook_id_source=self.notebook_id_source,
            project_id=project_id or None,
            project_id_source=self.project_id_source if project_id else None,
            region=self.settings.region or (creds.region if creds else "") or None,
            endpoint=self.settings.endpoint or None,
            credentials=creds.source if creds else None,
            user_id=(creds.user_id or None) if creds else None,
            ready=not problems,
            problems=problems,
        )
