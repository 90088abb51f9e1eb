"""The contract between the server, the CLI and the browser: typed models of what the local API
sends and receives.

``openapi.json`` describes these same shapes for clients and is the one source of their word
lists (job statuses, check levels and IDs), read here; ``tests/test_contract.py`` checks that the
models and the document agree, and the front end's types are generated from the document.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

OPENAPI: dict[str, Any] = json.loads(
    (Path(__file__).with_name("openapi.json")).read_text(encoding="utf-8")
)
_SCHEMAS = OPENAPI["components"]["schemas"]


def iso(epoch_seconds: float) -> str:
    """A moment as the API gives every time: ISO 8601, UTC, to the second."""
    moment = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def moment(text: str) -> datetime:
    """A time as the API gives it (``iso``'s form), back as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_now() -> str:
    return iso(time.time())


# The kernel that serves the same operations over a comm, when the server extension is not loaded.
SERVICE_KERNEL: str = OPENAPI["info"]["x-service-kernel"]["kernel_name"]
COMM_TARGET: str = OPENAPI["info"]["x-service-kernel"]["comm_target"]

# ModelArts' image statuses, which of them end a job, and which end it in failure.
_STATUS = _SCHEMAS["Job"]["properties"]["status"]
STATUSES: tuple[str, ...] = tuple(_STATUS["enum"])
FINISHED = frozenset(_STATUS["x-finished"])
FAILED = frozenset(_STATUS["x-failed"])


@dataclass
class LastError:
    """Why the last status check of an unfinished save failed."""

    message: str
    at: str
    # ModelArts' X-Request-Id, when it answered: what Huawei support asks for.
    request_id: str | None


@dataclass
class ManagerCounts:
    """Packages one manager added, removed and changed since the parent image."""

    added: int
    removed: int
    changed: int


@dataclass
class ChangesSummary:
    """What a save adds compared with the image it started from, per package manager."""

    pip: ManagerCounts
    conda: ManagerCounts
    apt: ManagerCounts


@dataclass
class StopAfterSave:
    """A save's request to stop the instance once its image is ACTIVE, and what came of it."""

    state: str  # pending, stopping (sent), stopped, or not_stopped (``reason`` says why)
    requested_at: str
    at: str | None  # when the stop was sent, or given up
    reason: str | None


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
    changes_summary: ChangesSummary | None = None
    stop: StopAfterSave | None = None
    # Saved without waiting for the pre-flight's size estimate ("Save now").
    size_check_skipped: bool = False
    # ShowNotebook confirmed that the instance's next start runs from this image.
    starts_next: bool = False

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
    def from_dict(cls, data: Any) -> Job:
        """A record as stored, checked field by field against this model; fields added since
        it was written take their defaults. Raises ValueError when it does not fit."""
        job: Job = typed(cls, data, "job")
        return job


@dataclass
class Readiness:
    """Whether the service can save: what it knows about the instance it runs in and what is
    missing (``GET readiness``, ``doctor``)."""

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
    """The body of ``POST jobs`` once checked (see ``rules.py``); absent fields are None."""

    name: str
    namespace: str
    tag: str | None = None
    description: str | None = None
    workspace_id: str | None = None
    # Save although the last pre-flight report has a block (never sent to ModelArts).
    force: bool = False
    # Save without waiting for the walk's size estimate ("Save now"); the instance and the tag
    # are still checked. Kept in the job's record, never sent.
    skip_size_check: bool = False
    # Stop the instance once the image is ACTIVE (kept in the job's record, never sent).
    stop_after_save: bool = False

    def upstream_body(self) -> dict[str, str]:
        """What create-image receives: the fields that were given."""
        body = dataclasses.asdict(self)
        del body["force"], body["skip_size_check"], body["stop_after_save"]
        return {key: value for key, value in body.items() if value}


@dataclass
class JobPage:
    """``GET jobs``: one page of this instance's jobs, newest first."""

    jobs: list[Job]
    total: int
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class NotRestorable:
    """A package the restore script cannot bring back, and why."""

    manager: str
    name: str
    version: str
    reason: str


@dataclass
class RestoreScript:
    """``POST restore-script``: the script written to the work volume, and what it covers."""

    path: str
    command: str  # how to run it, in a terminal
    written_at: str
    pip: int  # pip packages it reinstalls when missing
    conda: int
    not_restorable: list[NotRestorable]
    after_each_save: bool  # written again after each save

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def typed(cls: type[Any], data: Any, where: str) -> Any:
    """``cls`` (a dataclass of this module) made from JSON ``data`` that must fit each field's
    annotation: ``str``, ``int``, another model, each maybe ``| None``. Unknown keys are
    ignored; a missing key takes the field's default (None where it may be null: fields added
    since a record was written), or is an error when it has none."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not an object")
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        annotation = str(item.type)
        optional = annotation.endswith(" | None")
        base = annotation[: -len(" | None")] if optional else annotation
        place = f"{where}.{item.name}"
        if item.name not in data:
            if item.default is not dataclasses.MISSING:
                continue
            if not optional:
                raise ValueError(f"{place} is missing")
        value = data.get(item.name)
        if value is None:
            if not optional:
                raise ValueError(f"{place} is null")
        elif base in _NESTED:
            value = typed(_NESTED[base], value, place)
        elif not isinstance(value, _SIMPLE[base]) or isinstance(value, bool) != (base == "bool"):
            raise ValueError(f"{place} is not a {base}")
        values[item.name] = value
    return cls(**values)


_SIMPLE: dict[str, type] = {"str": str, "int": int, "bool": bool}
_NESTED: dict[str, type] = {
    "LastError": LastError,
    "NotRestorable": NotRestorable,
    "StopAfterSave": StopAfterSave,
    "ChangesSummary": ChangesSummary,
    "ManagerCounts": ManagerCounts,
}


# Pre-flight check levels, from harmless to refusing the save, and the checks in report order.
LEVELS: tuple[str, ...] = tuple(_SCHEMAS["Check"]["properties"]["level"]["enum"])
CHECK_IDS: tuple[str, ...] = tuple(_SCHEMAS["Check"]["properties"]["id"]["enum"])


@dataclass
class CheckItem:
    """One thing a check found: a directory, a cache, a credential file, a process, a kernel or
    a tag. A credential file is named by its path and kind only, never by its content."""

    kind: str
    path: str | None = None
    bytes: int | None = None
    files: int | None = None
    name: str | None = None  # a process's command, a kernel's name, a proposed tag
    id: str | None = None  # a process ID or a kernel ID

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Check:
    """One pre-flight check: its ``level`` decides whether the save may go ahead."""

    id: str
    level: str
    message: str
    items: list[CheckItem] = field(default_factory=list)


@dataclass
class ScanProgress:
    files: int
    bytes: int


@dataclass
class SizeEstimate:
    """What the save would add to the image the instance runs on, against the size limit."""

    bytes: int
    files: int
    limit_bytes: int


@dataclass
class PreflightReport:
    """``GET/POST preflight``: what the image would hold, and what could fail the save."""

    state: str  # running, done or failed
    started_at: str
    finished_at: str | None
    partial: bool  # the walk stopped at scan_timeout: the figures are at least these
    message: str | None  # why a report failed
    progress: ScanProgress
    estimate: SizeEstimate | None
    largest: list[CheckItem]
    checks: list[Check]

    def check(self, check_id: str) -> Check | None:
        return next((check for check in self.checks if check.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class CleanupResult:
    """``POST preflight/cleanup``: each cache emptied, and what the image no longer carries."""

    cleaned: list[CheckItem]
    freed_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class AtRisk:
    """What a stop would erase: packages installed or upgraded, per manager, since the last
    save of this container (``since`` "save") or since it started ("start")."""

    pip: int
    conda: int
    apt: int
    since: str


@dataclass
class LeaseWarning:
    """The warning before the auto-stop, as the server words it for every page."""

    stop_at: str
    message: str | None  # what the stop would erase; None when nothing installed would be
    at_risk: AtRisk | None
    delivered: bool  # a page has shown it: a page opened later does not show it again


@dataclass
class Lease:
    """``GET lease``: when the auto-stop comes, from ModelArts' lease as last read."""

    enabled: bool
    type: str | None  # TIMING or IDLE
    stop_at: str | None
    estimate: bool  # the lease's two readings differ, or it counts idle time
    duration_ms: int | None
    warn_at: str | None  # when the pages warn; None when the warning is off
    warn_before_stop_minutes: int
    server_time: str  # the pages count down against this clock
    checked_at: str | None  # when ModelArts was last asked
    refresh_seconds: int
    warning: LeaseWarning | None  # from warn_at on
    last_error: LastError | None  # the last read failed: the figures are from before

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SavedImage:
    """One saved (``DEDICATED``) image in the library, as ModelArts lists it, marked with what
    this instance knows of it."""

    id: str
    name: str
    namespace: str
    tag: str
    status: str
    size_kb: int | None
    created_at: str | None
    swr_path: str | None
    # Saved by this instance (its job records) or in the lineage its container started with.
    from_this_instance: bool
    # The image this container started from, and the one ShowNotebook says the next start uses.
    runs_now: bool
    starts_next: bool

    @property
    def label(self) -> str:
        return f"{self.name}:{self.tag}"


@dataclass
class ImageGroup:
    """The images of one name in one organization, newest first."""

    name: str
    namespace: str
    images: list[SavedImage]  # the newest ``per_group`` of them
    total: int  # how many the name has


@dataclass
class Library:
    """``GET library``: a page of image groups, newest group first, from a list of ModelArts'
    that is at most ``library_cache_seconds`` old."""

    namespaces: list[str]
    groups: list[ImageGroup]
    total_groups: int
    total_images: int
    limit: int
    offset: int
    fetched_at: str | None

    def to_dict(self) -> dict[str, Any]:
        # Flat fields all the way down: copying them is ten times faster than asdict's deep
        # copy, which a page of 1,000 images feels.
        return {
            **vars(self),
            "namespaces": list(self.namespaces),
            "groups": [
                {**vars(group), "images": [dict(vars(image)) for image in group.images]}
                for group in self.groups
            ],
        }


@dataclass
class DeletedImage:
    """What one delete removed: the ModelArts registration, and what became of the SWR image
    (``kept``, ``deleted-with-registration`` by the force flag, or ``deleted`` by DeleteRepoTag)."""

    id: str
    name: str
    namespace: str
    tag: str
    swr_content: str
    force: str | None  # the force form sent: "query", "body", or None
    # swr_content "failed": what SWR said, and that the registration is gone anyway.
    swr_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RefusedImage:
    """An image that a delete or prune leaves, and why (``reason`` a code, ``message`` words)."""

    image: SavedImage
    reason: str
    message: str


@dataclass
class PruneResult:
    """``POST library/prune``: the newest ``keep`` of a name stay; the older ones go, unless
    refused. A dry run lists ``delete`` and deletes nothing."""

    name: str
    namespace: str
    keep: int
    with_swr_content: bool
    dry_run: bool
    kept: list[SavedImage]
    delete: list[SavedImage]
    refused: list[RefusedImage]
    deleted: list[DeletedImage]
    failed: list[RefusedImage]  # listed, but ModelArts refused to delete them

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
