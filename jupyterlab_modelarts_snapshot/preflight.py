"""The pre-flight report: before the instance pauses, what the image would add, how big it would
be, which caches and credentials it would carry, and what could make the save fail.

One walk runs at a time, in a thread, and every caller (tabs, the save itself) shares it; a
finished walk is reused for a short while. The cheap checks (instance, tag, processes, kernels)
are taken again for each request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import cleanup, scan
from .client import ModelArtsClient
from .config import ModelArtsSnapshot
from .exceptions import (
    CheckBlocked,
    CredentialsRejected,
    InvalidInput,
    ModelArtsError,
    NoReport,
    SaveInProgress,
    UpstreamError,
)
from .i18n import _
from .identity import Identity
from .kernels import KernelProbe
from .models import (
    CHECK_IDS,
    Check,
    CheckItem,
    CleanupResult,
    PreflightReport,
    SaveRequest,
    ScanProgress,
    SizeEstimate,
    iso,
)
from .records import ManifestRecords
from .rules import check_field, next_free_tag
from .scan import ScanResult, mount_points
from .sizes import human_bytes

log = logging.getLogger(__name__)

GIB = 1024**3
CACHE_WARN_BYTES = 1 * GIB
SIZE_WARN_SHARE = 0.8
# Checks taken again whenever a save starts; the others come from the last walk.
CHEAP_CHECKS = ("instance", "tag")
ORDER = CHECK_IDS  # openapi.json lists the checks in the order a report shows them


def stuck_processes(proc: str = "/proc") -> list[CheckItem]:
    """Processes in uninterruptible sleep (state D): the freeze that commits the container can
    wait on them. Only the command name is read; arguments can hold secrets."""
    found = []
    for entry in Path(proc).iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        command, _sep, rest = stat.partition(" (")[2].rpartition(") ")
        if rest.split(" ", 1)[0] == "D":
            found.append(CheckItem(kind="process", id=entry.name, name=command))
    return found


def processes_check(items: list[CheckItem]) -> Check:
    if not items:
        return Check("processes", "ok", _("No process is stuck waiting on storage."))
    return Check(
        "processes",
        "warn",
        _(
            "{count} process(es) are waiting on storage (state D). ModelArts freezes every "
            "process to save the image and the freeze can fail on them: wait for them to finish "
            "or stop them first.",
            count=len(items),
        ),
        items,
    )


def kernels_check(items: list[CheckItem] | None) -> Check:
    if items is None:
        return Check("kernels", "info", _("Kernels were not checked: no Jupyter server answered."))
    if not items:
        return Check("kernels", "ok", _("No kernel is busy."))
    return Check(
        "kernels",
        "warn",
        _(
            "{count} kernel(s) are busy. They are frozen for the whole save and their work is "
            "not part of the image: let them finish, or save anyway.",
            count=len(items),
        ),
        items,
    )


# What a blocked or layered save can do instead, for the pip and conda part.
RESTORE_OFFER = _(
    "Or keep the pip and conda packages without an image: a restore script on the work volume "
    "reinstalls them after a stop (Write restore script in the panel, or jupyter "
    "modelarts-snapshot restore-script)."
)


def size_check(estimate: SizeEstimate, partial: bool) -> Check:
    sizes = {
        "size": human_bytes(estimate.bytes),
        "files": estimate.files,
        "limit": human_bytes(estimate.limit_bytes),
    }
    figures = (
        _(
            "The save adds at least {size} in {files} files to the image this instance runs on; "
            "ModelArts saves up to {limit}. The walk stopped at its time limit, so this is a "
            "lower bound.",
            **sizes,
        )
        if partial
        else _(
            "The save adds {size} in {files} files to the image this instance runs on; "
            "ModelArts saves up to {limit}.",
            **sizes,
        )
    )
    if estimate.bytes > estimate.limit_bytes:
        return Check(
            "size",
            "block",
            _(
                "{figures} This save would fail: clean the caches below, delete what you do not "
                "need outside the work volume, or build the image from a Dockerfile instead. "
                "{restore}",
                figures=figures,
                restore=RESTORE_OFFER,
            ),
        )
    if estimate.bytes > SIZE_WARN_SHARE * estimate.limit_bytes:
        return Check(
            "size",
            "warn",
            _(
                "{figures} That is close to the limit: clean the caches below to keep room.",
                figures=figures,
            ),
        )
    return Check("size", "ok", figures)


def caches_check(items: list[CheckItem]) -> Check:
    total = sum(item.bytes or 0 for item in items)
    if not items or total == 0:
        return Check("caches", "ok", _("No known cache adds to the image."))
    level = "warn" if total > CACHE_WARN_BYTES else "info"
    return Check(
        "caches",
        level,
        _(
            "Caches would add {size} to the image (pip, conda, model downloads, temporary "
            "files). They make pulls slower and are rebuilt when needed: clean them up before "
            "saving.",
            size=human_bytes(total),
        ),
        items,
    )


def secrets_check(items: list[CheckItem]) -> Check:
    if not items:
        return Check("secrets", "ok", _("No credential file was found among the added files."))
    return Check(
        "secrets",
        "warn",
        _(
            "{count} credential file(s) would go into the image, and anyone who can pull the "
            "image can read them. Move them into the work volume (/home/ma-user/work) or delete "
            "them before saving.",
            count=len(items),
        ),
        items,
    )


def layers_check(depth: int, warn_depth: int) -> Check:
    if depth < warn_depth:
        return Check(
            "layers", "ok", _("This save is number {depth} in the image's lineage.", depth=depth)
        )
    return Check(
        "layers",
        "warn",
        _(
            "This save is number {depth} in the image's lineage. Each save adds layers to the "
            "image, and images with too many layers fail to run or to push (SWR takes at most 20 "
            "per push). Rebuilding from the Dockerfile of the last save resets them. {restore}",
            depth=depth,
            restore=RESTORE_OFFER,
        ),
    )


def walk_error(kind: str, detail: str) -> str:
    """The walk's failure in words: the scan root is no directory, or the walk broke."""
    if kind == "not-a-directory":
        return _("The scan root {root} is not a directory (scan_root setting).", root=detail)
    return _("The file system could not be walked: {reason}.", reason=detail)


def requested_image(body: Any) -> SaveRequest | None:
    """The optional ``{name, namespace, tag}`` of ``POST preflight``, checked like a save's."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise InvalidInput(
            "body", _("The body must be a JSON object with name, namespace and tag.")
        )
    allowed = ("name", "namespace", "tag")
    unknown = sorted(str(key) for key in body if key not in allowed)
    if unknown:
        raise InvalidInput(
            unknown[0],
            _(
                "Unknown field '{field}'. Allowed fields: {allowed}.",
                field=unknown[0][:40],
                allowed="name, namespace, tag",
            ),
        )
    for field in allowed:
        value = body.get(field)
        if value not in (None, ""):
            problem = check_field(field, value)
            if problem:
                raise InvalidInput(field, problem)
    if not (body.get("name") and body.get("namespace") and body.get("tag")):
        return None  # the tag cannot be checked without all three
    return SaveRequest(name=body["name"], namespace=body["namespace"], tag=body["tag"])


class ScanProcess:
    """The walk in a child process, from the server's event loop: progress comes as it goes,
    and the result at the end."""

    def __init__(self, root: str, since: float, prune: Iterable[str], timeout: float) -> None:
        self.root = os.path.abspath(root)
        self.since = since
        self.prune = sorted(prune)
        self.timeout = timeout
        self._process: asyncio.subprocess.Process | None = None
        self._stopped = False

    async def run(self, on_progress: Callable[[int, int], None]) -> ScanResult:
        # -I -S: no user site, no site-packages; the child needs only the standard library.
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-S", scan.__file__,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, limit=1 << 24,
        )  # fmt: skip
        try:
            if self._stopped:  # stopped before the child was there
                self.stop()
            # The child keeps its own time limit; this one is for a child stuck in the kernel.
            return await asyncio.wait_for(self._read(process, on_progress), self.timeout + 30)
        except asyncio.TimeoutError:
            result = ScanResult(self.root, self.since, partial=True)
            return result
        finally:
            if process.returncode is None:  # cancelled, or out of time: never left running
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    async def _read(
        self, process: asyncio.subprocess.Process, on_progress: Callable[[int, int], None]
    ) -> ScanResult:
        assert process.stdin is not None and process.stdout is not None
        request = {"root": self.root, "since": self.since, "prune": self.prune}
        process.stdin.write(json.dumps({**request, "timeout": self.timeout}).encode())
        with contextlib.suppress(ConnectionError):
            await process.stdin.drain()
        process.stdin.close()
        result = None
        async for line in process.stdout:
            if line.startswith(b"P "):
                files, size = line[2:].split()
                on_progress(int(files), int(size))
            elif line.startswith(b"R "):
                result = ScanResult.from_json(json.loads(line[2:]))
        code = await process.wait()
        if result is None:
            result = ScanResult(self.root, self.since, partial=self._stopped)
            if not self._stopped:  # stopped, it may have ended before it could answer
                result.error = ("cannot-walk", f"the walking process ended with {code}")
        return result

    def stop(self) -> None:
        """End the walk early (the server is stopping); the child ends its finds and answers."""
        self._stopped = True
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGTERM)


class Preflight:
    """The latest report, the walk that makes it, and the cleanup of the caches it lists."""

    def __init__(
        self,
        settings: ModelArtsSnapshot,
        client: ModelArtsClient,
        identity: Identity,
        records: ManifestRecords,
        kernels: KernelProbe,
    ) -> None:
        self.settings = settings
        self.client = client
        self.identity = identity
        self.records = records
        self.kernels = kernels
        self.report: PreflightReport | None = None
        self._scan: ScanProcess | None = None
        # The caches the latest report lists, as they were when it was made.
        self._pinned: dict[str, cleanup.Pinned] = {}
        self._walk: asyncio.Task[None] | None = None
        self._finished_at = 0.0

    # -- the walk ------------------------------------------------------------------------------
    def prune(self) -> list[str]:
        """What a commit never includes: every mount point and the work volume."""
        try:
            mounts = mount_points(Path("/proc/self/mountinfo").read_text())
        except OSError:
            mounts = []
        root = os.path.abspath(self.settings.scan_root)
        return [path for path in mounts if path != root] + [self.settings.work_dir]

    async def start(self, body: Any = None) -> PreflightReport:
        """Start a report, or join the one being made; then take the cheap checks again."""
        request = requested_image(body)
        fresh = time.monotonic() - self._finished_at < self.settings.report_reuse_seconds
        if self._walk is None or (self._walk.done() and not fresh):
            self._begin()
        # The cheap checks at once, while the walk runs in its own process.
        instance, tag, stuck, busy, depth = await asyncio.gather(
            self.instance_check(),
            self.tag_check(request),
            asyncio.to_thread(stuck_processes, self.settings.proc_dir),
            asyncio.to_thread(self.kernels.busy),
            self.records.lineage_depth(),
        )
        checks = [
            instance,
            tag,
            processes_check(stuck),
            kernels_check(busy),
            layers_check(depth, self.settings.lineage_warn_depth),
        ]
        assert self.report is not None
        self._merge(self.report, checks)
        return self.report

    async def complete(self, body: Any = None) -> PreflightReport:
        """A finished report (for the CLI): start or join, then wait for the walk."""
        await self.start(body)
        if self._walk is not None:
            await asyncio.shield(self._walk)
        assert self.report is not None
        return self.report

    async def instance_check(self) -> Check:
        """ModelArts saves only a RUNNING instance: say so before asking it to."""
        if not self.identity.notebook_id or not self.identity.project_id:
            return Check(
                "instance", "info", _("The instance could not be checked: it is not known yet.")
            )
        try:
            notebook = await self.client.get_notebook(self.identity.notebook_id)
        except ModelArtsError as error:
            if error.notebook_gone:
                return Check(
                    "instance",
                    "block",
                    _(
                        "ModelArts has no notebook instance {notebook} in project {project}: "
                        "check MODELARTS_NOTEBOOK_ID and the project.",
                        notebook=self.identity.notebook_id,
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
            self.identity.running_image = {
                key: image.get(key) for key in ("id", "name", "swr_path")
            }
            if isinstance(image.get("id"), str):
                try:
                    await asyncio.to_thread(self.records.note_started_image, image["id"])
                except OSError as error:  # costs the library's "runs now" mark, not the check
                    log.warning("The started image could not be kept (%s)", error.strerror)
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

    def _begin(self) -> None:
        limit = int(self.settings.image_size_limit_gb * GIB)
        self.report = PreflightReport(
            state="running", started_at=iso(time.time()), finished_at=None, partial=False,
            message=None, progress=ScanProgress(0, 0), estimate=None, largest=[], checks=[],
        )  # fmt: skip
        self._scan = ScanProcess(
            self.settings.scan_root,
            self.settings.changes_since,
            self.prune(),
            self.settings.scan_timeout,
        )
        self._walk = asyncio.get_running_loop().create_task(self._run(self._scan, limit))

    async def _run(self, scan: ScanProcess, limit: int) -> None:
        report = self.report
        assert report is not None

        def progress(files: int, size: int) -> None:
            report.progress = ScanProgress(files, size)

        caches: list[CheckItem] = []
        try:
            result = await scan.run(progress)
            if not result.error:
                caches = await asyncio.to_thread(self._listed_caches, result)
        except Exception as error:  # the report says it failed; the server goes on
            log.exception("The pre-flight walk failed")
            result = ScanResult(scan.root, scan.since)
            result.error = ("cannot-walk", str(error))
        self._finish(report, result, caches, limit)

    def _finish(
        self, report: PreflightReport, result: ScanResult, caches: list[CheckItem], limit: int
    ) -> None:
        report.finished_at = iso(time.time())
        report.progress = ScanProgress(result.files, result.bytes)
        self._finished_at = time.monotonic()
        if result.error:
            report.state, report.message = "failed", walk_error(*result.error)
            return
        report.state, report.partial = "done", result.partial
        report.estimate = SizeEstimate(bytes=result.bytes, files=result.files, limit_bytes=limit)
        report.largest = [
            CheckItem(kind="directory", path=path, bytes=size, files=files)
            for path, size, files in result.largest
        ]
        self._merge(
            report,
            [
                size_check(report.estimate, result.partial),
                caches_check(caches),
                secrets_check([CheckItem(kind=kind, path=path) for kind, path in result.secrets]),
            ],
        )
        log.info(
            "Pre-flight: %d changed files, %d bytes%s; %d credential file(s) found",
            result.files,
            result.bytes,
            " (partial)" if result.partial else "",
            len(result.secrets),
        )

    @staticmethod
    def _merge(report: PreflightReport, checks: list[Check]) -> None:
        by_id = {check.id: check for check in report.checks}
        by_id.update({check.id: check for check in checks})
        report.checks = [by_id[name] for name in ORDER if name in by_id]

    def latest(self) -> PreflightReport:
        if self.report is None:
            raise NoReport(
                _(
                    "No pre-flight report has been made yet: POST modelarts-snapshot/preflight "
                    "starts one."
                )
            )
        return self.report

    def blocking(self, skipped: tuple[str, ...] = ()) -> Check | None:
        """A block in the last finished report (the cheap checks are taken again at save),
        leaving out the ``skipped`` checks."""
        report = self.report
        if report is None or report.state != "done":
            return None
        ignored = (*CHEAP_CHECKS, *skipped)
        return next((c for c in report.checks if c.level == "block" and c.id not in ignored), None)

    async def refuse_blocked(self, request: SaveRequest) -> None:
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
        skipped = ("size",) if request.skip_size_check else ()
        blocked = None if request.force else self.blocking(skipped)
        if blocked is not None:
            raise CheckBlocked(
                blocked.id,
                _(
                    '{message} To save anyway, send "force": true (CLI: --force).',
                    message=blocked.message,
                ),
            )

    async def close(self) -> None:
        if self._scan is not None:
            self._scan.stop()
        if self._walk is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._walk

    # -- cleanup -------------------------------------------------------------------------------
    def _listed_caches(self, result: ScanResult) -> list[CheckItem]:
        """The caches a cleanup may empty, each pinned as it is now (off the event loop). A
        folder that is, holds or lies inside the work volume is never listed."""
        listed = []
        self._pinned = {}
        for kind, path, size, files in result.caches:
            item = CheckItem(kind=kind, path=path, bytes=size, files=files)
            pinned = cleanup.pin(path)
            if pinned is None or cleanup.overlaps_work(pinned, self.settings.work_dir):
                continue
            self._pinned[path] = pinned
            listed.append(item)
        return listed

    async def cleanup(self, body: Any) -> CleanupResult:
        """Empty caches the latest report lists; anything else is refused before any deletion."""
        paths = body.get("paths") if isinstance(body, dict) else None
        if (
            not isinstance(paths, list)
            or not paths
            or not all(isinstance(path, str) and path for path in paths)
            or set(body) != {"paths"}
        ):
            raise InvalidInput(
                "paths",
                _(
                    'Send {"paths": [...]} with one or more cache paths from the latest '
                    "pre-flight report."
                ),
            )
        report = self.report
        caches = report.check("caches") if report and report.state == "done" else None
        if report is None or caches is None:
            raise InvalidInput(
                "paths",
                _(
                    "No finished pre-flight report lists caches: POST "
                    "modelarts-snapshot/preflight first, then clean what it lists."
                ),
            )
        listed = {item.path: item for item in caches.items if item.path in self._pinned}
        cleaned = await cleanup.clean_listed(
            list(dict.fromkeys(paths)),
            listed,
            self._pinned,
            cleanup.Where(
                self.settings.scan_root, self.settings.work_dir, self.prune(),
                self.settings.changes_since,
            ),
        )  # fmt: skip
        self._after_cleanup(report, caches, cleaned)
        return CleanupResult(cleaned=cleaned, freed_bytes=sum(c.bytes or 0 for c in cleaned))

    def _after_cleanup(
        self, report: PreflightReport, caches: Check, cleaned: list[CheckItem]
    ) -> None:
        freed = sum(item.bytes or 0 for item in cleaned)
        if report.estimate is not None:
            report.estimate.bytes = max(0, report.estimate.bytes - freed)
        remaining = [item for item in caches.items if item.bytes]
        checks = [caches_check(remaining)]
        if report.estimate is not None:
            checks.append(size_check(report.estimate, report.partial))
        for entry in report.largest:
            for item in cleaned:
                if (
                    entry.path
                    and item.path
                    and (entry.path == item.path or entry.path.startswith(item.path + "/"))
                ):
                    entry.bytes = max(0, (entry.bytes or 0) - (item.bytes or 0))
        report.largest = sorted(
            (entry for entry in report.largest if entry.bytes), key=lambda e: -(e.bytes or 0)
        )
        self._merge(report, checks)
