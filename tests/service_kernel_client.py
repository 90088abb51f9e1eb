"""The page's side of the service kernel, in Python, for tests and benchmarks: it joins (or
starts) the one service session through the Jupyter server's REST API, as JupyterLab does,
connects to the kernel's websocket and talks to the service over a comm (openapi.json,
``info.x-service-kernel``)."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from datetime import datetime, timezone
from typing import Any

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from jupyterlab_modelarts_snapshot.models import COMM_TARGET, SERVICE_KERNEL

SESSION_PATH = ".modelarts-snapshot-service"  # the page's (src/transport.ts)


class Reply:
    def __init__(self, data: dict[str, Any]) -> None:
        self.status: int = data["status"]
        self.headers: dict[str, str] = data.get("headers") or {}
        self.text: str = data["body"]

    def json(self) -> Any:
        return json.loads(self.text)


class ServiceKernelClient:
    def __init__(self, base_url: str, token: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = httpx.AsyncClient(base_url=self.base_url, headers=self._auth(), timeout=60)
        self.session_id = uuid.uuid4().hex
        self.kernel_id: str | None = None
        self.comm_id: str | None = None
        self.states: list[str] = []  # the kernel's execution states, as they came
        self._socket: WebSocketClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._ids = itertools.count()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    async def start(self) -> ServiceKernelClient:
        """Join the service session (the server starts its kernel when there is none)."""
        response = await self.http.post(
            "/api/sessions",
            json={
                "path": SESSION_PATH,
                "name": "ModelArts snapshot service",
                "type": "modelarts-snapshot",
                "kernel": {"name": SERVICE_KERNEL},
            },
        )
        response.raise_for_status()
        self.kernel_id = response.json()["kernel"]["id"]
        await self.connect()
        return self

    async def connect(self) -> None:
        """A websocket to the kernel and a new comm to the service on it."""
        await self._disconnect()
        url = self.base_url.replace("http", "ws", 1)
        request = HTTPRequest(
            f"{url}/api/kernels/{self.kernel_id}/channels?session_id={self.session_id}",
            headers=self._auth(),
        )
        self._socket = await websocket_connect(request, max_message_size=64 * 1024 * 1024)
        self._reader = asyncio.create_task(self._read())
        self.open_comm()

    def open_comm(self) -> None:
        self.comm_id = uuid.uuid4().hex
        self._send("comm_open", {"comm_id": self.comm_id, "target_name": COMM_TARGET, "data": {}})

    async def request(
        self,
        method: str,
        path: str,
        body: str | None = None,
        language: str = "en",
        timeout: float = 30,
        data: Any = None,
    ) -> Reply:
        """One request of the local API; ``data`` replaces the whole message when given (for
        requests that are not of the documented shape)."""
        request_id = f"r{next(self._ids)}"
        message = {"id": request_id, "method": method, "path": path, "body": body}
        message["language"] = language
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[request_id if data is None else "-"] = future
        self._send(
            "comm_msg",
            {"comm_id": self.comm_id, "data": message if data is None else data},
        )
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiting.pop(request_id, None)

    async def get_json(self, path: str) -> Any:
        reply = await self.request("GET", path)
        assert reply.status == 200, reply.text
        return reply.json()

    def _send(self, message_type: str, content: dict[str, Any]) -> None:
        assert self._socket is not None
        message = {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "username": "test",
                "session": self.session_id,
                "msg_type": message_type,
                "version": "5.3",
                "date": datetime.now(timezone.utc).isoformat(),
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
        self._socket.write_message(json.dumps(message))

    async def _read(self) -> None:
        assert self._socket is not None
        while True:
            text = await self._socket.read_message()
            if text is None:
                return
            if not isinstance(text, str):
                continue
            message = json.loads(text)
            kind = message.get("msg_type") or message["header"]["msg_type"]
            content = message.get("content") or {}
            if kind == "status":
                self.states.append(content.get("execution_state", ""))
            elif kind == "comm_msg" and content.get("comm_id") == self.comm_id:
                data = content.get("data") or {}
                key = data.get("id") if data.get("id") in self._waiting else "-"
                future = self._waiting.get(key)
                if future is not None and not future.done():
                    future.set_result(Reply(data))

    async def _disconnect(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    async def close(self, shutdown: bool = False) -> None:
        await self._disconnect()
        if shutdown and self.kernel_id:
            await self.http.delete(f"/api/kernels/{self.kernel_id}")
        await self.http.aclose()
