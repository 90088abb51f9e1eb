"""The local REST API under ``{base_url}modelarts-snapshot/``: JSON, authenticated like every Jupyter API.

Handlers only carry: each path's operations are in ``routes.py`` (the service kernel's comm
carries the same ones); a refusal raised there is answered by ``SnapshotHandler.write_error``
with its status from the one table in ``exceptions.py``.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from . import i18n
from .exceptions import SnapshotError, outcome
from .i18n import _
from .routes import NAMESPACE, ROUTES, Operation, Request, decode_argument, not_allowed
from .service import SaveService


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
            refusal = not_allowed(self.request.method or "", list(self.SUPPORTED_METHODS))
            self.set_header("Allow", refusal.headers["Allow"])
            self.reply(405, refusal.body)
            return
        if status_code in (401, 403):
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


class RouteHandler(SnapshotHandler):
    """One path of ``routes.ROUTES``: its operations answer, whatever the method."""

    def initialize(self, operations: dict[str, Operation]) -> None:
        self.operations = operations
        self.SUPPORTED_METHODS = tuple(operations)  # anything else is 405, with Allow

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        # tornado's hook for path and query arguments: refused in the API's words, as the comm does.
        return decode_argument(value, name)

    async def answer(self, *arguments: str) -> None:
        request = Request(
            method=self.request.method or "GET",
            path=self.request.path,
            query={name: self.get_query_argument(name) for name in self.request.query_arguments},
            body=self.request.body,
        )
        # A refusal of the service is raised, and write_error answers it.
        reply = await self.operations[request.method](self.service, request, *arguments)
        for name, value in reply.headers.items():
            self.set_header(name, value)
        if reply.text is not None:
            self.set_status(reply.status)
            # APIHandler.finish sets JSON unless told: a file keeps the type its route gave.
            self.finish(
                reply.text,
                set_content_type=reply.headers.get("Content-Type", "text/plain; charset=utf-8"),
            )
        else:
            self.reply(reply.status, reply.body)

    @web.authenticated
    async def get(self, *arguments: str) -> None:
        await self.answer(*arguments)

    @web.authenticated
    async def post(self, *arguments: str) -> None:
        await self.answer(*arguments)


HANDLERS = [
    (rf"/{NAMESPACE}/{pattern}", RouteHandler, {"operations": operations})
    for pattern, operations in ROUTES
]
