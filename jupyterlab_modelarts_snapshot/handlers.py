"""The local REST API under ``{base_url}modelarts-snapshot/``: JSON, authenticated like every Jupyter API."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from .client import (
    CredentialsRejected,
    ModelArtsError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from .jobs import NotReady, SaveInProgress, SnapshotService
from .rules import InvalidInput

MAX_BODY_BYTES = 64 * 1024
NAMESPACE = "modelarts-snapshot"


class SnapshotHandler(APIHandler):
    @property
    def service(self) -> SnapshotService:
        service: SnapshotService = self.settings["modelarts_snapshot_service"]
        return service

    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Whatever went wrong, the answer is JSON with a message a person can act on.
        reason = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], web.HTTPError) and exc_info[1].log_message:
            reason = exc_info[1].log_message
        if status_code == 405:
            allowed = ", ".join(self.SUPPORTED_METHODS)
            self.set_header("Allow", allowed)
            reason = f"{self.request.method} is not supported here; use {allowed}."
        elif status_code in (401, 403):
            reason = (
                f"{reason}. Send the Jupyter server's token (header 'Authorization: token <token>') "
                "or use the JupyterLab page, which also sends the XSRF token for POST requests."
            )
        elif status_code >= 500:
            reason = "Internal error in the ModelArts snapshot extension; see the server log."
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": reason}))


class InstanceHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self) -> None:
        self.reply(200, await self.service.instance())


class ImagesHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    @web.authenticated
    async def get(self) -> None:
        self.service.start_poller()
        self.reply(200, {"images": self.service.history()})

    @web.authenticated
    async def post(self) -> None:
        if len(self.request.body) > MAX_BODY_BYTES:
            self.reply(
                413,
                {
                    "message": f"The request body is over {MAX_BODY_BYTES // 1024} KiB; send only name, namespace, tag and description."
                },
            )
            return
        try:
            body = json.loads(self.request.body or b"null")
        except (ValueError, RecursionError):  # not JSON, bad UTF-8, or nested too deep
            self.reply(400, {"message": "The request body is not valid JSON.", "field": "body"})
            return
        try:
            job = await self.service.start_save(body)
        except InvalidInput as error:
            self.reply(400, {"message": error.message, "field": error.field})
            return
        except NotReady as error:
            self.reply(412, {"message": error.message, "problems": error.problems})
            return
        except SaveInProgress as error:
            self.reply(409, {"message": error.message, "job": error.job})
            return
        except CredentialsRejected as error:
            self.reply(502, _upstream_body(error, error.message))
            return
        except ModelArtsError as error:
            self.reply(
                502,
                _upstream_body(
                    error, f"ModelArts refused the save: {error.error_msg or 'no reason given'}"
                ),
            )
            return
        except (UpstreamTimeout, UpstreamUnreachable) as error:
            self.reply(504, {"message": error.message, "request_id": error.request_id})
            return
        except UpstreamError as error:
            self.reply(
                502,
                {
                    "message": error.message,
                    "upstream_status": None,
                    "error_code": None,
                    "error_msg": None,
                    "request_id": error.request_id,
                },
            )
            return
        self.service.start_poller()
        self.set_header("Location", self.request.path.rstrip("/") + "/" + job["id"])
        self.reply(201, job)


class ImageHandler(SnapshotHandler):
    SUPPORTED_METHODS = ("GET",)

    @web.authenticated
    async def get(self, image_id: str) -> None:
        self.service.start_poller()
        job = self.service.store.get(image_id)
        if job is None:
            self.reply(
                404,
                {
                    "message": f"No save with ID '{image_id[:80]}' is known here. GET {NAMESPACE}/images lists them."
                },
            )
            return
        self.reply(200, job)


def _upstream_body(error: ModelArtsError, message: str) -> dict[str, Any]:
    return {
        "message": message,
        "upstream_status": error.status,
        "error_code": error.error_code,
        "error_msg": error.error_msg,
        "request_id": error.request_id,
    }


HANDLERS = [
    (rf"/{NAMESPACE}/instance", InstanceHandler),
    (rf"/{NAMESPACE}/images", ImagesHandler),
    (rf"/{NAMESPACE}/images/([^/]+)", ImageHandler),
]
