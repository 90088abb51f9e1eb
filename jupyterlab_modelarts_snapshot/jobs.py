"""Saves as persisted job records, and the service that starts and follows them.

A job's record is the single source of truth for every browser tab and the CLI: requests read
the record, and one background poller per server asks ModelArts, so the number of open tabs
never changes what ModelArts sees.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import errno
import fcntl  # ModelArts notebooks run Linux; the lock is shared with the CLI
import json
import logging
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import i18n
from .client import ModelArtsClient, backoff_delay
from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .exceptions import (
    CheckBlocked,
    CredentialsRejected,
    ModelArtsError,
    NoCredentials,
    NoRoom,
    NotReady,
    SaveInProgress,
    UpstreamError,
    UpstreamTimeout,
)
from .i18n import _
from .manifest import ImageRecords, summary
from .models import (
    FINISHED,
    Check,
    CheckItem,
    ImagePage,
    InstanceReport,
    Job,
    LastError,
    SaveRequest,
    iso,
    iso_now,
)
from .preflight import Preflight, human_bytes, next_free_tag
from .rules import canonical_id, is_uuid, validate_save_request

log = logging.getLogger(__name__)

IMAGE_GONE_MESSAGE = _(
    "ModelArts no longer has this image: it was deleted (for example in the console) or removed "
    "from SWR before the save ended. This save will not finish; you can save again."
)
POLL_BACKOFF_CAP = 300.0
# How often to look for an image whose create call got no answer before saying none was made.
RECONCILE_ATTEMPTS = 3
# Free space a save needs in the state directory besides its manifest copy: the job record and
# the journal line, with room to spare.
RECORD_ROOM_BYTES = 64 * 1024
# The change journal is started afresh past this size; readers then reload everything once.
JOURNAL_LIMIT_BYTES = 1 << 20


def poll_delay(poll_interval: float, failures: int) -> float:
    """Seconds until the next status poll: the interval, doubled per failed tick (capped)."""
    if failures == 0:
        return poll_interval
    ceiling = min(POLL_BACKOFF_CAP, poll_interval * 2.0**failures)
    return max(poll_interval, ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def _message(value: Any) -> str:
    return value if isinstance(value, str) else str(value or "")


def job_from_image(image: dict[str, Any], notebook_id: str, previous: Job | None = None) -> Job:
    """Turn ModelArts' image object into our job record, keeping what we knew before."""
    old: dict[str, Any] = previous.to_dict() if previous else {}
    status = str(image.get("status") or old.get("status") or "INIT")
    now = iso_now()
    created_ms = image.get("create_at")
    size = image.get("size")
    return Job(
        id=canonical_id(str(image.get("id") or old.get("id", ""))),
        name=str(image.get("name", old.get("name", ""))),
        namespace=str(image.get("namespace", old.get("namespace", ""))),
        tag=str(image.get("tag", old.get("tag", ""))),
        description=str(image.get("description", old.get("description", "")) or ""),
        status=status,
        # Ours (a Text) or ModelArts' own words, as it sent them.
        status_message=_message(image.get("status_message") or old.get("status_message")),
        swr_path=image.get("swr_path") or old.get("swr_path"),
        size_kb=size if isinstance(size, int) and size > 0 else old.get("size_kb"),
        created_at=old.get("created_at")
        or (iso(created_ms / 1000) if isinstance(created_ms, (int, float)) else now),
        updated_at=now,
        finished_at=(old.get("finished_at") or now) if status in FINISHED else None,
        notebook_id=old.get("notebook_id") or notebook_id,
        changes_summary=previous.changes_summary if previous else None,
    )


class JobStore:
    """One JSON file per job under ``state_dir/jobs``, each written atomically, and an index of
    them in memory.

    The index is loaded once. This process updates it on every write; what other processes (the
    CLI) write reaches it through a change journal (``jobs/.changes``: the ID of each record
    written, appended after the write). Keeping up costs one ``stat`` when nothing changed and
    one small read per changed record otherwise, however long the history is.
    """

    def __init__(self, state_dir: str) -> None:
        self.root = Path(state_dir)
        self.jobs_dir = self.root / "jobs"
        self.journal = self.jobs_dir / ".changes"
        # Temporary files live beside, not in, jobs/, so a half-written one is never listed.
        self.tmp_dir = self.root / "tmp"
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        # Per notebook: (created_at, id) in ascending order, and the unfinished IDs.
        self._order: dict[str, list[tuple[str, str]]] = {}
        self._unfinished: set[str] = set()
        self._journal_offset: int | None = None  # None: the index is not loaded

    # -- reading -----------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._journal_offset is not None

    def load(self) -> None:
        """Read every record (once at start, or when the journal was started afresh)."""
        with self._lock:
            offset = self._journal_size()
            jobs = [self._read(path) for path in sorted(self._record_paths())]
            self._jobs.clear()
            self._order.clear()
            self._unfinished.clear()
            for job in jobs:
                if job is not None:
                    self._index(job)
            self._journal_offset = offset

    def sync(self) -> None:
        """Take in what other processes wrote since the last look."""
        with self._lock:
            if self._journal_offset is None:
                self.load()
                return
            size = self._journal_size()
            if size == self._journal_offset:
                return
            if size < self._journal_offset:  # started afresh by a writer
                self.load()
                return
            with open(self.journal, "rb") as handle:
                handle.seek(self._journal_offset)
                chunk = handle.read(size - self._journal_offset)
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
            self._journal_offset += len(complete)
            for job_id in dict.fromkeys(complete.decode("ascii", "replace").split()):
                if is_uuid(job_id):
                    job = self._read(self._path(job_id))
                    if job is not None:
                        self._index(job)
                    else:
                        self._forget(job_id)

    def get(self, job_id: str) -> Job | None:
        self.sync()
        return self._jobs.get(canonical_id(job_id))

    def page(self, notebook_id: str, limit: int, offset: int) -> ImagePage:
        """A notebook's jobs, newest first."""
        self.sync()
        with self._lock:
            order = self._order.get(notebook_id, [])
            end = max(0, len(order) - offset)
            keys = order[max(0, end - limit) : end]
            jobs = [self._jobs[job_id] for _position, job_id in reversed(keys)]
            return ImagePage(images=jobs, total=len(order), limit=limit, offset=offset)

    def unfinished(self, notebook_id: str | None = None) -> list[Job]:
        self.sync()
        with self._lock:
            jobs = [self._jobs[job_id] for job_id in self._unfinished]
        return [job for job in jobs if notebook_id is None or job.notebook_id == notebook_id]

    # -- writing -----------------------------------------------------------------------------
    def save(self, job: Job) -> None:
        """Write the record atomically (temporary file, fsync, rename), then note the change.
        The index takes the job first, so that a record the disk refuses is still followed."""
        with self._lock:
            self._index(job)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        target = self._path(job.id)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix="job-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # Messages keep their msgid, to be read later in the reader's language.
                json.dump(i18n.dump(job.to_dict()), handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        try:
            self._note_change(job.id)
        except OSError as error:  # the record is kept; other processes see it at their next load
            log.warning("The change journal %s could not be written: %s", self.journal, error)

    def _note_change(self, job_id: str) -> None:
        with open(self.journal, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if handle.tell() > JOURNAL_LIMIT_BYTES:
                    handle.truncate(0)  # readers see it shrink and reload everything once
                handle.write(f"{job_id}\n".encode("ascii"))
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def save_lock(self) -> Iterator[bool]:
        """An exclusive lock across processes (server and CLI); yields False when taken."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "save.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EACCES):
                    yield False
                    return
                raise
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- the index ---------------------------------------------------------------------------
    def _index(self, job: Job) -> None:
        previous = self._jobs.get(job.id)
        if previous is not None and (
            previous.notebook_id != job.notebook_id or previous.created_at != job.created_at
        ):
            self._forget(job.id)
            previous = None
        self._jobs[job.id] = job
        if previous is None:
            bisect.insort(self._order.setdefault(job.notebook_id, []), (job.created_at, job.id))
        if job.finished:
            self._unfinished.discard(job.id)
        else:
            self._unfinished.add(job.id)

    def _forget(self, job_id: str) -> None:
        job = self._jobs.pop(job_id, None)
        self._unfinished.discard(job_id)
        if job is not None:
            order = self._order.get(job.notebook_id, [])
            with contextlib.suppress(ValueError):
                order.remove((job.created_at, job.id))

    # -- files -------------------------------------------------------------------------------
    def _path(self, job_id: str) -> Path:
        if not is_uuid(job_id):
            raise KeyError(job_id)
        return self.jobs_dir / f"{canonical_id(job_id)}.json"

    def _record_paths(self) -> Iterator[Path]:
        if not self.jobs_dir.is_dir():
            return
        for entry in os.scandir(self.jobs_dir):
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                yield Path(entry.path)

    def _journal_size(self) -> int:
        try:
            return os.stat(self.journal).st_size
        except FileNotFoundError:
            return 0

    def _read(self, path: Path) -> Job | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not is_uuid(str(data.get("id", ""))):
                raise ValueError("not a job record")
            return Job.from_dict(i18n.load(data))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as error:
            # A half-written, damaged or ill-typed record must not stop the server: keep it for
            # a human, once, and serve the others.
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            with contextlib.suppress(OSError):
                path.rename(aside)
            log.warning("Moved aside unreadable job record %s (%s) to %s", path, error, aside)
            return None


class SnapshotService:
    """Starts saves and follows them to the end; shared by the server extension and the CLI."""

    def __init__(
        self,
        settings: ModelArtsSnapshot,
        client: ModelArtsClient,
        credentials: CredentialChain,
        store: JobStore,
        base_url: str = "",
    ) -> None:
        self.settings = settings
        self.client = client
        self.credentials = credentials
        self.store = store
        self.notebook_id, self.notebook_id_source = settings.resolve_notebook_id(base_url)
        self.project_id, self.project_id_source = settings.resolve_project_id()
        if self.project_id:
            settings.project_id = self.project_id  # what the client puts in its URLs
        self._create_lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None
        self.preflight = Preflight(self)
        self.images = ImageRecords(settings)
        self.notebook_image: dict[str, Any] | None = None  # from ShowNotebook: id, name, swr_path
        self._records_started: asyncio.Task[dict[str, Any]] | None = None

    # -- what the server knows about itself -------------------------------------------------
    async def instance(self) -> InstanceReport:
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
        return InstanceReport(
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

    # -- reading records -----------------------------------------------------------------
    async def _synced(self) -> None:
        # The first read loads every record, off the event loop; later reads sync themselves.
        if not self.store.loaded:
            await asyncio.to_thread(self.store.load)

    async def unfinished(self) -> list[Job]:
        await self._synced()
        return self.store.unfinished(self.notebook_id)

    async def history(self, limit: int = 100, offset: int = 0) -> ImagePage:
        await self._synced()
        return self.store.page(self.notebook_id or "", limit, offset)

    async def job(self, job_id: str) -> Job | None:
        await self._synced()
        return self.store.get(job_id)

    async def _write(self, job: Job) -> None:
        await asyncio.to_thread(self.store.save, job)  # fsync stays off the event loop

    # -- starting a save ---------------------------------------------------------------------
    async def start_save(self, body: Any) -> Job:
        request = validate_save_request(body)
        request.workspace_id = request.workspace_id or self.settings.workspace_id
        request.tag = request.tag or datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        info = await self.instance()
        if not info.ready:
            raise NotReady(info.problems)
        assert self.notebook_id is not None
        async with self._create_lock:
            with self.store.save_lock() as locked:
                if not locked:
                    raise SaveInProgress(None)
                pending = await self.unfinished()
                if pending:
                    raise SaveInProgress(pending[0].to_dict())
                await self._refuse_blocked(request)
                record = await self._record_before_save(request)
                await asyncio.to_thread(self._ensure_room, record)
                job = await self._create(request)
                if record is not None:
                    job = dataclasses.replace(job, changes_summary=summary(record["changes"]))
                # The record first: nothing after create-image may leave the image unfollowed.
                await self._write_created(job)
                if record is not None:
                    await self._keep_manifest(job, record)
        log.info("Save started: image %s (%s)", job.id, job.label)
        return job

    def _ensure_room(self, record: dict[str, Any] | None) -> None:
        """Refuse the save before create-image when the state directory cannot hold its job
        record and its manifest copy."""
        needed = RECORD_ROOM_BYTES + (len(json.dumps(i18n.dump(record))) if record else 0)
        self.store.root.mkdir(parents=True, exist_ok=True)
        disk = os.statvfs(self.store.root)
        free = disk.f_bavail * disk.f_frsize
        if free < needed:
            raise NoRoom(
                _(
                    "The state directory {path} has {free} free, and this save needs {needed} "
                    "for its records. Free some space there (or set "
                    "c.ModelArtsSnapshot.state_dir to a folder with room), then save again. "
                    "Nothing was sent to ModelArts.",
                    path=str(self.store.root),
                    free=human_bytes(free),
                    needed=human_bytes(needed),
                )
            )

    async def _write_created(self, job: Job) -> None:
        try:
            await self._write(job)
        except OSError as error:
            # The image exists: it is followed from memory (the store indexed it before writing),
            # and the log says loudly that its record is not kept.
            log.error(
                "Image %s was created, but its record could not be written to %s (%s): it is "
                "followed until this server stops",
                job.id,
                self.store.jobs_dir,
                error.strerror,
            )

    async def _keep_manifest(self, job: Job, record: dict[str, Any]) -> None:
        """A copy of the manifest beside the job record; a failure costs the copy, not the save."""
        try:
            await asyncio.to_thread(self.images.after_save, job.id, job.swr_path, record)
        except OSError as error:
            log.warning(
                "The manifest of image %s could not be kept (%s); the save goes on without it",
                job.id,
                error.strerror,
            )

    async def _refuse_blocked(self, request: SaveRequest) -> None:
        """The cheap checks, taken now, and any block in the last full report (unless forced):
        a save they refuse sends nothing to ModelArts."""
        instance = await self.instance_check()
        if instance.level == "block":
            if any(item.name == "SNAPSHOTTING" for item in instance.items):
                raise SaveInProgress(None, instance.message)
            raise CheckBlocked("instance", instance.message)
        tag = await self.tag_check(request)
        if tag.level == "block":
            raise CheckBlocked("tag", tag.message, field="tag")
        blocked = None if request.force else self.preflight.blocking()
        if blocked is not None:
            raise CheckBlocked(
                blocked.id,
                _(
                    '{message} To save anyway, send "force": true (CLI: --force).',
                    message=blocked.message,
                ),
            )

    # -- what the image holds ----------------------------------------------------------------
    def start_records(self) -> asyncio.Task[dict[str, Any]]:
        """Record this container's baseline and parent once, off the event loop."""
        if self._records_started is None:
            self._records_started = asyncio.get_running_loop().create_task(
                asyncio.to_thread(self.images.start)
            )
        return self._records_started

    async def manifest_now(self) -> dict[str, Any]:
        """The live environment, its changes since the parent image, and the lineage."""
        await self.start_records()
        if self.notebook_image is None:
            await self.instance_check()
        record = await asyncio.to_thread(self.images.now, self.notebook_image)
        return {
            **record,
            "summary": dataclasses.asdict(summary(record["changes"])),
            "depth": len(record["lineage"]) + 1,
            "warn_depth": self.settings.lineage_warn_depth,
        }

    async def _record_before_save(self, request: SaveRequest) -> dict[str, Any] | None:
        """The manifest and lineage, written into the container before create-image. A failure
        here is logged and does not stop the save."""
        try:
            await self.start_records()
            label = f"{request.name}:{request.tag}"
            return await asyncio.to_thread(self.images.before_save, label, self.notebook_image)
        except Exception:
            log.exception("The manifest could not be recorded; saving without it")
            return None

    async def lineage_depth(self) -> int:
        """How many saves the image would descend from, this one included."""
        try:
            started = await self.start_records()
        except Exception:  # the report goes on without the lineage; the next one tries again
            log.exception("The container's start records could not be read")
            self._records_started = None
            return 1
        return len(started["lineage"]) + 1

    async def instance_check(self) -> Check:
        """ModelArts saves only a RUNNING instance: say so before asking it to."""
        if not self.notebook_id or not self.project_id:
            return Check(
                "instance", "info", _("The instance could not be checked: it is not known yet.")
            )
        try:
            notebook = await self.client.get_notebook(self.notebook_id)
        except ModelArtsError as error:
            if error.notebook_gone:
                return Check(
                    "instance",
                    "block",
                    _(
                        "ModelArts has no notebook instance {notebook} in project {project}: "
                        "check MODELARTS_NOTEBOOK_ID and the project.",
                        notebook=self.notebook_id,
                        project=self.settings.project_id,
                    ),
                )
            if isinstance(error, CredentialsRejected):
                raise
            log.info("Could not read the instance status first (%s); saving anyway", error)
            return Check(
                "instance",
                "info",
                _("The instance status could not be read: {reason}", reason=error.message),
            )
        except UpstreamError as error:
            log.info("Could not read the instance status first (%s); saving anyway", error)
            return Check(
                "instance",
                "info",
                _("The instance status could not be read: {reason}", reason=error.message),
            )
        status = str(notebook.get("status") or "")
        if isinstance(notebook.get("image"), dict):
            image = notebook["image"]
            self.notebook_image = {key: image.get(key) for key in ("id", "name", "swr_path")}
        item = [CheckItem(kind="status", name=status)]
        if status == "SNAPSHOTTING":
            return Check(
                "instance",
                "block",
                _(
                    "ModelArts is already saving an image of this instance (started elsewhere). "
                    "Wait until it ends."
                ),
                item,
            )
        if status and status != "RUNNING":
            return Check(
                "instance",
                "block",
                _(
                    "The instance is {status}; ModelArts saves only a RUNNING instance. Start it "
                    "and try again.",
                    status=status,
                ),
                item,
            )
        return Check("instance", "ok", _("The instance is running."), item)

    async def tag_check(self, request: SaveRequest | None) -> Check:
        """Is ``name:tag`` already in the organization? ModelArts refuses a duplicate only
        after the instance has paused, so find it first and propose the next free tag."""
        if request is None or not request.tag:
            return Check("tag", "info", _("Give a name, organization and tag to check the tag."))
        try:
            images = await self.client.list_saved_images(
                request.name, namespace=request.namespace, workspace_id=request.workspace_id
            )
        except UpstreamError as error:
            if isinstance(error, CredentialsRejected):
                raise
            return Check(
                "tag",
                "info",
                _("Existing tags could not be listed: {reason}", reason=error.message),
            )
        taken = {
            str(image.get("tag"))
            for image in images
            if image.get("name") == request.name and image.get("namespace") == request.namespace
        }
        label = f"{request.name}:{request.tag}"
        if request.tag not in taken:
            return Check(
                "tag",
                "ok",
                _(
                    "{label} is not taken in organization {namespace}.",
                    label=label,
                    namespace=request.namespace,
                ),
            )
        proposed = next_free_tag(request.tag, taken)
        return Check(
            "tag",
            "block",
            _(
                "Image {label} already exists in organization {namespace}, and ModelArts refuses "
                "a duplicate tag. Use another tag, for example '{proposed}'.",
                label=label,
                namespace=request.namespace,
                proposed=proposed,
            ),
            [CheckItem(kind="proposed-tag", name=proposed)],
        )

    async def _create(self, request: SaveRequest) -> Job:
        assert self.notebook_id is not None
        started = time.time()
        try:
            image = await self.client.create_image(self.notebook_id, request.upstream_body())
        except UpstreamTimeout:
            # The call may have reached ModelArts: never repeat it blindly, look for the image.
            found = await self._find_created(request, started)
            if found is None:
                raise UpstreamTimeout(
                    _(
                        "ModelArts did not answer in time and no image named '{label}' was "
                        "found: nothing was saved. Try again.",
                        label=request.name + ":" + str(request.tag),
                    )
                ) from None
            log.warning("create-image timed out but image %s exists: following it", found.get("id"))
            image = found
        if not is_uuid(str(image.get("id", ""))):
            raise UpstreamError(_("ModelArts accepted the save but sent no usable image ID."))
        for key in ("name", "namespace", "tag", "description"):
            image.setdefault(key, getattr(request, key) or "")
        return job_from_image(image, self.notebook_id)

    async def _find_created(self, request: SaveRequest, since: float) -> dict[str, Any] | None:
        """After a create call got no answer: did ModelArts make the image? Ask a few times,
        since the call may still be in progress there."""
        wanted = {"name": request.name, "namespace": request.namespace, "tag": request.tag}
        for attempt in range(1, RECONCILE_ATTEMPTS + 1):
            try:
                images = await self.client.list_saved_images(
                    request.name, namespace=request.namespace, workspace_id=request.workspace_id,
                    sort_key="create_at", sort_dir="DESC",
                )  # fmt: skip
            except UpstreamError as error:
                log.warning("Could not list images to find the save (%s)", error)
                images = []
            for image in images:
                created = image.get("create_at")
                recent = not isinstance(created, (int, float)) or created / 1000 >= since - 120
                if recent and all(image.get(key) == value for key, value in wanted.items()):
                    return image
            if attempt < RECONCILE_ATTEMPTS:
                await asyncio.sleep(backoff_delay(attempt + 1))
        return None

    # -- following saves ---------------------------------------------------------------------
    async def refresh(self, job: Job) -> Job:
        """Ask ModelArts once about an unfinished job and record the answer.

        When ModelArts says the image is gone, the job ends as DELETED. When it cannot be asked,
        the record keeps its status, says why and when in ``last_error``, and the error is raised.
        """
        try:
            image = await self.client.get_image(job.id)
        except ModelArtsError as error:
            if not error.image_gone:
                await self._record_failure(job, error)
                raise
            log.warning("Image %s no longer exists at ModelArts: its save ends", job.id)
            image = {"status": "DELETED", "status_message": IMAGE_GONE_MESSAGE}
        except UpstreamError as error:
            await self._record_failure(job, error)
            raise
        updated = job_from_image(image, job.notebook_id, job)
        await self._write(updated)
        if updated.status != job.status:
            log.info("Image %s: %s -> %s", job.id, job.status, updated.status)
        return updated

    async def _record_failure(self, job: Job, error: UpstreamError) -> None:
        failure = LastError(message=error.message, at=iso_now(), request_id=error.request_id)
        await self._write(dataclasses.replace(job, last_error=failure))

    async def poll_once(self, job: Job) -> bool:
        """Refresh one job; False (logged, status unchanged) if ModelArts could not be asked."""
        try:
            await self.refresh(job)
        except UpstreamError as error:
            # Transient: the record keeps its last known state; a later poll tries again.
            log.warning("Status poll for image %s failed: %s", job.id, error)
            return False
        except OSError as error:  # the state directory refused the write (full, read-only)
            log.warning("The record of image %s could not be written: %s", job.id, error.strerror)
            return False
        return True

    async def poll_unfinished(self) -> bool:
        """Poll every unfinished save once; False if ModelArts could not be asked about one."""
        results = [await self.poll_once(job) for job in await self.unfinished()]
        return all(results)

    def start_poller(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll_forever())

    async def _poll_forever(self) -> None:
        # Also picks up saves started by the CLI or left unfinished by an earlier server.
        failures = 0
        while True:
            await asyncio.sleep(poll_delay(self.settings.poll_interval, failures))
            try:
                failures = 0 if await self.poll_unfinished() else failures + 1
            except Exception:
                log.exception("Unexpected error while following saves")
                failures += 1

    async def wait(self, job_id: str) -> Job:
        """Follow one job to its end (for the CLI's --wait)."""
        while True:
            job = await self.job(job_id)
            if job is None:
                raise KeyError(job_id)
            if job.finished:
                return job
            await asyncio.sleep(self.settings.poll_interval)
            await self.poll_once(job)

    async def close(self) -> None:
        await self.preflight.close()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.client.http.aclose()
