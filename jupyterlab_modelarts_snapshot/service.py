"""The service: one small API of typed calls and typed results that every transport (the REST
handlers, the CLI, the magic) uses, assembled from its parts. It starts saves itself (create-image
and, when ModelArts gives no answer, the look for the image it may have made); the parts do the
rest: readiness (``identity``), the pre-flight report (``preflight``), job records (``store``),
following saves (``follow``) and what each image holds (``records``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import shlex
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from . import i18n
from .client import ModelArtsClient, backoff_delay, open_http_client
from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .exceptions import (
    InvalidInput,
    NoRoom,
    NotReady,
    SaveInProgress,
    UnknownJob,
    UpstreamError,
    UpstreamTimeout,
)
from .follow import Follower
from .i18n import _
from .identity import Identity
from .kernels import KernelProbe, RunningServerKernels
from .lease import LeaseWatch
from .library import PER_GROUP_DEFAULT, ImageLibrary
from .manifest import summary
from .models import (
    CleanupResult,
    DeletedImage,
    Job,
    JobPage,
    Lease,
    Library,
    PreflightReport,
    PruneResult,
    Readiness,
    RestoreScript,
    SaveRequest,
    StopAfterSave,
    iso_now,
)
from .preflight import Preflight
from .rebuild import REBUILD_FILES, rebuild_file
from .records import ManifestRecords, read_json, write_json
from .restore import SCRIPT_NAME, restore_plan
from .rules import is_uuid, validate_save_request
from .sizes import human_bytes
from .store import JobStore, job_from_image

log = logging.getLogger(__name__)

# How often to look for an image whose create call got no answer before saying none was made.
RECONCILE_ATTEMPTS = 3
# Free space a save needs in the state directory besides its manifest copy: the job record and
# the journal line, with room to spare.
RECORD_ROOM_BYTES = 64 * 1024


class SaveService:
    """Saves this instance as an image and answers for its jobs, whatever the transport."""

    def __init__(
        self,
        settings: ModelArtsSnapshot,
        client: ModelArtsClient,
        credentials: CredentialChain,
        store: JobStore,
        records: ManifestRecords,
        kernels: KernelProbe,
        base_url: str = "",
    ) -> None:
        self.settings = settings
        self.client = client
        self.credentials = credentials
        self.store = store
        self.records = records
        self.identity = Identity(settings, credentials, base_url)
        self.follower = Follower(settings, client, store, self.identity)
        self.preflight = Preflight(settings, client, self.identity, records, kernels)
        self.lease = LeaseWatch(settings, client, self.identity, records, store)
        self.library = ImageLibrary(settings, client, self.identity, store, records)
        self._create_lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Follow unfinished saves, and record the container's start, in the background."""
        self.follower.start_poller()
        self.records.start_once()

    async def close(self) -> None:
        await self.preflight.close()
        await self.follower.close()
        await self.client.http.aclose()

    async def __aenter__(self) -> SaveService:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the library of saved images -----------------------------------------------------------
    async def image_library(
        self,
        namespace: str | None = None,
        limit: int = 20,
        offset: int = 0,
        refresh: bool = False,
        per_group: int = PER_GROUP_DEFAULT,
    ) -> Library:
        """The saved images of this instance's organizations (or ``namespace``), by name."""
        await self.follower.load_once()
        return await self.library.listing(namespace, limit, offset, refresh, per_group)

    async def delete_image(self, body: Any) -> DeletedImage:
        await self.follower.load_once()
        return await self.library.delete(body)

    async def prune_images(self, body: Any) -> PruneResult:
        await self.follower.load_once()
        return await self.library.prune(body)

    # -- readiness and jobs ------------------------------------------------------------------
    async def readiness(self) -> Readiness:
        return await self.identity.readiness()

    async def jobs(self, limit: int = 100, offset: int = 0) -> JobPage:
        """This instance's jobs, newest first."""
        await self.follower.load_once()
        return self.store.page(self.identity.notebook_id or "", limit, offset)

    async def job(self, job_id: str) -> Job | None:
        return await self.follower.job(job_id)

    async def refresh(self, job: Job) -> Job:
        """Ask ModelArts about one unfinished job now, and record the answer."""
        return await self.follower.refresh(job)

    async def poll(self, job: Job) -> Job:
        """Ask ModelArts once about a job, as the poller does: when it cannot be asked, the
        record keeps its state and says why (``last_error``)."""
        await self.follower.poll_once(job)
        return await self.job(job.id) or job

    async def wait(self, job_id: str) -> Job:
        """Follow one job to its end."""
        return await self.follower.wait(job_id)

    # -- the auto-stop -----------------------------------------------------------------------
    async def lease_status(self) -> Lease:
        """When ModelArts stops the instance, and (near it) what the stop would erase."""
        return await self.lease.status()

    async def extend_lease(self, body: Any) -> Lease:
        return await self.lease.extend(body)

    async def lease_warning_shown(self, body: Any) -> Lease:
        return await self.lease.warning_shown(body)

    # -- the pre-flight report ---------------------------------------------------------------
    async def start_preflight(self, body: Any = None) -> PreflightReport:
        """Start a report or join the one running; the cheap checks are taken again."""
        return await self.preflight.start(body)

    async def finished_preflight(self, body: Any = None) -> PreflightReport:
        """A finished report: start or join, then wait for the walk."""
        return await self.preflight.complete(body)

    def latest_preflight(self) -> PreflightReport:
        return self.preflight.latest()

    async def clean_caches(self, body: Any) -> CleanupResult:
        return await self.preflight.cleanup(body)

    # -- what an image holds -----------------------------------------------------------------
    async def manifest_now(self) -> dict[str, Any]:
        """The live environment, its changes since the parent image, and the lineage."""
        if self.identity.running_image is None:
            await self.preflight.instance_check()
        record = await self.records.now_async(self.identity.running_image)
        return {
            **record,
            "summary": dataclasses.asdict(summary(record["changes"])),
            "depth": len(record["lineage"]) + 1,
            "warn_depth": self.settings.lineage_warn_depth,
        }

    async def job_record(self, job_id: str) -> tuple[Job, dict[str, Any]]:
        """A job and the manifest record kept when it was saved."""
        record = await self.records.of_image_async(job_id)
        job = await self.job(job_id)
        if record is None or job is None:
            raise UnknownJob(
                _(
                    "No manifest is recorded for a save with ID '{id}': saves made before this "
                    "version have none. GET {path} lists the saves.",
                    id=job_id[:80],
                    path="modelarts-snapshot/jobs",
                )
            )
        return job, record

    async def job_manifest(self, job_id: str) -> dict[str, Any]:
        manifest: dict[str, Any] = (await self.job_record(job_id))[1]["manifest"]
        return manifest

    async def job_changes(self, job_id: str) -> dict[str, Any]:
        record = (await self.job_record(job_id))[1]
        return {**record["changes"], "lineage": record["lineage"]}

    async def rebuild_file(self, job_id: str, kind: str) -> str:
        if kind not in REBUILD_FILES:
            raise UnknownJob(
                _(
                    "There is no rebuild file '{kind}': ask for one of {files}.",
                    kind=kind[:40],
                    files=", ".join(REBUILD_FILES),
                )
            )
        job, record = await self.job_record(job_id)
        return rebuild_file(
            kind, record["manifest"], record["changes"], job.label, self.settings.work_dir
        )

    # -- the restore script ------------------------------------------------------------------
    @property
    def _restore_settings(self) -> Path:
        return Path(self.settings.state_dir) / "restore-settings.json"

    def _after_each_save(self) -> bool:
        settings = read_json(self._restore_settings)
        return isinstance(settings, dict) and settings.get("after_each_save") is True

    async def write_restore_script(self, body: Any) -> RestoreScript:
        """Write the restore script to the state directory (on the work volume); with
        ``{"after_each_save": true|false}``, also whether each save writes it again."""
        unknown = (
            sorted(str(key) for key in body if key != "after_each_save")
            if isinstance(body, dict)
            else ["body"]
        )
        after = body.get("after_each_save") if isinstance(body, dict) else None
        given = isinstance(body, dict) and "after_each_save" in body
        if unknown or (given and not isinstance(after, bool)):
            raise InvalidInput(
                unknown[0] if unknown else "after_each_save",
                _(
                    'The body of POST restore-script is empty or {{"after_each_save": true}} '
                    "(or false)."
                ),
            )
        if after is not None:
            await asyncio.to_thread(write_json, self._restore_settings, {"after_each_save": after})
        if self.identity.running_image is None:
            await self.preflight.instance_check()
        record = await self.records.now_async(self.identity.running_image)
        return await asyncio.to_thread(self._write_restore_script, record)

    def _write_restore_script(self, record: dict[str, Any]) -> RestoreScript:
        path = Path(self.settings.state_dir) / SCRIPT_NAME
        written_at = iso_now()
        plan = restore_plan(
            record["manifest"], record["changes"], self.settings.work_dir, written_at, str(path)
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # A new file (O_EXCL), then renamed over the old one: a link planted at either name is
        # replaced, never followed.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{SCRIPT_NAME}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(plan.script)
                os.fchmod(handle.fileno(), 0o755)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        log.info("Restore script written to %s", path)
        return RestoreScript(
            path=str(path),
            command=f"bash {shlex.quote(str(path))}",
            written_at=written_at,
            pip=plan.pip,
            conda=plan.conda,
            not_restorable=plan.not_restorable,
            after_each_save=self._after_each_save(),
        )

    # -- starting a save ---------------------------------------------------------------------
    async def start_save(self, body: Any) -> Job:
        request = validate_save_request(body)
        request.workspace_id = request.workspace_id or self.settings.workspace_id
        request.tag = request.tag or datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        info = await self.identity.readiness()
        if not info.ready:
            raise NotReady(info.problems)
        assert self.identity.notebook_id is not None
        async with self._create_lock:
            with self.store.save_lock() as locked:
                if not locked:
                    raise SaveInProgress(None)
                pending = await self.follower.unfinished()
                if pending:
                    raise SaveInProgress(pending[0].to_dict())
                await self.preflight.refuse_blocked(request)
                record = await self.records.record_before_save(
                    f"{request.name}:{request.tag}", self.identity.running_image
                )
                await asyncio.to_thread(self._ensure_room, record)
                job = await self._create(request)
                if request.stop_after_save:
                    job = dataclasses.replace(
                        job, stop=StopAfterSave("pending", iso_now(), at=None, reason=None)
                    )
                if request.skip_size_check:
                    job = dataclasses.replace(job, size_check_skipped=True)
                if record is not None:
                    job = dataclasses.replace(job, changes_summary=summary(record["changes"]))
                # The record first: nothing after create-image may leave the image unfollowed.
                await self._write_created(job)
                if record is not None:
                    await self.records.keep_after_save(job.id, job.swr_path, record)
                    if self._after_each_save():
                        await self._restore_script_after_save(record)
        log.info("Save started: image %s (%s)", job.id, job.label)
        return job

    async def _restore_script_after_save(self, record: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(self._write_restore_script, record)
        except Exception:  # a script that cannot be written costs the script, never the save
            log.exception("The restore script could not be written after the save")

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
            await self.follower.write(job)
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

    async def _create(self, request: SaveRequest) -> Job:
        assert self.identity.notebook_id is not None
        started = time.time()
        try:
            image = await self.client.create_image(
                self.identity.notebook_id, request.upstream_body()
            )
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
        return job_from_image(image, self.identity.notebook_id)

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


def build_service(
    settings: ModelArtsSnapshot, base_url: str = "", kernels: KernelProbe | None = None
) -> SaveService:
    """One HTTP client, credential chain, store and service: the same for every transport.
    ``kernels`` is how the busy kernels and their Pythons are seen from where it runs."""
    http = open_http_client(settings)
    credentials = CredentialChain(settings, http)
    client = ModelArtsClient(settings, http, credentials)
    kernels = kernels or RunningServerKernels()
    records = ManifestRecords(settings, kernels.pythons)
    return SaveService(
        settings, client, credentials, JobStore(settings.state_dir), records, kernels, base_url
    )
