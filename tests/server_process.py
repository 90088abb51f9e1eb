"""A Jupyter server with the extension as a real process, for tests that stop or kill it."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class JupyterServer:
    def __init__(
        self,
        root: Path,
        state_dir: Path,
        poll_interval: float = 0.3,
        lab: bool = False,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.root = root
        self.app = "jupyterlab" if lab else "jupyter_server"
        self.extra_args = extra_args or []
        self.env = env or {}
        self.state_dir = state_dir
        self.poll_interval = poll_interval
        self.port = port or free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"token {self.token}"}, timeout=5
        )

    def start(self) -> JupyterServer:
        self.root.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", self.app, "--no-browser", "--allow-root",
            f"--port={self.port}", "--ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_unauthenticated_access=False",
            "--ServerApp.reraise_server_extension_failures=True",
            f"--ModelArtsSnapshot.state_dir={self.state_dir}",
            f"--ModelArtsSnapshot.manifest_dir={self.root / 'container-manifests'}",
            f"--ModelArtsSnapshot.poll_interval={self.poll_interval}",
            "--ModelArtsSnapshot.request_timeout=1.5",
            *self.extra_args,
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=log, env={**os.environ, **self.env}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if self.http.get("/api/status").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/modelarts-snapshot/{path}", **kwargs)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
