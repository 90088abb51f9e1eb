"""What the tests share besides fixtures (conftest.py): one save request, one way to call the
REST API, to run the CLI, and to wait for a condition. Test modules import from here, never
from each other."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from tornado.httpclient import HTTPClientError

T = TypeVar("T")

# One valid save request, as the form or a script sends it.
GOOD = {
    "name": "pytorch-env",
    "namespace": "atelier-auto",
    "tag": "20261127",
    "description": "from a test",
}
# The CLI's save of the same kind.
SAVE = ["save", "--name", "cli-env", "--namespace", "atelier-auto", "--tag", "v1.0"]


# -- waiting -----------------------------------------------------------------------------------
def wait_until(
    predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.1, what: str = ""
) -> T:
    """Poll a synchronous predicate until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not met within {timeout} s: {what or predicate}")
        time.sleep(interval)


async def wait_until_async(
    predicate: Callable[[], Awaitable[T]],
    timeout: float = 15.0,
    interval: float = 0.1,
    what: str = "",
) -> T:
    """The same for a coroutine predicate, without blocking the event loop (which may be the
    Jupyter server's under test)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not met within {timeout} s: {what or predicate}")
        await asyncio.sleep(interval)


# -- the REST API --------------------------------------------------------------------------------
async def call(
    jp_fetch: Any,
    method: str,
    *path: str,
    body: Any = None,
    raw: bytes | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request to ``modelarts-snapshot/...``: (status, JSON body), errors included."""
    kwargs: dict[str, Any] = {
        "method": method,
        "params": params or {},
        "headers": dict(headers or {}),
    }
    if method == "POST":
        kwargs["body"] = raw if raw is not None else json.dumps(body)
    try:
        response = await jp_fetch("modelarts-snapshot", *path, **kwargs)
    except HTTPClientError as error:
        assert error.response is not None
        return error.code, json.loads(error.response.body)
    return response.code, json.loads(response.body)


async def wait_for_status(
    jp_fetch: Any, job_id: str, statuses: set[str], timeout: float = 15
) -> dict[str, Any]:
    """The job once its status is one of ``statuses``."""

    async def reached() -> dict[str, Any] | None:
        code, job = await call(jp_fetch, "GET", "jobs", job_id)
        assert code == 200, job
        return job if job["status"] in statuses else None

    return await wait_until_async(reached, timeout, what=f"{job_id} in {statuses}")


async def finished_report(jp_fetch: Any, body: Any = None) -> dict[str, Any]:
    """Start a pre-flight report and wait for its walk to end."""
    code, report = await call(jp_fetch, "POST", "preflight", body=body or {})
    assert code == 202, report
    if report["state"] != "running":
        return report

    async def finished() -> dict[str, Any] | None:
        code, latest = await call(jp_fetch, "GET", "preflight")
        assert code == 200, latest
        return None if latest["state"] == "running" else latest

    return await wait_until_async(finished, 20, 0.05, "the report finished")


# -- the CLI -------------------------------------------------------------------------------------
def run_cli_command(state_dir: Path, *args: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab_modelarts_snapshot.cli",
        *args,
        f"--ModelArtsSnapshot.state_dir={state_dir}",
        "--ModelArtsSnapshot.poll_interval=0.3",
        f"--ModelArtsSnapshot.manifest_dir={state_dir.parent / 'container-manifests'}",
    ]
    if not any(arg.startswith("--ModelArtsSnapshot.scan_root=") for arg in args):
        # The pre-flight walk (before every save) covers the test's own folder, not /.
        command.append(f"--ModelArtsSnapshot.scan_root={state_dir.parent}")
    return command


def run_cli(state_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, reading the environment."""
    command = run_cli_command(state_dir, *args)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ), check=False
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)
