"""Saves as persisted job records, and the service that starts and follows them.

A job's record is the single source of truth for every browser tab and the CLI: requests read
the record, and one background poller per server asks ModelArts, so the number of open tabs
never changes what ModelArts sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl  # ModelArts notebooks run Linux; the lock is shared with the CLI
import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .client import (
    CredentialsRejected,
    ModelArtsClient,
    ModelArtsError,
    UpstreamError,
    UpstreamTimeout,
    backoff_delay,
)
from .config import ModelArtsSnapshot
from .credentials import CredentialChain
from .rules import is_uuid, validate_save_request

log = logging.getLogger(__name__)

FINISHED = frozenset({"ACTIVE", "CREATE_FAILED", "ERROR", "DELETED"})
FAILED = frozenset({"CREATE_FAILED", "ERROR"})
JOB_FIELDS = (
    "id", "name", "namespace", "tag", "description", "status", "status_message", "swr_path",
    "size_kb", "created_at", "updated_at", "finished_at", "notebook_id", "last_error",
)  # fmt: skip
IMAGE_GONE_MESSAGE = (
    "ModelArts no longer has this image: it was deleted (for example in the console) or removed "
    "from SWR before the save ended. This save will not finish; you can save again."
)


POLL_BACKOFF_CAP = 300.0
# How often to look for an image whose create call got no answer before saying none was made.
RECONCILE_ATTEMPTS = 3


def poll_delay(poll_interval: float, failures: int) -> float:
    """Seconds until the next status poll: the interval, doubled per failed tick (capped)."""
    if failures == 0:
        return poll_interval
    ceiling = min(POLL_BACKOFF_CAP, poll_interval * 2.0**failures)
    return max(poll_interval, ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def iso_now() -> str:
    return iso(time.time())


def iso(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def job_from_image(
    image: dict[str, Any], notebook_id: str, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Turn ModelArts' image object into our job record, keeping what we knew before."""
    job = dict(previous or {})
    status = str(image.get("status") or job.get("status") or "INIT")
    now = iso_now()
    created_ms = image.get("create_at")
    size = image.get("size")
    job.update(
        id=str(image.get("id") or job.get("id")),
        name=image.get("name", job.get("name")),
        namespace=image.get("namespace", job.get("namespace")),
        tag=image.get("tag", job.get("tag")),
        description=image.get("description", job.get("description", "")),
        status=status,
        status_message=image.get("status_message") or job.get("status_message") or "",
        swr_path=image.get("swr_path") or job.get("swr_path"),
        size_kb=size if isinstance(size, int) and size > 0 else job.get("size_kb"),
        created_at=job.get("created_at")
        or (iso(created_ms / 1000) if isinstance(created_ms, (int, float)) else now),
        updated_at=now,
        notebook_id=job.get("notebook_id") or notebook_id,
    )
    job["finished_at"] = (job.get("finished_at") or now) if status in FINISHED else None
    return {key: job.get(key) for key in JOB_FIELDS}


class JobStore:
    """One JSON file per job under ``state_dir/jobs``, each written atomically."""

    def __init__(self, state_dir: str) -> None:
        self.root = Path(state_dir)
        self.jobs_dir = self.root / "jobs"

    def _path(self, job_id: str) -> Path:
        if not is_uuid(job_id):
            raise KeyError(job_id)
        return self.jobs_dir / f"{job_id.lower()}.json"

    def save(self, job: dict[str, Any]) -> None:
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        target = self._path(job["id"])
        fd, tmp = tempfile.mkstemp(dir=self.jobs_dir, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(job, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            path = self._path(job_id)
        except KeyError:
            return None
        return self._read(path)

    def all(self) -> list[dict[str, Any]]:
        """Every job, newest first."""
        if not self.jobs_dir.is_dir():
            return []
        jobs = [
            job
            for path in self.jobs_dir.glob("*.json")
            if not path.name.startswith(".")
            for job in [self._read(path)]
            if job
        ]
        return sorted(jobs, key=lambda job: (job.get("created_at") or "", job["id"]), reverse=True)

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not is_uuid(str(data.get("id", ""))):
                raise ValueError("not a job record")
            return data
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            # A half-written or damaged record must not stop the server: keep it for a human.
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            with contextlib.suppress(OSError):
                path.rename(aside)
            log.warning("Moved aside unreadable job record %s (%s) to %s", path, error, aside)
            return None

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


class NotReady(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("This server cannot save an image yet: " + " ".join(problems))
        self.message = "This server cannot save an image yet. " + " ".join(problems)
        self.problems = problems


class SaveInProgress(Exception):
    def __init__(self, job: dict[str, Any] | None, message: str | None = None) -> None:
        if message is None and job:
            message = (
                f"A save from this instance is not finished yet: image '{job['name']}:{job['tag']}' "
                f"is {job['status']}. Wait until it ends, then save again."
            )
        elif message is None:
            message = (
                "Another save from this instance is being started right now. Try again in a moment."
            )
        super().__init__(message)
        self.message = message
        self.job = job


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
        self._create_lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    # -- what the server knows about itself -------------------------------------------------
    async def instance(self) -> dict[str, Any]:
        creds = await self.credentials.get()
        project_id = self.settings.project_id or (creds.project_id if creds else "")
        if project_id and not self.settings.project_id:
            # The credentials' own project (profile file, SDK session) fills the gap.
            self.settings.project_id = project_id
        problems: list[str] = []
        if not self.notebook_id:
            problems.append(
                "The notebook instance ID is unknown: set MODELARTS_NOTEBOOK_ID or "
                "c.ModelArtsSnapshot.notebook_id to the instance ID shown in the ModelArts console."
            )
        if not self.settings.endpoint:
            problems.append(
                "The ModelArts endpoint is unknown: set MODELARTS_REGION (e.g. cn-north-4) or "
                "MODELARTS_ENDPOINT."
            )
        if not project_id:
            problems.append(
                "The project ID is unknown: set HUAWEICLOUD_SDK_PROJECT_ID or "
                "c.ModelArtsSnapshot.project_id (My Credentials > API Credentials in the console)."
            )
        if creds is None:
            problems.extend(self.credentials.problems or ["No ModelArts credentials were found."])
        return {
            "notebook_id": self.notebook_id,
            "notebook_id_source": self.notebook_id_source,
            "project_id": project_id or None,
            "region": self.settings.region or (creds.region if creds else "") or None,
            "endpoint": self.settings.endpoint or None,
            "credentials": creds.source if creds else None,
            "ready": not problems,
            "problems": problems,
        }

    def unfinished(self) -> list[dict[str, Any]]:
        return [
            job
            for job in self.store.all()
            if job.get("notebook_id") == self.notebook_id and job.get("status") not in FINISHED
        ]

    def history(self) -> list[dict[str, Any]]:
        return [job for job in self.store.all() if job.get("notebook_id") == self.notebook_id]

    # -- starting a save ---------------------------------------------------------------------
    async def start_save(self, body: Any) -> dict[str, Any]:
        request = validate_save_request(body)
        request.setdefault("workspace_id", self.settings.workspace_id)
        request.setdefault("tag", datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S"))
        info = await self.instance()
        if not info["ready"]:
            raise NotReady(info["problems"])
        assert self.notebook_id is not None
        async with self._create_lock:
            with self.store.save_lock() as locked:
                if not locked:
                    raise SaveInProgress(None)
                pending = self.unfinished()
                if pending:
                    raise SaveInProgress(pending[0])
                await self._check_notebook_status()
                job = await self._create(request)
                self.store.save(job)
        log.info("Save started: image %s (%s:%s)", job["id"], job["name"], job["tag"])
        return job

    async def _check_notebook_status(self) -> None:
        """ModelArts saves only a RUNNING instance: say so before asking it to."""
        assert self.notebook_id is not None
        try:
            notebook = await self.client.get_notebook(self.notebook_id)
        except ModelArtsError as error:
            if error.notebook_gone:
                raise NotReady(
                    [
                        f"ModelArts has no notebook instance {self.notebook_id} in project "
                        f"{self.settings.project_id}: check MODELARTS_NOTEBOOK_ID and the project."
                    ]
                ) from None
            if isinstance(error, CredentialsRejected):
                raise
            log.info("Could not read the instance status first (%s); saving anyway", error)
            return
        except UpstreamError as error:
            log.info("Could not read the instance status first (%s); saving anyway", error)
            return
        status = notebook.get("status")
        if status == "SNAPSHOTTING":
            raise SaveInProgress(
                None,
                "ModelArts is already saving an image of this instance (started elsewhere). Wait until it ends.",
            )
        if status and status != "RUNNING":
            raise NotReady(
                [
                    f"The instance is {status}; ModelArts saves only a RUNNING instance. Start it and try again."
                ]
            )

    async def _create(self, request: dict[str, str]) -> dict[str, Any]:
        assert self.notebook_id is not None
        started = time.time()
        try:
            image = await self.client.create_image(self.notebook_id, request)
        except UpstreamTimeout:
            # The call may have reached ModelArts: never repeat it blindly, look for the image.
            found = await self._find_created(request, started)
            if found is None:
                raise UpstreamTimeout(
                    "ModelArts did not answer in time and no image named "
                    f"'{request['name']}:{request['tag']}' was found: nothing was saved. Try again."
                ) from None
            log.warning("create-image timed out but image %s exists: following it", found.get("id"))
            image = found
        if not is_uuid(str(image.get("id", ""))):
            raise UpstreamError("ModelArts accepted the save but sent no usable image ID.")
        for key in ("name", "namespace", "tag", "description"):
            image.setdefault(key, request.get(key, ""))
        return job_from_image(image, self.notebook_id)

    async def _find_created(self, request: dict[str, str], since: float) -> dict[str, Any] | None:
        """After a create call got no answer: did ModelArts make the image? Ask a few times,
        since the call may still be in progress there."""
        for attempt in range(1, RECONCILE_ATTEMPTS + 1):
            try:
                images = await self.client.list_saved_images(
                    request["name"], namespace=request["namespace"],
                    workspace_id=request.get("workspace_id"), sort_key="create_at", sort_dir="DESC",
                )  # fmt: skip
            except UpstreamError as error:
                log.warning("Could not list images to find the save (%s)", error)
                images = []
            for image in images:
                created = image.get("create_at")
                recent = not isinstance(created, (int, float)) or created / 1000 >= since - 120
                same = all(image.get(key) == request[key] for key in ("name", "namespace", "tag"))
                if same and recent:
                    return image
            if attempt < RECONCILE_ATTEMPTS:
                await asyncio.sleep(backoff_delay(attempt + 1))
        return None

    # -- following saves ---------------------------------------------------------------------
    async def refresh(self, job: dict[str, Any]) -> dict[str, Any]:
        """Ask ModelArts once about an unfinished job and record the answer.

        When ModelArts says the image is gone, the job ends as DELETED. When it cannot be asked,
        the record keeps its status, says why and when in ``last_error``, and the error is raised.
        """
        try:
            image = await self.client.get_image(job["id"])
        except ModelArtsError as error:
            if not error.image_gone:
                self._record_failure(job, error)
                raise
            log.warning("Image %s no longer exists at ModelArts: its save ends", job["id"])
            image = {"status": "DELETED", "status_message": IMAGE_GONE_MESSAGE}
        except UpstreamError as error:
            self._record_failure(job, error)
            raise
        updated = job_from_image(image, job["notebook_id"], job)
        updated["last_error"] = None
        self.store.save(updated)
        if updated["status"] != job["status"]:
            log.info("Image %s: %s -> %s", job["id"], job["status"], updated["status"])
        return updated

    def _record_failure(self, job: dict[str, Any], error: UpstreamError) -> None:
        job = dict(job, last_error={
            "message": error.message, "at": iso_now(), "request_id": error.request_id,
        })  # fmt: skip
        self.store.save(job)

    async def _poll_once(self, job: dict[str, Any]) -> bool:
        """Refresh one job; False (logged, record unchanged) if ModelArts could not be asked."""
        try:
            await self.refresh(job)
        except UpstreamError as error:
            # Transient: the record keeps its last known state; a later poll tries again.
            log.warning("Status poll for image %s failed: %s", job["id"], error)
            return False
        return True

    async def poll_unfinished(self) -> bool:
        """Poll every unfinished save once; False if ModelArts could not be asked about one."""
        results = [await self._poll_once(job) for job in self.unfinished()]
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

    async def wait(self, job_id: str) -> dict[str, Any]:
        """Follow one job to its end (for the CLI's --wait)."""
        while True:
            job = self.store.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if job["status"] in FINISHED:
                return job
            await asyncio.sleep(self.settings.poll_interval)
            await self._poll_once(job)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.client.http.aclose()
