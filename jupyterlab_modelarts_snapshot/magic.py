"""``%modelarts_snapshot``: save this instance as an image from a notebook cell.

    %load_ext jupyterlab_modelarts_snapshot
    %modelarts_snapshot save --name pytorch-env --namespace my-org [--tag v1] [--stop] [...]
    %modelarts_snapshot status ID
    %modelarts_snapshot lease [--extend HOURS]
    %modelarts_snapshot restore-script
    %modelarts_snapshot library [--namespace ORG]
    %modelarts_snapshot delete-image ID --namespace ORG [--with-swr-content] --yes
    %modelarts_snapshot prune --name NAME --namespace ORG --keep N [--with-swr-content] [--yes]

It works in any kernel env the package is installed in, with no server extension (on JupyterLab 3
images, and before the Jupyter server is restarted after an install). The cell returns at once;
the save is followed in the background and its status is shown live in the cell's output, so the
kernel keeps answering. It shares the job records with the server extension and the CLI.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import Pretty, display

from . import i18n
from .cli import (
    build_parser,
    delete_body,
    describe_deleted,
    describe_job,
    describe_lease,
    describe_library,
    describe_prune,
    describe_restore_script,
    lease_for,
    library_for,
    prune_for,
    request_id_line,
    restore_script_for,
    save_body,
    what_would_go,
)
from .config import load_settings
from .exceptions import SnapshotError
from .i18n import _, tr
from .models import Job
from .service import SaveService, build_service

MAGIC_COMMANDS = ("save", "status", "lease", "restore-script", "library", "delete-image", "prune")
PAUSE_NOTE = _(
    "The instance pauses while ModelArts saves it; this output goes on by itself afterwards."
)


@magics_class
class SnapshotMagics(Magics):
    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._tasks: set[asyncio.Task[None]] = set()  # keep the followers alive

    @line_magic
    def modelarts_snapshot(self, line: str) -> None:
        """Save this ModelArts instance as an image, or show a save: see ``save --help``."""
        # Messages in the kernel's language (LANG), as in the CLI; the followers inherit it.
        i18n.current.set(i18n.from_environment())
        words = shlex.split(line)
        config_args = [word for word in words if word.startswith("--ModelArtsSnapshot.")]
        try:
            args = build_parser().parse_args([word for word in words if word not in config_args])
        except SystemExit:  # --help, or a usage error already printed
            return
        if args.command not in MAGIC_COMMANDS:
            print(
                tr(
                    "%modelarts_snapshot supports 'save', 'status', 'lease', 'restore-script', "
                    "'library', 'delete-image' and 'prune'; use the CLI for the rest."
                )
            )
            return
        handle = display(Pretty(tr("Asking ModelArts...")), display_id=True)
        work = {
            "save": self._save,
            "status": self._status,
            "lease": self._lease,
            "restore-script": self._restore_script,
            "library": self._library,
            "delete-image": self._delete_image,
            "prune": self._prune,
        }[args.command]
        follow = work(args, config_args, handle)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a kernel with no running loop: follow it here, to the end
            asyncio.run(follow)
            return
        task = loop.create_task(follow)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _save(self, args: Any, config_args: list[str], handle: Any) -> None:
        try:
            async with build_service(load_settings(config_args)) as service:
                job = await service.start_save(save_body(args))
                await self._follow(service, job, handle)
        except SnapshotError as error:
            handle.update(Pretty(_error_text(error)))

    async def _status(self, args: Any, config_args: list[str], handle: Any) -> None:
        async with build_service(load_settings(config_args)) as service:
            job = await service.job(args.id)
            if job is None:
                handle.update(Pretty(tr("No save with ID '{id}' is recorded here.", id=args.id)))
                return
            await self._follow(service, job, handle)

    async def _lease(self, args: Any, config_args: list[str], handle: Any) -> None:
        try:
            async with build_service(load_settings(config_args)) as service:
                handle.update(Pretty(describe_lease(await lease_for(args, service))))
        except SnapshotError as error:
            handle.update(Pretty(_error_text(error, lease=True)))

    async def _restore_script(self, args: Any, config_args: list[str], handle: Any) -> None:
        try:
            async with build_service(load_settings(config_args)) as service:
                script = await restore_script_for(args, service)
                handle.update(Pretty(describe_restore_script(script)))
        except SnapshotError as error:
            handle.update(Pretty(_error_text(error, lease=True)))

    async def _library(self, args: Any, config_args: list[str], handle: Any) -> None:
        try:
            async with build_service(load_settings(config_args)) as service:
                handle.update(Pretty(describe_library(await library_for(args, service))))
        except SnapshotError as error:
            handle.update(Pretty(_error_text(error, lease=True)))

    async def _delete_image(self, args: Any, config_args: list[str], handle: Any) -> None:
        """A cell cannot be asked: without --yes it says what would go and deletes nothing."""
        try:
            async with build_service(load_settings(config_args)) as service:
                if not args.yes:
                    words = await what_would_go(args, service)
                    handle.update(Pretty(f"{words}\n{tr('Add --yes to delete it.')}"))
                    return
                deleted = await service.delete_image(delete_body(args))
                handle.update(Pretty(describe_deleted(deleted)))
        except SnapshotError as error:
            handle.update(Pretty(_error_text(error, lease=True)))

    async def _prune(self, args: Any, config_args: list[str], handle: Any) -> None:
        try:
            async with build_service(load_settings(config_args)) as service:
                handle.update(Pretty(describe_prune(await prune_for(args, service))))
        except SnapshotError as error:
            handle.update(Pretty(_error_text(error, lease=True)))

    async def _follow(self, service: SaveService, job: Job, handle: Any) -> None:
        """Show the save, then each change, until it ends (polls survive the pause)."""
        handle.update(Pretty(_live_text(job)))
        while not job.finished:
            await asyncio.sleep(service.settings.poll_interval)
            job = await service.poll(job)
            handle.update(Pretty(_live_text(job)))


def _live_text(job: Job) -> str:
    text = describe_job(job)
    return text if job.finished else f"{text}\n{PAUSE_NOTE.render()}"


def _error_text(error: SnapshotError, lease: bool = False) -> str:
    body = error.body()
    text = (
        tr("error: {message}", message=error.message)
        if lease
        else tr("The save did not start: {message}", message=error.message)
    )
    if body.get("request_id"):
        text += f"\n{request_id_line(body['request_id'])}"
    return text
