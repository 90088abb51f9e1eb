"""Job records: one JSON file per save, written atomically, indexed in memory, kept in step
with what other processes (the CLI, the magic, another server) write, and the lock that lets only
one of them start a save at a time.

A job's record is the single source of truth for every browser tab and the CLI.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import fcntl  # ModelArts notebooks run Linux; the lock is shared with the CLI
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import i18n
from .models import FINISHED, Job, JobPage, iso, iso_now
from .rules import canonical_id, is_uuid

log = logging.getLogger(__name__)

# The change journal is started afresh past this size; readers then reload everything once.
JOURNAL_LIMIT_BYTES = 1 << 20


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
        stop=previous.stop if previous else None,
        size_check_skipped=previous.size_check_skipped if previous else False,
        starts_next=previous.starts_next if previous else False,
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

    def page(self, notebook_id: str, limit: int, offset: int) -> JobPage:
        """A notebook's jobs, newest first."""
        self.sync()
        with self._lock:
            order = self._order.get(notebook_id, [])
            end = max(0, len(order) - offset)
            keys = order[max(0, end - limit) : end]
            jobs = [self._jobs[job_id] for _position, job_id in reversed(keys)]
            return JobPage(jobs=jobs, total=len(order), limit=limit, offset=offset)

    def all(self, notebook_id: str) -> list[Job]:
        """Every job of a notebook, in no order."""
        self.sync()
        with self._lock:
            return [self._jobs[job_id] for _position, job_id in self._order.get(notebook_id, [])]

    def unfinished(self, notebook_id: str | None = None) -> list[Job]:
        self.sync()
        with self._lock:
            jobs = [self._jobs[job_id] for job_id in self._unfinished]
        return [job for job in jobs if notebook_id is None or job.notebook_id == notebook_id]

    def stops_to_carry_out(self, notebook_id: str) -> list[Job]:
        """Finished saves of a notebook whose stop is still pending, or was sent with no answer
        (a process that ended between the image's ACTIVE and the stop left them)."""
        self.sync()
        with self._lock:
            jobs = list(self._jobs.values())
        return [
            job
            for job in jobs
            if job.notebook_id == notebook_id
            and job.finished
            and job.stop
            and job.stop.state in ("pending", "stopping")
        ]

    def latest_saved(self, notebook_id: str, since: str) -> Job | None:
        """The newest ACTIVE save of a notebook created at or after ``since`` (ISO)."""
        self.sync()
        with self._lock:
            order = list(self._order.get(notebook_id, []))
        for created_at, job_id in reversed(order):
            if created_at < since:
                return None
            job = self._jobs[job_id]
            if job.status == "ACTIVE":
                return job
        return None

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
