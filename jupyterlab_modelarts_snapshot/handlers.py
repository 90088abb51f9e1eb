"""The local REST API under ``{base_url}modelarts-snapshot/``: JSON, authenticated like every Jupyter API.

Handlers only translate: the service raises the errors of ``exceptions.py``, and
``SnapshotHandler.write_error`` answers each with its status from the one table there.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from . import i18n
from .exceptions import InvalidInput, RequestTooLarge, SnapshotError, UnknownJob, outcome
from .i18n import _
from .service import SaveService

MAX_BODY_BYTES = 64 * 1024
NAMESPACE = "modelarts-snapshot"
PAGE_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 500


class SnapshotHandler(APIHandler):
    @property
    def service(self) -> SaveService:
        service: SaveService = self.settings["modelarts_snapshot_service"]
        return service

    def reply(self, status: int, body: dict[str, Any]) -> None:
        """Send ``body`` with its messages in the language the request asks for (the page sends
        JupyterLab's as ``Accept-Language``); English when it asks for none we have."""
        language = i18n.for_accept_language(self.request.headers.get("Accept-Language"))
        self.set_status(status)
        self.set_header("Content-Language", i18n.language_tag(language))
        self.set_header("Vary", "Accept-Language")
        self.finish(json.dumps(i18n.render(body, language)))

    def json_body(self) -> Any:
        """The request's JSON body (None when empty), or the error that says what is wrong."""
        if len(self.request.body) > MAX_BODY_BYTES:
            raise RequestTooLarge(
                _(
                    "The request body is over {size} KiB; send only the fields this call "
                    "documents.",
                    size=MAX_BODY_BYTES // 1024,
                )
            )
        try:
            return json.loads(self.request.body or b"null")
        except (ValueError, RecursionError):  # not JSON, bad UTF-8, or nested too deep
            raise InvalidInput("body", _("The request body is not valid JSON.")) from None

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # An error of exceptions.py is an answer to the request (logged as its 4xx/5xx line),
        # not a fault of the server: no traceback.
        if not isinstance(value, SnapshotError):
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Whatever went wrong, the answer is JSON with a message a person can act on.
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], SnapshotError):
            self.reply(outcome(exc_info[1]).http_status, exc_info[1].body())
            return
        reason: str = self._reason
        if exc_info and isinstance(exc_info[1], web.HTTPError) and exc_info[1].log_message:
            reason = exc_info[1].log_message
        if status_code == 405:
            allowed = ", ".join(self.SUPPORTED_METHODS)
            self.set_header("Allow", allowed)
            reason = _(
                "{method} is not supported here; use {allowed}.",
                method=self.request.method,
                allowed=allowed,
            )
        elif status_code in (401, 403):
            reason = _(
                "{reason}. Send the Jupyter server's token (header 'Authorization: token "
                "<token>') or use the JupyterLab page, which also sends the XSRF token for POST "
                "requests.",
                reason=reason,
            )
        elif status_code >= 500:
            reason = _("Internal error in the ModelArts snapshot extension; see the server log.")
        self.set_header("Content-Type", "application/json")
        self.reply(status_code, {"message": reason})


class ReadinessHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        self.reply(200, (await self.service.readiness()).to_dict())


def _page_argument(handler: SnapshotHandler, name: str, default: int, maximum: int) -> int:
    text = handler.get_query_argument(name, str(default))
    if (
        not (text.isascii() and text.isdigit())
        or int(text) > maximum
        or (name == "limit" and int(text) < 1)
    ):
        low = 1 if name == "limit" else 0
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


class JobsHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    @web.authenticated
    async def get(self) -> None:
        self.service.start()
        limit = _page_argument(self, "limit", PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX)
        offset = _page_argument(self, "offset", 0, 10**9)
        self.reply(200, self.page_body((await self.service.jobs(limit, offset)).to_dict()))

    def page_body(self, page: dict[str, Any]) -> dict[str, Any]:
        return page

    @web.authenticated
    async def post(self) -> None:
        job = await self.service.start_save(self.json_body())
        self.service.start()
        self.set_header("Location", self.request.path.rstrip("/") + "/" + job.id)
        self.reply(201, job.to_dict())


class OldImagesHandler(JobsHandler):
    """``images``, the name of ``jobs`` in 0.1: its page also keeps the list as ``images``."""

    def page_body(self, page: dict[str, Any]) -> dict[str, Any]:
        return {**page, "images": page["jobs"]}


class JobHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, job_id: str) -> None:
        self.service.start()
        job = await self.service.job(job_id)
        if job is None:
            raise UnknownJob(
                _(
                    "No save with ID '{id}' is known here. GET {path} lists them.",
                    id=job_id[:80],
                    path=NAMESPACE + "/jobs",
                )
            )
        self.reply(200, job.to_dict())


class PreflightHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    @web.authenticated
    async def get(self) -> None:
        self.reply(200, self.service.latest_preflight().to_dict())

    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        if body is None and self.request.body.strip():  # a literal null is not "no body"
            raise InvalidInput(
                "body", _("The body must be a JSON object with name, namespace and tag, or empty.")
            )
        report = await self.service.start_preflight(body)
        self.reply(202, report.to_dict())


class CleanupHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("POST",)

    @web.authenticated
    async def post(self) -> None:
        result = await self.service.clean_caches(self.json_body())
        self.reply(200, result.to_dict())


class ManifestNowHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        self.reply(200, await self.service.manifest_now())


class JobRecordHandler(SnapshotHandler):
    """A job's manifest, its changes since the parent, and the files that rebuild its image."""

    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, job_id: str, part: str, kind: str | None = None) -> None:
        if part == "manifest":
            self.reply(200, await self.service.job_manifest(job_id))
        elif part == "changes":
            self.reply(200, await self.service.job_changes(job_id))
        else:
            assert kind is not None
            text = await self.service.rebuild_file(job_id, kind)
            self.set_header("Content-Disposition", f'attachment; filename="{kind}"')
            self.finish(text, set_content_type="text/plain; charset=utf-8")


HANDLERS = [
    (rf"/{NAMESPACE}/readiness", ReadinessHandler),
    (rf"/{NAMESPACE}/jobs", JobsHandler),
    (rf"/{NAMESPACE}/jobs/([^/]+)", JobHandler),
    (rf"/{NAMESPACE}/jobs/([^/]+)/(manifest|changes)", JobRecordHandler),
    (rf"/{NAMESPACE}/jobs/([^/]+)/(rebuild)/([^/]+)", JobRecordHandler),
    (rf"/{NAMESPACE}/manifest/now", ManifestNowHandler),
    (rf"/{NAMESPACE}/preflight", PreflightHandler),
    (rf"/{NAMESPACE}/preflight/cleanup", CleanupHandler),
    # The names of 0.1, kept for one release (CHANGELOG): instance and images.
    (rf"/{NAMESPACE}/instance", ReadinessHandler),
    (rf"/{NAMESPACE}/images", OldImagesHandler),
    (rf"/{NAMESPACE}/images/([^/]+)", JobHandler),
    (rf"/{NAMESPACE}/images/([^/]+)/(manifest|changes)", JobRecordHandler),
    (rf"/{NAMESPACE}/images/([^/]+)/(rebuild)/([^/]+)", JobRecordHandler),
]
