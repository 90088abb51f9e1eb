"""Every saved image in one place: the ``DEDICATED`` images of the organizations this instance
saved to (or of a chosen one), grouped by name, marked with what runs now and what starts next;
and deleting them, one at a time or by keeping the newest of a name, with or without their SWR
content.

ListImage has no ``origin`` filter and is paged upstream: each organization's list is read in
pages once, and reused for ``library_cache_seconds``, so that opening the panel again sends
nothing. A delete changes the cached list instead of reading it again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

from .client import ModelArtsClient
from .config import ModelArtsSnapshot
from .exceptions import DeleteRefused, InvalidInput, ModelArtsError, UnknownImage, UpstreamError
from .i18n import _
from .identity import Identity
from .models import (
    FINISHED,
    DeletedImage,
    ImageGroup,
    Library,
    PruneResult,
    RefusedImage,
    SavedImage,
    iso,
)
from .records import ManifestRecords
from .rules import canonical_id, check_field, is_uuid, refuse_unknown, switch
from .store import JobStore

log = logging.getLogger(__name__)

# Images asked for in one ListImage page. The SDK documents any positive integer (default 200);
# a service that answers fewer is read on from the next offset, until its total.
UPSTREAM_PAGE = 1000
LIBRARY_LIMIT_MAX = 200
# Images of each name in a page: the newest; the rest with per_group (up to KEEP_MAX).
PER_GROUP_DEFAULT = 10
KEEP_MAX = 1000
NAME_MAX = 512
# ListImage pages read at most, should a service ignore the offset and give no total.
UPSTREAM_PAGES_MAX = 100


class ImageLibrary:
    def __init__(
        self,
        settings: ModelArtsSnapshot,
        client: ModelArtsClient,
        identity: Identity,
        store: JobStore,
        records: ManifestRecords,
    ) -> None:
        self.settings = settings
        self.client = client
        self.identity = identity
        self.store = store
        self.records = records
        # Per organization: (when read, monotonic; when read, wall clock; the images).
        self._lists: dict[str, tuple[float, float, list[dict[str, Any]]]] = {}
        self._next_start: tuple[float, str | None] | None = None
        self._grouped: tuple[Any, list[ImageGroup]] | None = None
        self._version = 0  # counts the changes of ``_lists``
        self._lock = asyncio.Lock()

    # -- reading -------------------------------------------------------------------------------
    def namespaces(self) -> list[str]:
        """The organizations this instance has saved to, from its job records."""
        notebook = self.identity.notebook_id or ""
        return sorted({job.namespace for job in self.store.all(notebook) if job.namespace})

    async def listing(
        self,
        namespace: str | None,
        limit: int,
        offset: int,
        refresh: bool = False,
        per_group: int = PER_GROUP_DEFAULT,
    ) -> Library:
        if namespace is not None:
            self._check_namespace(namespace)
        await asyncio.to_thread(self.store.sync)
        namespaces = [namespace] if namespace else self.namespaces()
        ordered, fetched = await self._groups(namespaces, refresh)
        return Library(
            namespaces=namespaces,
            groups=[
                dataclasses.replace(group, images=group.images[:per_group])
                for group in ordered[offset : offset + limit]
            ],
            total_groups=len(ordered),
            total_images=sum(len(group.images) for group in ordered),
            limit=limit,
            offset=offset,
            fetched_at=iso(fetched) if fetched else None,
        )

    async def _groups(
        self, namespaces: list[str], refresh: bool = False
    ) -> tuple[list[ImageGroup], float | None]:
        """The images of ``namespaces`` by name, the group with the newest image first."""
        images, fetched = await self._images(namespaces, refresh)
        marks = await self._marks()
        # The same lists with the same marks group the same: reuse the last grouping.
        key = (tuple(namespaces), self._version, marks)
        if self._grouped is not None and self._grouped[0] == key:
            return self._grouped[1], fetched
        groups: dict[tuple[str, str], list[SavedImage]] = {}
        for image in self._marked(images, *marks):
            groups.setdefault((image.namespace, image.name), []).append(image)
        ordered = [
            ImageGroup(
                name=name,
                namespace=ns,
                images=sorted(members, key=_created, reverse=True),
                total=len(members),
            )
            for (ns, name), members in groups.items()
        ]
        ordered.sort(key=lambda group: _created(group.images[0]), reverse=True)
        self._grouped = (key, ordered)
        return ordered, fetched

    async def _images(
        self, namespaces: list[str], refresh: bool
    ) -> tuple[list[dict[str, Any]], float | None]:
        """Every saved image of ``namespaces``, each organization's list read at most once per
        ``library_cache_seconds`` (concurrent readers share one series of calls)."""
        async with self._lock:
            images: list[dict[str, Any]] = []
            oldest: float | None = None
            for namespace in namespaces:
                cached = self._lists.get(namespace)
                if refresh or cached is None or self._stale(cached[0]):
                    cached = (time.monotonic(), time.time(), await self._read_upstream(namespace))
                    self._lists[namespace] = cached
                    self._version += 1
                    self._next_start = None  # read with the list
                images.extend(cached[2])
                oldest = cached[1] if oldest is None else min(oldest, cached[1])
            return images, oldest

    def _stale(self, read_at: float) -> bool:
        return time.monotonic() - read_at >= self.settings.library_cache_seconds

    async def _read_upstream(self, namespace: str) -> list[dict[str, Any]]:
        """ListImage for one organization, page after page, until its ``total``."""
        found: list[dict[str, Any]] = []
        offset = 0
        for _page in range(UPSTREAM_PAGES_MAX):
            page = await self.client.list_images_page(
                type="DEDICATED", namespace=namespace, workspace_id=self.settings.workspace_id,
                limit=UPSTREAM_PAGE, offset=offset, sort_key="create_at", sort_dir="DESC",
            )  # fmt: skip
            data = [item for item in page.get("data") or [] if isinstance(item, dict)]
            # name_fuzzy_match does not apply here, but the namespace filter is exact: check.
            found.extend(item for item in data if item.get("namespace") == namespace)
            offset += len(data)
            total = page.get("total")
            if not data or (isinstance(total, int) and offset >= total):
                return found
        log.warning(
            "ListImage gave more than %d pages: the library lists what they held", _page + 1
        )
        return found

    async def _next_start_image(self, fresh: bool = False) -> str | None:
        """The image ShowNotebook says the next start runs from, read with the list (``fresh``:
        read now, and raise when ShowNotebook does not answer: a delete needs to know)."""
        cached = self._next_start
        if not fresh and cached is not None and not self._stale(cached[0]):
            return cached[1]
        notebook_id = self.identity.notebook_id
        if not notebook_id:
            return None
        try:
            notebook = await self.client.get_notebook(notebook_id)
        except UpstreamError as error:
            if fresh:
                raise
            # Not known now: what the records last confirmed, neither cached nor rewritten.
            log.info("ShowNotebook could not say which image starts next (%s)", error)
            return next((job.id for job in self.store.all(notebook_id) if job.starts_next), None)
        image = notebook.get("image")
        image_id = None
        if isinstance(image, dict) and isinstance(image.get("id"), str):
            image_id = canonical_id(image["id"])
        self._next_start = (time.monotonic(), image_id)
        await self._confirm_next_start(image_id)
        return image_id

    async def _confirm_next_start(self, image_id: str | None) -> None:
        """Keep the job records' ``starts_next`` as ShowNotebook says."""
        notebook = self.identity.notebook_id or ""
        changed = [
            dataclasses.replace(job, starts_next=job.id == image_id)
            for job in self.store.all(notebook)
            if job.starts_next != (job.id == image_id)
        ]
        for job in changed:
            await asyncio.to_thread(self.store.save, job)

    async def running_image(self, next_start: str | None) -> str | None:
        """The image this container started from: the last save of the lineage it started with
        (its ID, or its name:tag when the ID came too late to be in the image); else the first
        image ShowNotebook named in this container (kept by the pre-flight's instance check,
        which every save takes); else the one it names now, if no save has moved it since."""
        try:
            started = await self.records.start_once()
        except Exception:  # no lineage: fall back on ShowNotebook
            started = {"lineage": []}
        for entry in reversed(started.get("lineage") or []):
            if isinstance(entry, dict) and entry.get("image_id"):
                return canonical_id(str(entry["image_id"]))
            if isinstance(entry, dict) and entry.get("label"):
                return "label:" + str(entry["label"])
        first_seen = await asyncio.to_thread(self.records.started_image)
        if first_seen:
            return canonical_id(first_seen)
        since = iso(self.settings.changes_since)
        notebook = self.identity.notebook_id or ""
        if any(job.created_at >= since for job in self.store.all(notebook)):
            return None  # saved since the start: ShowNotebook names that save now
        if next_start:
            await asyncio.to_thread(self.records.note_started_image, next_start)
        return next_start

    async def _marks(self) -> tuple[str | None, str | None, frozenset[str]]:
        """(what starts next, what runs now, the IDs this instance saved)."""
        next_start = await self._next_start_image()
        running = await self.running_image(next_start)
        notebook = self.identity.notebook_id or ""
        return next_start, running, frozenset(job.id for job in self.store.all(notebook))

    @staticmethod
    def _marked(
        images: list[dict[str, Any]],
        next_start: str | None,
        running: str | None,
        ours: frozenset[str],
    ) -> list[SavedImage]:
        marked = []
        for image in images:
            image_id = canonical_id(str(image.get("id", "")))
            label = f"{image.get('name', '')}:{image.get('tag', '')}"
            runs_now = running in (image_id, "label:" + label)
            created = image.get("create_at")
            size = image.get("size")
            marked.append(
                SavedImage(
                    id=image_id, name=str(image.get("name", "")),
                    namespace=str(image.get("namespace", "")), tag=str(image.get("tag", "")),
                    status=str(image.get("status", "")),
                    size_kb=size if isinstance(size, int) and size > 0 else None,
                    created_at=iso(created / 1000) if isinstance(created, (int, float)) else None,
                    swr_path=image.get("swr_path") or None,
                    from_this_instance=image_id in ours or runs_now,
                    runs_now=runs_now,
                    starts_next=image_id == next_start and not runs_now,
                )
            )  # fmt: skip
        return marked

    # -- deleting ------------------------------------------------------------------------------
    async def delete(self, body: Any) -> DeletedImage:
        """Delete one listed image, after the refusals; with ``with_swr_content`` its SWR image
        goes too."""
        request = _object(body, {"id", "namespace", "with_swr_content"}, {"id", "namespace"})
        image_id, namespace = request["id"], request["namespace"]
        if not isinstance(image_id, str) or not is_uuid(image_id):
            raise InvalidInput("id", _("'id' must be an image ID as the library lists it."))
        self._check_namespace(namespace)
        with_swr = switch(request, "with_swr_content")
        for fresh in (False, True):
            if fresh:
                # The list may be a minute old: what starts next is read again before deleting.
                await self._next_start_image(fresh=True)
            image = await self._find(canonical_id(image_id), namespace)
            refusal = self._refusal(image, namespace)
            if refusal is not None:
                raise DeleteRefused(refusal[0], refusal[1], image.id)
        deleted = await self._delete(image, with_swr)
        if deleted.swr_error:
            log.warning("SWR content of %s not deleted: %s", image.label, deleted.swr_error)
        return deleted

    async def prune(self, body: Any) -> PruneResult:
        """Keep the newest ``keep`` of a name; the older ones go (a dry run lists them). Acting
        needs ``ids``, the list the dry run gave, and refuses if it has changed since."""
        allowed = {"name", "namespace", "keep", "with_swr_content", "dry_run", "ids"}
        request = _object(body, allowed, {"name", "namespace", "keep"})
        name, namespace, keep = request["name"], request["namespace"], request["keep"]
        # Any name the library lists (other tools name images too), never an empty one.
        if not isinstance(name, str) or not 0 < len(name) <= NAME_MAX:
            raise InvalidInput("name", _("'name' must be the image name, as text."))
        self._check_namespace(namespace)
        if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= KEEP_MAX:
            raise InvalidInput(
                "keep",
                _("'keep' must be a whole number from 1 to {maximum}.", maximum=KEEP_MAX),
            )
        with_swr = switch(request, "with_swr_content")
        dry_run = switch(request, "dry_run") if "dry_run" in request else True
        ids = request.get("ids")
        if not dry_run and (
            not isinstance(ids, list) or not all(isinstance(i, str) and is_uuid(i) for i in ids)
        ):
            raise InvalidInput(
                "ids",
                _(
                    "To delete, send 'ids': the image IDs the dry run listed to delete "
                    '(send "dry_run": true first).'
                ),
            )
        if not dry_run:
            await self._next_start_image(fresh=True)  # as for one delete
        groups, _fetched = await self._groups([namespace])
        images = next((group.images for group in groups if group.name == name), [])
        kept, older = images[:keep], images[keep:]
        refused, delete = [], []
        for image in older:
            refusal = self._refusal(image, namespace)
            if refusal is None:
                delete.append(image)
            else:
                refused.append(RefusedImage(image=image, reason=refusal[0], message=refusal[1]))
        result = PruneResult(
            name=name, namespace=namespace, keep=keep, with_swr_content=with_swr,
            dry_run=dry_run, kept=kept, delete=delete, refused=refused, deleted=[], failed=[],
        )  # fmt: skip
        if dry_run:
            return result
        assert isinstance(ids, list)
        if sorted(canonical_id(i) for i in ids) != sorted(image.id for image in delete):
            raise DeleteRefused(
                "list-changed",
                _(
                    "The images to delete are no longer the ones listed: list them again "
                    '("dry_run": true) and confirm that list.'
                ),
            )
        for image in delete:
            try:
                result.deleted.append(await self._delete(image, with_swr))
            except UpstreamError as error:  # the others still go; this one is reported
                result.failed.append(
                    RefusedImage(image=image, reason="failed", message=error.message)
                )
        return result

    async def _find(self, image_id: str, namespace: str) -> SavedImage:
        images, _fetched = await self._images([namespace], refresh=False)
        found = next((i for i in images if canonical_id(str(i.get("id"))) == image_id), None)
        if found is None:
            # Listed in another organization? Say so rather than "unknown".
            elsewhere = next(
                (
                    i
                    for ns, (_at, _wall, listed) in self._lists.items()
                    if ns != namespace
                    for i in listed
                    if canonical_id(str(i.get("id"))) == image_id
                ),
                None,
            )
            if elsewhere is not None:
                raise DeleteRefused(
                    "other-organization",
                    _(
                        "Image {id} is in organization {other}, not {namespace}: nothing was "
                        "deleted. Ask for the organization it is in.",
                        id=image_id,
                        other=str(elsewhere.get("namespace")),
                        namespace=namespace,
                    ),
                    image_id,
                )
            raise UnknownImage(
                _(
                    "Organization {namespace} has no saved image {id}. GET "
                    "modelarts-snapshot/library?namespace={namespace} lists them.",
                    namespace=namespace,
                    id=image_id,
                )
            )
        return self._marked([found], *await self._marks())[0]

    def _refusal(self, image: SavedImage, namespace: str) -> tuple[str, str] | None:
        if image.namespace != namespace:
            return "other-organization", _(
                "{label} is in organization {other}, not {namespace}.",
                label=image.label,
                other=image.namespace,
                namespace=namespace,
            )
        if image.runs_now:
            return "runs-now", _(
                "{label} is the image this instance runs: keep it while the instance uses it.",
                label=image.label,
            )
        if image.starts_next:
            return "starts-next", _(
                "{label} is the image the next start of this instance runs from: deleting it "
                "would leave the instance nothing to start.",
                label=image.label,
            )
        if image.status not in FINISHED:  # still being saved: deleting it breaks the save
            return "creating", _(
                "{label} is still being saved ({status}): wait until it ends.",
                label=image.label,
                status=image.status,
            )
        return None

    async def _delete(self, image: SavedImage, with_swr: bool) -> DeletedImage:
        force = self.settings.delete_force_form if with_swr else None
        try:
            await self.client.delete_image(image.id, force)
        except ModelArtsError as error:
            if not error.image_gone:
                raise
            log.info("Image %s was already deleted", image.id)  # by someone else: gone anyway
        self._forget(image.id)  # the registration is gone, whatever SWR says next
        swr_content, swr_error = "kept", None
        if with_swr:
            # The force flag should have taken the SWR image; where it did not, its tag goes
            # now. SWR's 404 says the force flag took it.
            repository = swr_repository(image)
            try:
                await self.client.swr_delete_tag(image.namespace, repository, image.tag)
                swr_content = "deleted"
            except ModelArtsError as error:
                if error.status != 404:
                    swr_content, swr_error = "failed", error.message
                else:
                    swr_content = "deleted-with-registration"
            except UpstreamError as error:
                swr_content, swr_error = "failed", error.message
        log.info("Deleted image %s (%s), SWR content %s", image.id, image.label, swr_content)
        return DeletedImage(
            id=image.id, name=image.name, namespace=image.namespace, tag=image.tag,
            swr_content=swr_content, force=force,
            swr_error=_(
                "The ModelArts registration is deleted, but SWR refused to delete the image "
                "{label}: {reason} Delete it in SWR.",
                label=image.label, reason=swr_error,
            ) if swr_error else None,
        )  # fmt: skip

    def _forget(self, image_id: str) -> None:
        for namespace, (at, wall, images) in list(self._lists.items()):
            kept = [i for i in images if canonical_id(str(i.get("id"))) != image_id]
            self._lists[namespace] = (at, wall, kept)
        self._version += 1

    @staticmethod
    def _check_namespace(namespace: Any) -> None:
        problem = (
            check_field("namespace", namespace)
            if isinstance(namespace, str) and namespace
            else _("'namespace' must name an SWR organization.")
        )
        if problem:
            raise InvalidInput("namespace", problem)


def swr_repository(image: SavedImage) -> str:
    """The image's SWR repository: from its ``swr_path`` (``host/namespace/repository:tag``)
    when it has one, else its name."""
    path = image.swr_path or ""
    prefix = f"/{image.namespace}/"
    suffix = f":{image.tag}"
    if prefix in path and path.endswith(suffix):
        return path.split(prefix, 1)[1][: -len(suffix)] or image.name
    return image.name


def _created(image: SavedImage) -> str:
    return image.created_at or ""


def _object(body: Any, allowed: set[str], required: set[str]) -> dict[str, Any]:
    """The JSON object ``body``, with only ``allowed`` fields and every ``required`` one."""
    if not isinstance(body, dict):
        raise InvalidInput(
            "body",
            _("The body must be a JSON object with {fields}.", fields=", ".join(sorted(required))),
        )
    refuse_unknown(body, sorted(allowed))
    missing = sorted(required - set(body))
    if missing:
        raise InvalidInput(missing[0], _("'{field}' is required.", field=missing[0]))
    return body
