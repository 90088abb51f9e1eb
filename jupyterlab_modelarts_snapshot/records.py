"""The manifest records of this container, kept on disk: its baseline and parent, each save's
manifest and changes, and the lineage of saves. Written into the container before a save so that
the image holds them, and kept beside the job records in the state directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .manifest import changes, collect, redact_channels
from .models import iso_now
from .rules import canonical_id

log = logging.getLogger(__name__)


def write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=1)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # a full disk leaves no half-written file behind
        raise


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def server_python() -> str:
    return sys.executable


class ManifestRecords:
    """The manifests of this container: its baseline and parent, each save's, and the lineage.

    ``manifest_dir`` is inside the container and outside the work volume, so what is written
    there before a save goes into the image; each save's copy also stays with its job record in
    the state directory, on the work volume.
    """

    def __init__(
        self,
        settings: Any,
        pythons: Callable[[], dict[str, list[str]]] | None = None,
    ) -> None:
        self.settings = settings
        self.pythons = pythons or (lambda: {})
        self.dir = Path(settings.manifest_dir)
        self.state = Path(settings.state_dir) / "manifests"
        self._started: asyncio.Task[dict[str, Any]] | None = None

    # -- from the event loop: each read and write in a thread ----------------------------------
    def start_once(self) -> asyncio.Task[dict[str, Any]]:
        """Record this container's baseline and parent once, off the event loop."""
        if self._started is None:
            self._started = asyncio.get_running_loop().create_task(asyncio.to_thread(self.start))
        return self._started

    async def lineage_depth(self) -> int:
        """How many saves the image would descend from, this one included."""
        try:
            started = await self.start_once()
        except Exception:  # the report goes on without the lineage; the next one tries again
            log.exception("The container's start records could not be read")
            self._started = None
            return 1
        return len(started["lineage"]) + 1

    async def now_async(self, image: dict[str, Any] | None) -> dict[str, Any]:
        await self.start_once()
        return await asyncio.to_thread(self.now, image)

    async def record_before_save(
        self, label: str, image: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The manifest and lineage, written into the container before create-image. A failure
        here is logged and does not stop the save."""
        try:
            await self.start_once()
            return await asyncio.to_thread(self.before_save, label, image)
        except Exception:
            log.exception("The manifest could not be recorded; saving without it")
            return None

    async def keep_after_save(
        self, image_id: str, swr_path: str | None, record: dict[str, Any]
    ) -> None:
        """A copy of the manifest beside the job record; a failure costs the copy, not the save."""
        try:
            await asyncio.to_thread(self.after_save, image_id, swr_path, record)
        except OSError as error:
            log.warning(
                "The manifest of image %s could not be kept (%s); the save goes on without it",
                image_id,
                error.strerror,
            )

    async def of_image_async(self, image_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.of_image, image_id)

    # -- this container's start: the baseline and the parent's records ------------------------
    def _stamp(self) -> str:
        return f"{self.settings.changes_since:.3f}"

    def start(self) -> dict[str, Any]:
        """Record, once per container start, the environment as it started and the parent's
        manifest and lineage found in it. Later calls read what was recorded."""
        path = self.state / "baseline.json"
        recorded = read_json(path)
        if isinstance(recorded, dict) and recorded.get("stamp") == self._stamp():
            redact_channels(recorded.get("baseline"))
            redact_channels(recorded.get("parent"))
            return recorded
        parent = redact_channels(read_json(self.dir / "manifest.json"))
        lineage = read_json(self.dir / "lineage.json")
        recorded = {
            "stamp": self._stamp(),
            "baseline": self.collect(None),
            "parent": parent if isinstance(parent, dict) else None,
            "lineage": lineage if isinstance(lineage, list) else [],
        }
        write_json(path, recorded)
        return recorded

    def note_started_image(self, image_id: str) -> None:
        """Keep, once per container start, the first image ShowNotebook names: the one this
        container started from (each save reads ShowNotebook before create-image, and a save
        moves what ShowNotebook names)."""
        path = self.state / "started-image.json"
        recorded = read_json(path)
        if not (isinstance(recorded, dict) and recorded.get("stamp") == self._stamp()):
            write_json(path, {"stamp": self._stamp(), "image_id": image_id})

    def started_image(self) -> str | None:
        recorded = read_json(self.state / "started-image.json")
        if isinstance(recorded, dict) and recorded.get("stamp") == self._stamp():
            image_id = recorded.get("image_id")
            return image_id if isinstance(image_id, str) else None
        return None

    def collect(self, image: dict[str, Any] | None) -> dict[str, Any]:
        pythons: dict[str, list[str]] = {server_python(): []}
        for python, kernels in self.pythons().items():
            pythons.setdefault(python, []).extend(kernels)
        for python in self.settings.python_envs:
            pythons.setdefault(python, [])
        return collect(
            pythons,
            self.settings.conda_roots,
            self.settings.dpkg_status,
            self.settings.os_release,
            self.settings.cuda_home,
            image,
        )

    def parent(self) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
        """(the manifest to compare with, "lineage" or "baseline", the lineage so far)."""
        started = self.start()
        lineage = started["lineage"]
        if lineage and started["parent"]:
            return started["parent"], "lineage", lineage
        return started["baseline"], "baseline", lineage

    def now(self, image: dict[str, Any] | None) -> dict[str, Any]:
        """The live environment, what it adds to its parent, and the lineage so far."""
        parent, kind, lineage = self.parent()
        manifest = self.collect(image)
        diff = changes(parent, manifest, kind)
        return {"manifest": manifest, "changes": diff, "lineage": lineage}

    # -- a save --------------------------------------------------------------------------------
    def before_save(self, label: str, image: dict[str, Any] | None) -> dict[str, Any]:
        """Write the manifest and the lineage with this save appended into the container, just
        before create-image, so that the image holds them. The image ID is not known yet."""
        record = self.now(image)
        entry = {
            "image_id": None,
            "label": label,
            "created_at": iso_now(),
            "swr_path": None,
            "parent": (image or {}).get("swr_path"),
            "packages": {
                "pip": sum(
                    1
                    for env in record["manifest"]["python"]
                    for package in env["packages"]
                    if package["installer"] != "conda"
                ),
                "conda": sum(len(env["packages"]) for env in record["manifest"]["conda"]),
                "apt": len(record["manifest"]["apt"]),
            },
        }
        record["lineage"] = [*record["lineage"], entry]
        write_json(self.dir / "manifest.json", record["manifest"])
        write_json(self.dir / "changes.json", record["changes"])
        write_json(self.dir / "lineage.json", record["lineage"])
        return record

    def after_save(self, image_id: str, swr_path: str | None, record: dict[str, Any]) -> None:
        """The save is accepted: its ID goes into the lineage, and a copy stays with the job."""
        record["lineage"][-1].update(image_id=image_id, swr_path=swr_path)
        write_json(self.state / f"{canonical_id(image_id)}.json", record)
        # Best effort: ModelArts may already be committing the container.
        write_json(self.dir / "lineage.json", record["lineage"])

    def of_image(self, image_id: str) -> dict[str, Any] | None:
        record = read_json(self.state / f"{canonical_id(Path(image_id).name)}.json")
        if not isinstance(record, dict):
            return None
        redact_channels(record.get("manifest"))
        return record
