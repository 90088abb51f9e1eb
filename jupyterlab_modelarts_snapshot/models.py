"""The contract between the server, the CLI and the browser: typed models of what the local API
sends and receives, and the image status vocabulary.

``openapi.json`` describes these same shapes for clients; ``tests/test_contract.py`` checks that
the two agree, and the front end's types are generated from ``openapi.json``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# ModelArts' image statuses, and which of them end a save.
STATUSES = ("INIT", "CREATING", "ACTIVE", "CREATE_FAILED", "ERROR", "DELETED")
FINISHED = frozenset({"ACTIVE", "CREATE_FAILED", "ERROR", "DELETED"})
FAILED = frozenset({"CREATE_FAILED", "ERROR"})


@dataclass
class LastError:
    """Why the last status check of an unfinished save failed."""

    message: str
    at: str
    # ModelArts' X-Request-Id, when it answered: what Huawei support asks for.
    request_id: str | None


@dataclass
class Job:
    """One save, persisted as a record and keyed by the ModelArts image ID."""

    id: str
    name: str
    namespace: str
    tag: str
    description: str
    status: str
    status_message: str
    swr_path: str | None
    size_kb: int | None
    created_at: str
    updated_at: str  # when ModelArts last answered about this image
    finished_at: str | None
    notebook_id: str
    last_error: LastError | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    @property
    def label(self) -> str:
        return f"{self.name}:{self.tag}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        """A record as stored; fields added since it was written take their defaults."""
        known = {item.name for item in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        last_error = values.get("last_error")
        values["last_error"] = LastError(**last_error) if isinstance(last_error, dict) else None
        return cls(**values)


@dataclass
class InstanceReport:
    """What the server knows about the instance it runs in (``GET instance``, ``doctor``)."""

    notebook_id: str | None
    notebook_id_source: str | None
    project_id: str | None
    project_id_source: str | None
    region: str | None
    endpoint: str | None
    credentials: str | None  # where they came from, never a secret
    user_id: str | None  # the SDK session's, sent as X-ModelArts-User-ID
    ready: bool
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SaveRequest:
    """The body of ``POST images`` once checked (see ``rules.py``); absent fields are None."""

    name: str
    namespace: str
    tag: str | None = None
    description: str | None = None
    workspace_id: str | None = None

    def upstream_body(self) -> dict[str, str]:
        """What create-image receives: the fields that were given."""
        return {key: value for key, value in dataclasses.asdict(self).items() if value}


@dataclass
class ImagePage:
    """``GET images``: one page of this instance's saves, newest first."""

    images: list[Job]
    total: int
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
