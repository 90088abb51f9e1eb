"""The local API's operations, whatever carries them.

Two transports reach the one service with the same requests: the REST handlers of the server
extension (``handlers.py``) and the service kernel's comm (``service_kernel.py``), for a Jupyter
server that started before the package was installed. Each builds a ``Request``, and ``answer``
finds its route, checks it exactly as REST always has, calls the service and gives the ``Reply``:
the same status and body either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from .exceptions import InvalidInput, RequestTooLarge, SnapshotError, UnknownJob, outcome
from .i18n import _
from .library import KEEP_MAX, PER_GROUP_DEFAULT
from .service import SaveService

NAMESPACE = "modelarts-snapshot"
MAX_BODY_BYTES = 64 * 1024
PAGE_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 500
# Image groups in one page of the library.
LIBRARY_LIMIT_DEFAULT = 20
LIBRARY_LIMIT_MAX = 200


@dataclass(frozen=True)
class Request:
    """One call of the local API: its method, its path under ``modelarts-snapshot/`` (for a
    ``Location`` answer), the query's arguments (the last value of each) and the raw body."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json_body(self) -> Any:
        """The JSON body (None when empty), or the error that says what is wrong with it."""
        if len(self.body) > MAX_BODY_BYTES:
            raise RequestTooLarge(
                _(
                    "The request body is over {size} KiB; send only the fields this call "
                    "documents.",
                    size=MAX_BODY_BYTES // 1024,
                )
            )
        try:
            return json.loads(self.body or b"null")
        except (ValueError, RecursionError):  # not JSON, bad UTF-8, or nested too deep
            raise InvalidInput("body", _("The request body is not valid JSON.")) from None

    def page_argument(self, name: str, default: int, maximum: int) -> int:
        text = self.query.get(name, str(default))
        low = 1 if name in ("limit", "per_group") else 0
        # Length first: int() refuses over 4,300 digits, and no page needs 13.
        if (
            not (text.isascii() and text.isdigit())
            or len(text) > 12
            or not low <= int(text) <= maximum
        ):
            raise InvalidInput(
                name,
                _(
                    "'{name}' must be a whole number from {low} to {maximum}, not '{text}'.",
                    name=name,
                    low=low,
                    maximum=maximum,
                    text=text[:20],
                ),
            )
        return int(text)


@dataclass
class Reply:
    """What the transport sends back: a JSON body, or a text file with its headers."""

    status: int
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Operation = Callable[..., Awaitable[Reply]]


async def readiness(service: SaveService, request: Request) -> Reply:
    return Reply(200, (await service.readiness()).to_dict())


async def list_jobs(service: SaveService, request: Request) -> Reply:
    service.start()
    limit = request.page_argument("limit", PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX)
    offset = request.page_argument("offset", 0, 10**9)
    return Reply(200, (await service.jobs(limit, offset)).to_dict())


async def list_jobs_as_images(service: SaveService, request: Request) -> Reply:
    """``images``, the name of ``jobs`` in 0.1: its page also keeps the list as ``images``."""
    reply = await list_jobs(service, request)
    return Reply(200, {**reply.body, "images": reply.body["jobs"]})


async def start_save(service: SaveService, request: Request) -> Reply:
    job = await service.start_save(request.json_body())
    service.start()
    return Reply(201, job.to_dict(), headers={"Location": f"{request.path.rstrip('/')}/{job.id}"})


async def get_job(service: SaveService, request: Request, job_id: str) -> Reply:
    service.start()
    job = await service.job(job_id)
    if job is None:
        raise UnknownJob(
            _(
                "No save with ID '{id}' is known here. GET {path} lists them.",
                id=job_id[:80],
                path=NAMESPACE + "/jobs",
            )
        )
    return Reply(200, job.to_dict())


async def get_preflight(service: SaveService, request: Request) -> Reply:
    return Reply(200, service.latest_preflight().to_dict())


async def start_preflight(service: SaveService, request: Request) -> Reply:
    body = request.json_body()
    if body is None and request.body.strip():  # a literal null is not "no body"
        raise InvalidInput(
            "body", _("The body must be a JSON object with name, namespace and tag, or empty.")
        )
    return Reply(202, (await service.start_preflight(body)).to_dict())


async def clean_caches(service: SaveService, request: Request) -> Reply:
    return Reply(200, (await service.clean_caches(request.json_body())).to_dict())


async def manifest_now(service: SaveService, request: Request) -> Reply:
    return Reply(200, await service.manifest_now())


async def job_manifest(service: SaveService, request: Request, job_id: str) -> Reply:
    return Reply(200, await service.job_manifest(job_id))


async def job_changes(service: SaveService, request: Request, job_id: str) -> Reply:
    return Reply(200, await service.job_changes(job_id))


async def rebuild_file(service: SaveService, request: Request, job_id: str, kind: str) -> Reply:
    text = await service.rebuild_file(job_id, kind)
    return Reply(
        200,
        text=text,
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{kind}"',
        },
    )


async def lease_status(service: SaveService, request: Request) -> Reply:
    service.start()
    return Reply(200, (await service.lease_status()).to_dict())


async def extend_lease(service: SaveService, request: Request) -> Reply:
    return Reply(200, (await service.extend_lease(request.json_body())).to_dict())


async def lease_warning_shown(service: SaveService, request: Request) -> Reply:
    return Reply(200, (await service.lease_warning_shown(request.json_body())).to_dict())


async def write_restore_script(service: SaveService, request: Request) -> Reply:
    body = request.json_body() if request.body.strip() else {}  # no body: just write it
    return Reply(200, (await service.write_restore_script(body)).to_dict())


async def image_library(service: SaveService, request: Request) -> Reply:
    namespace = request.query.get("namespace") or None
    refresh = request.query.get("refresh", "false")
    if refresh not in ("true", "false"):
        raise InvalidInput("refresh", _("'refresh' must be true or false."))
    limit = request.page_argument("limit", LIBRARY_LIMIT_DEFAULT, LIBRARY_LIMIT_MAX)
    offset = request.page_argument("offset", 0, 10**9)
    per_group = request.page_argument("per_group", PER_GROUP_DEFAULT, KEEP_MAX)
    library = await service.image_library(namespace, limit, offset, refresh == "true", per_group)
    return Reply(200, library.to_dict())


async def delete_image(service: SaveService, request: Request) -> Reply:
    return Reply(200, (await service.delete_image(request.json_body())).to_dict())


async def prune_images(service: SaveService, request: Request) -> Reply:
    return Reply(200, (await service.prune_images(request.json_body())).to_dict())


JOB = "([^/]+)"
# Each path under modelarts-snapshot/ (a regular expression whose groups are the operation's
# arguments), and its operation for each method.
ROUTES: list[tuple[str, dict[str, Operation]]] = [
    ("readiness", {"GET": readiness}),
    ("jobs", {"GET": list_jobs, "POST": start_save}),
    (f"jobs/{JOB}", {"GET": get_job}),
    (f"jobs/{JOB}/manifest", {"GET": job_manifest}),
    (f"jobs/{JOB}/changes", {"GET": job_changes}),
    (f"jobs/{JOB}/rebuild/([^/]+)", {"GET": rebuild_file}),
    ("manifest/now", {"GET": manifest_now}),
    ("preflight", {"GET": get_preflight, "POST": start_preflight}),
    ("preflight/cleanup", {"POST": clean_caches}),
    ("lease", {"GET": lease_status, "POST": extend_lease}),
    ("lease/warning", {"POST": lease_warning_shown}),
    ("restore-script", {"POST": write_restore_script}),
    ("library", {"GET": image_library}),
    ("library/delete", {"POST": delete_image}),
    ("library/prune", {"POST": prune_images}),
    # The names of 0.1, kept for one release (CHANGELOG): instance and images.
    ("instance", {"GET": readiness}),
    ("images", {"GET": list_jobs_as_images, "POST": start_save}),
    (f"images/{JOB}", {"GET": get_job}),
    (f"images/{JOB}/manifest", {"GET": job_manifest}),
    (f"images/{JOB}/changes", {"GET": job_changes}),
    (f"images/{JOB}/rebuild/([^/]+)", {"GET": rebuild_file}),
]


def not_allowed(method: str, allowed: list[str]) -> Reply:
    return Reply(
        405,
        {
            "message": _(
                "{method} is not supported here; use {allowed}.",
                method=method[:20],
                allowed=", ".join(allowed),
            )
        },
        headers={"Allow": ", ".join(allowed)},
    )


def decode_argument(raw: bytes, name: str | None = None) -> str:
    """A path argument (``name`` None) or query argument as text: bytes that are not UTF-8 are
    refused like any bad input. REST (``RouteHandler.decode_argument``) and the comm both use it."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            name or "path",
            _(
                "The {part} of the request is not UTF-8 text once percent-decoded ({value}). "
                "Encode it as UTF-8 before percent-encoding it.",
                part=repr(name) if name else "path",
                value=repr(raw[:40]),
            ),
        ) from None


async def answer(service: SaveService, request: Request) -> Reply:
    """The reply to ``request`` (its path relative to ``modelarts-snapshot/``, still encoded,
    without a query):
    a refusal of the service is its status and body from the table in ``exceptions.py``."""
    for pattern, operations in ROUTES:
        found = re.fullmatch(pattern, request.path)
        if found is None:
            continue
        operation = operations.get(request.method)
        if operation is None:
            return not_allowed(request.method, list(operations))
        try:
            # Path arguments decoded as tornado decodes a handler's (after the match, so that
            # an encoded "/" stays inside its argument).
            arguments = (decode_argument(unquote_to_bytes(part)) for part in found.groups())
            return await operation(service, request, *arguments)
        except SnapshotError as error:
            return Reply(outcome(error).http_status, error.body())
    return Reply(
        404,
        {
            "message": _(
                "There is no '{path}' in the ModelArts snapshot API; openapi.json lists its paths.",
                path=request.path[:80],
            )
        },
    )
