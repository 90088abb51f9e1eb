"""Emptying the caches a pre-flight report lists, so that nothing else can be deleted.

A listed folder is pinned when the report is made: its real path, device and inode. A cleanup
opens it again one path component at a time without following a link, and goes on only when it
is the same folder. From there every call is relative to an open directory and never follows a
link, so a folder swapped for a link while the cleanup runs is not followed; the walk stays on
the folder's device, so a mount inside it is left whole; sockets, FIFOs and device files are
left where they are, in every subfolder.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .exceptions import InvalidInput
from .i18n import _
from .models import CheckItem
from .scan import under

log = logging.getLogger(__name__)

DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Deeper than this nothing is deleted (and the walk cannot exhaust the stack or the descriptors).
MAX_DEPTH = 256

# Called with the listed path once it is open and checked, before anything is deleted: the
# tests swap the folder for a link here to show that the open folder, not the path, is emptied.
paused_before_delete: Callable[[str], None] | None = None


@dataclass(frozen=True)
class Pinned:
    """A listed folder as it was when the report was made."""

    path: str  # as the report lists it
    real: str  # its real path then
    device: int
    inode: int


class Changed(Exception):
    """The folder is no longer the one the report listed: a link, another folder, or gone."""


def pin(path: str) -> Pinned | None:
    """The folder at ``path`` as it is now, or None when it is not a directory."""
    real = os.path.realpath(path)
    try:
        info = os.lstat(real)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    return Pinned(path=path, real=real, device=info.st_dev, inode=info.st_ino)


def overlaps_work(pinned: Pinned, work_dir: str) -> bool:
    """The folder is, holds, or lies inside the work volume."""
    work = os.path.realpath(work_dir)
    return under(pinned.real, work) or under(work, pinned.real)


def on_other_mount(pinned: Pinned, root: str, mounts: Iterable[str]) -> bool:
    """The folder is a mount point, lies inside one below ``root``, or is on another device
    than ``root``: other mounts are never part of an image."""
    real_root = os.path.realpath(root)
    for mount in mounts:
        if mount != real_root and under(mount, real_root) and under(pinned.real, mount):
            return True
    try:
        return os.stat(real_root).st_dev != pinned.device
    except OSError:
        return True


def open_pinned(pinned: Pinned) -> int:
    """Open the pinned folder without following a link in any part of its path; raise
    :class:`Changed` when it is not the folder that was pinned."""
    descriptor = os.open("/", DIRECTORY_FLAGS)
    try:
        for part in (part for part in pinned.real.split("/") if part):
            try:
                inner = os.open(part, DIRECTORY_FLAGS, dir_fd=descriptor)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                    raise Changed(pinned.path) from None
                raise
            os.close(descriptor)
            descriptor = inner
        info = os.fstat(descriptor)
        if (info.st_dev, info.st_ino) != (pinned.device, pinned.inode):
            raise Changed(pinned.path)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _walk(
    directory: int,
    device: int,
    on_entry: Callable[[int, str, os.stat_result], None],
    depth: int = 0,
) -> None:
    """Call ``on_entry(directory, name, lstat)`` for every entry below ``directory``, a
    folder's entries before the folder itself; never through a link, never onto another
    device."""
    if depth > MAX_DEPTH:
        log.warning("Cleanup: a folder nested deeper than %d levels was left", MAX_DEPTH)
        return
    with os.scandir(directory) as entries:
        names = [entry.name for entry in entries]
    for name in names:
        try:
            info = os.stat(name, dir_fd=directory, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            if info.st_dev != device:
                continue  # a mount point: not part of the image, never entered
            try:
                inner = os.open(name, DIRECTORY_FLAGS, dir_fd=directory)
            except OSError:
                continue  # replaced by a link or a file since it was listed
            try:
                now = os.fstat(inner)
                if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
                    _walk(inner, device, on_entry, depth + 1)
            finally:
                os.close(inner)
        on_entry(directory, name, info)


def empty(descriptor: int) -> None:
    """Delete what the open folder holds: files and links (removed, never followed) and the
    folders they leave empty. Sockets, FIFOs, device files and mounts stay."""
    device = os.fstat(descriptor).st_dev

    def delete(directory: int, name: str, info: os.stat_result) -> None:
        try:
            if stat.S_ISDIR(info.st_mode):  # never a mount: the walk does not pass those
                os.rmdir(name, dir_fd=directory)
            elif stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                os.unlink(name, dir_fd=directory)
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT, errno.EBUSY):
                log.warning("Cleanup: could not delete %s: %s", name, error.strerror)

    _walk(descriptor, device, delete)


def measure(descriptor: int, since: float) -> tuple[int, int]:
    """(bytes, files) changed since ``since`` that the open folder still holds on its device,
    as the pre-flight walk counts them (allocated bytes, everything but folders)."""
    device = os.fstat(descriptor).st_dev
    totals = [0, 0]

    def count(_directory: int, _name: str, info: os.stat_result) -> None:
        if not stat.S_ISDIR(info.st_mode) and max(info.st_ctime, info.st_mtime) >= since:
            totals[0] += info.st_blocks * 512
            totals[1] += 1

    _walk(descriptor, device, count)
    return totals[0], totals[1]


@dataclass(frozen=True)
class Where:
    """Where a cleanup may act: the container's root and its mounts, and the work volume."""

    scan_root: str
    work_dir: str
    mounts: list[str]  # every mount point and the work volume: never part of an image
    changes_since: float  # what counts as added (for the bytes left)


async def clean_listed(
    paths: list[str],
    listed: dict[str, CheckItem],
    pins: dict[str, Pinned],
    where: Where,
) -> list[CheckItem]:
    """Empty each of ``paths``, which must all be listed caches still as they were pinned; one
    that is not refuses the whole request before anything is deleted. Each listed item is
    updated with what is left; the result says what each cleaning freed."""
    opened = await asyncio.to_thread(_open_listed, paths, listed, pins, where)
    cleaned = []
    try:
        for path in paths:
            item = listed[path]
            remaining = await asyncio.to_thread(_clean_one, item, opened[path], where.changes_since)
            freed = max(0, (item.bytes or 0) - remaining[0])
            cleaned.append(CheckItem(kind=item.kind, path=path, bytes=freed))
            item.bytes, item.files = remaining
            log.info("Cleaned cache %s (%s): %d bytes freed", path, item.kind, freed)
    finally:
        for descriptor in opened.values():
            os.close(descriptor)
    return cleaned


def _open_listed(
    paths: list[str], listed: dict[str, CheckItem], pins: dict[str, Pinned], where: Where
) -> dict[str, int]:
    """Refuse the whole request, before deleting anything, if one path is not a listed
    cache, or no longer the folder the report listed; otherwise open each one."""
    opened: dict[str, int] = {}
    try:
        for path in paths:
            _refuse_unlisted(path, listed, where)
            pinned = pins[path]
            if on_other_mount(pinned, where.scan_root, where.mounts):
                raise InvalidInput(
                    "paths",
                    _(
                        "'{path}' is on another mount than the container's own file "
                        "system; mounts are never part of an image and are never cleaned. "
                        "Nothing was deleted.",
                        path=path[:200],
                    ),
                )
            try:
                opened[path] = open_pinned(pinned)
            except (Changed, OSError):
                raise InvalidInput(
                    "paths",
                    _(
                        "'{path}' is no longer the folder the report listed (a part of its "
                        "path is now a link, or it was moved or replaced); run the "
                        "pre-flight report again. Nothing was deleted.",
                        path=path[:200],
                    ),
                ) from None
    except BaseException:
        for descriptor in opened.values():
            os.close(descriptor)
        raise
    return opened


def _refuse_unlisted(path: str, listed: dict[str, CheckItem], where: Where) -> None:
    work_dir = os.path.abspath(where.work_dir)
    if under(os.path.abspath(path), work_dir):
        raise InvalidInput(
            "paths",
            _(
                "'{path}' is in the work volume ({work_dir}), which is never part of an "
                "image and is never cleaned. Nothing was deleted.",
                path=path[:200],
                work_dir=work_dir,
            ),
        )
    if path not in listed:
        raise InvalidInput(
            "paths",
            _(
                "'{path}' is not a cache listed by the latest pre-flight report; only "
                "those can be cleaned. Nothing was deleted.",
                path=path[:200],
            ),
        )


def _clean_one(item: CheckItem, descriptor: int, since: float) -> tuple[int, int]:
    """Empty one open cache folder, with its tool's command where there is one; (bytes,
    files) left. What the tool leaves of a pip cache (pip 23.2 does not know the http-v2
    layout) is deleted the same safe way; conda's own cleanup is trusted."""
    if paused_before_delete is not None:
        paused_before_delete(item.path or "")
    command = cleanup_command(item, descriptor)
    tool_done = False
    if command:
        process = subprocess.run(
            command[0],
            env={**os.environ, **command[1]},
            capture_output=True,
            timeout=600,
            check=False,
            pass_fds=(descriptor,),
        )
        tool_done = process.returncode == 0
        if not tool_done:
            log.warning(
                "%s exited %d; deleting the cache's content", command[0][0], process.returncode
            )
    remaining = measure(descriptor, since)
    if remaining[0] and (not tool_done or item.kind != "conda-pkgs"):
        empty(descriptor)
        remaining = measure(descriptor, since)
    return remaining


def cleanup_command(item: CheckItem, descriptor: int) -> tuple[list[str], dict[str, str]] | None:
    """The tool's own command that empties this cache, and its environment, if there is one.
    The tool is given the open folder (``/proc/self/fd/N``), not its path, so that it works on
    the folder that was checked even if the path is swapped meanwhile."""
    assert item.path is not None
    folder = f"/proc/self/fd/{descriptor}"
    if not os.path.isdir(folder):
        return None  # no /proc: the safe delete does it all
    if item.kind == "pip":
        return [sys.executable, "-m", "pip", "cache", "purge"], {"PIP_CACHE_DIR": folder}
    if item.kind == "conda-pkgs":
        beside = Path(item.path).parent / "bin" / "conda"
        conda = str(beside) if beside.exists() else shutil.which("conda")
        if conda:
            return [conda, "clean", "--all", "--yes"], {"CONDA_PKGS_DIRS": folder}
    return None
