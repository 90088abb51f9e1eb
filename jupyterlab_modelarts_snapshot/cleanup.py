"""Emptying the caches a pre-flight report lists, so that nothing else can be deleted.

A listed folder is pinned when the report is made: its real path, device and inode. A cleanup
opens it again one path component at a time without following a link, and goes on only when it
is the same folder. From there every call is relative to an open directory and never follows a
link, so a folder swapped for a link while the cleanup runs is not followed; the walk stays on
the folder's device, so a mount inside it is left whole; sockets, FIFOs and device files are
left where they are, in every subfolder.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
