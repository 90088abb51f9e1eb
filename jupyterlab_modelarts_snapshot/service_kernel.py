"""The service kernel: the service and the operations of the REST API, reached over a comm.

On ModelArts the Jupyter server starts before the package is installed and is never restarted,
so the server extension loads only at the next start. Kernels start at any time, and inherit the
server's environment: the page starts (or joins) this one kernel when the REST API is missing.

It runs no code. The page opens a comm to ``COMM_TARGET`` and sends each request of the REST API
as ``{id, method, path, body, language}``; ``routes.answer`` checks and answers it exactly as the
REST handlers do, and the reply is ``{id, status, headers, body}`` with the body text REST would
send. Its settings are read as the CLI reads them (Jupyter config files, the environment it
inherits from the server) and with the server's own ``--ModelArtsSnapshot.*`` arguments. The
service (state directory, job records, save lock) is the one the server extension, the CLI and
the magic use, so a save started one way is seen by the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
from typing import Any
from urllib.parse import parse_qsl

import comm
from ipykernel.kernelapp import IPKernelApp
from ipykernel.kernelbase import Kernel

from . import i18n
from ._version import __version__
from .config import load_settings
from .exceptions import SnapshotError, outcome
from .i18n import _
from .kernels import RunningServerKernels, server_of_process, settings_arguments
from .models import COMM_TARGET, SERVICE_KERNEL
from .routes import Reply, Request, answer, decode_argument
from .service import SaveService, build_service

# Named, not __name__: run with -m, this module is __main__, outside the package logger.
log = logging.getLogger("jupyterlab_modelarts_snapshot.service_kernel")

# What a request may look like before it reaches the routes: larger fields are not requests.
MAX_ID_CHARS = 100
MAX_PATH_CHARS = 2048
# The HTTP methods a comm request may carry; the route answers 405 to one it does not take.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What tornado turns into spaces in a query argument.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f]")
# How long a shutdown waits for the service to stop following and close its connections.
SHUTDOWN_SECONDS = 5


class ServiceKernel(Kernel):
    implementation = SERVICE_KERNEL
    implementation_version = __version__
    banner = "ModelArts snapshot service"
    language_info = {"name": "json", "mimetype": "application/json", "file_extension": ".json"}

    service: SaveService | None = None
    # Why the service could not be built (a setting that is not valid): every request gets it.
    startup_error: str | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import ipykernel.ipkernel  # noqa: F401  (makes comm create ipykernel's comms)

        self.comm_manager = comm.get_comm_manager()
        for message_type in ("comm_open", "comm_close"):
            self.shell_handlers[message_type] = getattr(self.comm_manager, message_type)
        self.shell_handlers["comm_msg"] = self._on_comm_msg
        self.comm_manager.register_target(COMM_TARGET, lambda channel, message: None)

    def start(self) -> None:
        super().start()
        # Unfinished saves are followed again at once, before any page asks.
        self.io_loop.add_callback(self._start_service)

    def _start_service(self) -> None:
        if self.service is not None or self.startup_error is not None:
            return
        self.service_loop = asyncio.get_running_loop()
        try:
            server = server_of_process(os.getppid())
            self.service = build_service(
                load_settings(settings_arguments(os.getppid())),
                str(server.get("base_url", "")) if server else "",
                RunningServerKernels(server),
            )
            self.service.start()
        except Exception as error:
            self.startup_error = str(error)
            log.error("The service could not start: %s", error)
            return
        log.info(
            "Serving notebook %s (from %s) to the page",
            self.service.identity.notebook_id,
            self.service.identity.notebook_id_source,
        )

    def _on_comm_msg(self, stream: Any, ident: Any, message: dict[str, Any]) -> None:
        channel = self.comm_manager.get_comm(message["content"].get("comm_id"))
        if channel is not None:
            # Answered on the loop the service lives on (ipykernel may run this handler on
            # another thread's loop), each in its own task: a slow request does not hold the
            # others.
            self.io_loop.add_callback(self._reply, channel, message)

    def _publish_status(self, status: str, channel: str, parent: Any = None) -> None:
        # A request gets its answer and nothing else. The Jupyter server sends small websocket
        # messages one round trip apart (Nagle), so a busy/idle around each answer would delay
        # the next by the browser's delayed ACK (about 40 ms); and the kernel, which runs no
        # code, is then never counted among the busy kernels. The page disposes each request's
        # future itself when the answer comes.
        parent = parent or self.get_parent(channel)
        if (parent or {}).get("header", {}).get("msg_type") != "comm_msg":
            super()._publish_status(status, channel, parent)

    async def _reply(self, channel: Any, message: dict[str, Any]) -> None:
        data = message.get("content", {}).get("data")
        request_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(request_id, str) or len(request_id) > MAX_ID_CHARS:
            request_id = None
        language = data.get("language") if isinstance(data, dict) else None
        translations = i18n.for_accept_language(language if isinstance(language, str) else None)
        try:
            reply = await self._answer(data)
        except Exception:
            log.exception("A request to the service kernel failed")
            reply = Reply(
                500,
                {
                    "message": _(
                        "Internal error in the ModelArts snapshot extension; see the server log."
                    )
                },
            )
        text = reply.text
        if text is None:
            text = json.dumps(i18n.render(reply.body, translations))
        channel.send(
            {"id": request_id, "status": reply.status, "headers": reply.headers, "body": text}
        )

    async def _answer(self, data: Any) -> Reply:
        if not (
            isinstance(data, dict)
            and isinstance(data.get("id"), str)
            and len(data["id"]) <= MAX_ID_CHARS
            and data.get("method") in METHODS
            and isinstance(data.get("path"), str)
            and len(data["path"]) <= MAX_PATH_CHARS
            and (data.get("body") is None or isinstance(data.get("body"), str))
        ):
            return Reply(
                400,
                {
                    "message": _(
                        "A request to the service kernel is an object with id, method (GET, POST, "
                        "PUT, PATCH or DELETE), path (under modelarts-snapshot/) and body (a string, or null)."
                    )
                },
            )
        self._start_service()
        if self.service is None:
            return Reply(
                500,
                {
                    "message": _(
                        "The ModelArts snapshot service kernel could not start its service: "
                        "{error}. Fix the setting in the Jupyter config "
                        "(c.ModelArtsSnapshot.*), then restart the kernel named {kernel} from "
                        "the Running panel.",
                        error=self.startup_error or "",
                        kernel=SERVICE_KERNEL,
                    ),
                    "service_error": True,
                },
            )
        path, _sep, query = data["path"].lstrip("/").partition("?")
        try:
            # As tornado gives a handler its query arguments: bytes (latin-1 keeps them) decoded
            # as UTF-8, the last of each, control characters as spaces, stripped.
            arguments = {
                name: CONTROL_CHARACTERS.sub(
                    " ", decode_argument(value.encode("latin-1"), name)
                ).strip()
                for name, value in parse_qsl(query, keep_blank_values=True, encoding="latin-1")
            }
        except SnapshotError as error:
            return Reply(outcome(error).http_status, error.body())
        request = Request(
            method=data["method"],
            path=path,
            query=arguments,
            body=(data.get("body") or "").encode("utf-8", "surrogatepass"),
        )
        return await answer(self.service, request)

    # -- a kernel that runs no code ----------------------------------------------------------
    async def do_execute(
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool = False,
        *,
        cell_meta: dict[str, Any] | None = None,
        cell_id: str | None = None,
    ) -> dict[str, Any]:
        message = i18n.render(
            _(
                "This kernel serves the ModelArts snapshot panel and runs no code: choose another "
                "kernel for this notebook."
            )
        )
        if not silent:
            self.send_response(self.iopub_socket, "stream", {"name": "stderr", "text": message})
        return {
            "status": "error",
            "execution_count": self.execution_count,
            "ename": "NotACodeKernel",
            "evalue": message,
            "traceback": [],
        }

    async def do_shutdown(self, restart: bool) -> dict[str, Any]:
        if self.service is not None:
            # The service lives on the shell's loop; ipykernel may run this on another thread's.
            done = asyncio.run_coroutine_threadsafe(self.service.close(), self.service_loop)
            await asyncio.wait_for(asyncio.wrap_future(done), SHUTDOWN_SECONDS)
        return {"status": "ok", "restart": restart}


def main() -> None:
    # The kernel's own stdout and stderr go to the page; its log goes to the server's log.
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(logging.Formatter("[ModelArts snapshot service kernel] %(message)s"))
    package = logging.getLogger(__package__)
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    i18n.current.set(i18n.from_environment())
    IPKernelApp.launch_instance(kernel_class=ServiceKernel)


if __name__ == "__main__":
    main()
