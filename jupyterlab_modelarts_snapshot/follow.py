"""Following saves to their end: one background poller per process asks ModelArts about every
unfinished job and records each answer, so the number of open tabs never changes what ModelArts
sees. Also picks up saves started by the CLI or left unfinished by an earlier server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time

from .client import ModelArtsClient
from .config import ModelArtsSnapshot
from .exceptions import ModelArtsError, UpstreamError
from .i18n import _
from .identity import Identity
from .models import Job, LastError, StopAfterSave, iso, iso_now, moment
from .rules import canonical_id
from .store import JobStore, job_from_image

log = logging.getLogger(__name__)

IMAGE_GONE_MESSAGE = _(
    "ModelArts no longer has this image: it was deleted (for example in the console) or removed "
    "from SWR before the save ended. This save will not finish; you can save again."
)
POLL_BACKOFF_CAP = 300.0
# A stop sent with no answer is sent again after this long (ShowNotebook is asked first).
STOP_RESEND_SECONDS = 120.0
# A save seen ended later than this after ModelArts ended it does not stop the instance.
LATE_STOP_SECONDS = 900.0
STOPPED_STATES = frozenset({"STOPPING", "STOPPED"})


def parse_iso(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return moment(value).timestamp()
    except ValueError:
        return None


def stop_due(stop: StopAfterSave) -> bool:
    """A stop to carry out: asked for, or sent with no answer long enough ago."""
    if stop.state == "pending":
        return True
    sent = parse_iso(stop.at) if stop.state == "stopping" else None
    return sent is not None and time.time() - sent > STOP_RESEND_SECONDS


def poll_delay(poll_interval: float, failures: int) -> float:
    """Seconds until the next status poll: the interval, doubled per failed tick (capped)."""
    if failures == 0:
        return poll_interval
    ceiling = min(POLL_BACKOFF_CAP, poll_interval * 2.0**failures)
    return max(poll_interval, ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


class Follower:
    """Asks ModelArts about unfinished jobs and writes down each answer."""

    def __init__(
        self,
        settings: ModelArtsSnapshot,
        client: ModelArtsClient,
        store: JobStore,
        identity: Identity,
    ) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.identity = identity
        self._poller: asyncio.Task[None] | None = None

    async def load_once(self) -> None:
        """The first read loads every record, off the event loop; later reads sync themselves."""
        if not self.store.loaded:
            await asyncio.to_thread(self.store.load)

    async def unfinished(self) -> list[Job]:
        await self.load_once()
        return self.store.unfinished(self.identity.notebook_id)

    async def job(self, job_id: str) -> Job | None:
        await self.load_once()
        return self.store.get(job_id)

    async def write(self, job: Job) -> None:
        await asyncio.to_thread(self.store.save, job)  # fsync stays off the event loop

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
        # From the record as stored: another process may have written it since ``job`` was read.
        previous = await self.job(job.id) or job
        updated = job_from_image(image, job.notebook_id, previous)
        await self.write(updated)
        if updated.status != previous.status:
            log.info("Image %s: %s -> %s", job.id, previous.status, updated.status)
        if updated.status == "ACTIVE" and previous.status != "ACTIVE":
            updated = await self._confirm_next_start(updated)
        if updated.finished:
            saved_ms = image.get("update_at")
            saved_at = saved_ms / 1000 if isinstance(saved_ms, (int, float)) else None
            updated = await self.carry_out_stop(updated, saved_at)
        return updated

    async def _confirm_next_start(self, job: Job) -> Job:
        """A save re-points the notebook to its image: once ShowNotebook says so, the record
        says the next start runs from it (and no other record does). Unconfirmed, it says
        nothing."""
        try:
            notebook = await self.client.get_notebook(job.notebook_id)
        except UpstreamError as error:
            log.info("ShowNotebook could not confirm the next start's image (%s)", error)
            return job
        image = notebook.get("image")
        if not isinstance(image, dict) or canonical_id(str(image.get("id") or "")) != job.id:
            return job
        for other in self.store.all(job.notebook_id):
            if other.starts_next and other.id != job.id:
                await self.write(dataclasses.replace(other, starts_next=False))
        confirmed = dataclasses.replace(job, starts_next=True)
        await self.write(confirmed)
        return confirmed

    async def _record_failure(self, job: Job, error: UpstreamError) -> None:
        failure = LastError(message=error.message, at=iso_now(), request_id=error.request_id)
        await self.write(dataclasses.replace(job, last_error=failure))

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

    # -- stopping the instance once a save is done ------------------------------------------
    async def carry_out_stop(self, job: Job, saved_at: float | None = None) -> Job:
        """A finished save that asked to stop the instance: stop it once, or record why not.

        Under the cross-process save lock and from the record as stored, so that of the
        server, the service kernel and the CLI following the same save, one sends the stop.
        ``saved_at`` is when ModelArts says the image ended (its ``update_at``).
        """
        if job.stop is None or not job.finished or not stop_due(job.stop):
            return job
        with self.store.save_lock() as locked:
            if not locked:
                return job  # a save is starting: the next poll decides
            current = await self.job(job.id) or job
            if current.stop is None or not stop_due(current.stop):
                return current
            try:
                reason = await self._reason_not_to_stop(current, saved_at)
                status = "" if reason else await self._notebook_status(current.notebook_id)
            except UpstreamError as error:
                log.warning("Image %s is saved; the stop waits for ModelArts: %s", job.id, error)
                return current
            if status in STOPPED_STATES and current.stop.state == "stopping":
                return await self._set_stop(current, "stopped", at=current.stop.at)  # it went
            if reason is None and status != "RUNNING":
                reason = _(
                    "The instance is {status}, not running, so it was not stopped.", status=status
                )
            if reason is not None:
                log.info("Image %s is saved; the instance is not stopped: %s", job.id, reason)
                return await self._set_stop(current, "not_stopped", reason)
            current = await self._set_stop(current, "stopping")
            try:
                await self.client.stop_notebook(current.notebook_id)
            except ModelArtsError as error:
                if not (error.status == 400 and error.error_code == "ModelArts.6357"):
                    return await self._set_stop(current, "not_stopped", error.message)
                # 6357 is "already there" or "busy": ShowNotebook says which.
                try:
                    status = await self._notebook_status(current.notebook_id)
                except UpstreamError:
                    status = ""
                if status not in STOPPED_STATES:
                    return await self._set_stop(current, "pending")  # the next poll tries again
            except UpstreamError as error:
                # No answer: it may not have arrived. A resend after STOP_RESEND_SECONDS first
                # asks ShowNotebook, so an instance already stopping is not stopped twice.
                log.warning("The stop after saving image %s got no answer: %s", job.id, error)
                return current
            log.info("Image %s is saved: the instance is stopping, as the save asked", job.id)
            assert current.stop is not None
            return await self._set_stop(current, "stopped", at=current.stop.at)

    async def _notebook_status(self, notebook_id: str) -> str:
        notebook = await self.client.get_notebook(notebook_id)
        return str(notebook.get("status", ""))

    async def _reason_not_to_stop(self, job: Job, saved_at: float | None) -> str | None:
        """Why the instance must not be stopped after this save, or None to stop it (once
        ShowNotebook says it runs)."""
        if job.status != "ACTIVE":
            return _("The save ended {status}, so the instance was not stopped.", status=job.status)
        if job.notebook_id != self.identity.notebook_id:
            return _("The save was made from another instance, so this one was not stopped.")
        if job.created_at < iso(self.settings.changes_since):
            return _("The instance restarted after the save began, so it was not stopped again.")
        # Seen saved long after it was: whatever was done since would be lost.
        ended = saved_at if saved_at is not None else parse_iso(job.finished_at)
        if ended is not None and time.time() - ended > LATE_STOP_SECONDS:
            return _(
                "The image was saved at {at}, long before this was seen, and work may have "
                "happened since: the instance was not stopped.",
                at=iso(ended),
            )
        newest = self.store.page(job.notebook_id, 1, 0).jobs
        if newest and newest[0].id != job.id and newest[0].created_at > job.created_at:
            return _(
                "A later save ({label}) started, so the instance was not stopped.",
                label=newest[0].label,
            )
        others = [other for other in await self.unfinished() if other.id != job.id]
        if others:
            return _(
                "Another save ({label}) is in progress, so the instance was not stopped.",
                label=others[0].label,
            )
        return None

    async def _set_stop(
        self, job: Job, state: str, reason: str | None = None, at: str | None = None
    ) -> Job:
        assert job.stop is not None
        stop = dataclasses.replace(
            job.stop, state=state, reason=reason, at=None if state == "pending" else at or iso_now()
        )
        updated = dataclasses.replace(job, stop=stop)
        await self.write(updated)
        return updated

    async def carry_out_pending_stops(self) -> None:
        """Stops that a server which ended right after the save's end left undone."""
        if self.identity.notebook_id:
            for job in self.store.stops_to_carry_out(self.identity.notebook_id):
                await self.carry_out_stop(job)

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
                await self.carry_out_pending_stops()
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
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
