"""Following saves to their end: one background poller per process asks ModelArts about every
unfinished job and records each answer, so the number of open tabs never changes what ModelArts
sees. Also picks up saves started by the CLI or left unfinished by an earlier server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random

from .client import ModelArtsClient
from .config import ModelArtsSnapshot
from .exceptions import ModelArtsError, UpstreamError
from .i18n import _
from .identity import Identity
from .models import Job, LastError, iso, iso_now
from .store import JobStore, job_from_image

log = logging.getLogger(__name__)

IMAGE_GONE_MESSAGE = _(
    "ModelArts no longer has this image: it was deleted (for example in the console) or removed "
    "from SWR before the save ended. This save will not finish; you can save again."
)
POLL_BACKOFF_CAP = 300.0


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
        updated = job_from_image(image, job.notebook_id, job)
        await self.write(updated)
        if updated.status != job.status:
            log.info("Image %s: %s -> %s", job.id, job.status, updated.status)
        if updated.finished:
            updated = await self.carry_out_stop(updated)
        return updated

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
    async def carry_out_stop(self, job: Job) -> Job:
        """A finished save that asked to stop the instance: stop it once, or record why not.

        Under the cross-process save lock and from the record as stored, so that of the
        server, the service kernel and the CLI following the same save, one sends the stop.
        """
        if job.stop is None or not job.stop.pending or not job.finished:
            return job
        with self.store.save_lock() as locked:
            if not locked:
                return job  # a save is starting: the next poll decides
            current = await self.job(job.id) or job
            if current.stop is None or not current.stop.pending:
                return current
            try:
                reason = await self._reason_not_to_stop(current)
            except UpstreamError as error:
                log.warning("Image %s is saved; the stop waits for ModelArts: %s", job.id, error)
                return current
            if reason is not None:
                log.info("Image %s is saved; the instance is not stopped: %s", job.id, reason)
                return await self._set_stop(current, "not_stopped", reason)
            current = await self._set_stop(current, "stopping")
            try:
                await self.client.stop_notebook(current.notebook_id)
            except ModelArtsError as error:
                # 6357: already stopping or stopped (the provider reads it so too).
                if not (error.status == 400 and error.error_code == "ModelArts.6357"):
                    return await self._set_stop(current, "not_stopped", error.message)
            except UpstreamError as error:
                # No answer: the stop may not have arrived; the next poll sends it again
                # (a repeated stop is refused with 6357, which counts as stopped).
                log.warning("The stop after saving image %s got no answer: %s", job.id, error)
                return await self._set_stop(current, "pending")
            log.info("Image %s is saved: the instance is stopping, as the save asked", job.id)
            return await self._set_stop(
                current, "stopped", at=current.stop.at if current.stop else None
            )

    async def _reason_not_to_stop(self, job: Job) -> str | None:
        """Why the instance must not be stopped after this save, or None to stop it."""
        if job.status != "ACTIVE":
            return _("The save ended {status}, so the instance was not stopped.", status=job.status)
        if job.notebook_id != self.identity.notebook_id:
            return _("The save was made from another instance, so this one was not stopped.")
        if job.created_at < iso(self.settings.changes_since):
            return _("The instance restarted after the save began, so it was not stopped again.")
        others = [other for other in await self.unfinished() if other.id != job.id]
        if others:
            return _(
                "Another save ({label}) is in progress, so the instance was not stopped.",
                label=others[0].label,
            )
        notebook = await self.client.get_notebook(job.notebook_id)
        status = str(notebook.get("status", ""))
        if status != "RUNNING":
            return _("The instance is {status}, not running, so it was not stopped.", status=status)
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
