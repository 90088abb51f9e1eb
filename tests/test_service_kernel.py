"""The service kernel, as the page reaches it on a Jupyter server that started before the package
was installed: real Jupyter servers, the real kernel process (started from the kernelspec that
``install`` writes), the real emulator. What it proves:

1. Bad input gets the same status and JSON body through the comm as through REST on the same
   server (in English and in Chinese), the 405's Allow included, and never reaches ModelArts;
   query values and encoded IDs are read as tornado reads them; a path outside the API is a 404
   in JSON; bytes that are not UTF-8 are the same 400 both ways.
2. A kernel killed with SIGKILL while a save is CREATING is restarted by the Jupyter server,
   answers the reconnected page, and finishes that save, created once.
3. With no page connected the kernel goes on following a save to its end; REST and the CLI (the
   same state directory) then read the end without asking ModelArts.
4. Every page joins one kernel, and REST and the kernel share one save lock and one set of
   records, either way round.
5. A malformed comm message is a 400 with a message; an execute_request is an error and runs
   nothing; the kernel stays up through both.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
)
from jupyterlab_modelarts_snapshot.installer import write_kernelspec
from jupyterlab_modelarts_snapshot.models import SERVICE_KERNEL

from conftest import CASES, PLATFORM_VARIABLES, Emulator
from helpers import GOOD, as_json, run_cli, wait_until, wait_until_async
from server_process import JupyterServer
from service_kernel_client import ServiceKernelClient

POLL_INTERVAL = 0.3
# Generous: a loaded 2-core CI machine starts a kernel in seconds, not the usual half second.
KERNEL_SECONDS = 90.0
UNKNOWN_JOB = "6b0f3c5e-1d2a-4c8b-9e7f-000000000000"


# -- servers, clients ------------------------------------------------------------------------------
def start_server(
    emulator: Emulator,
    tmp_path: Path,
    state_dir: Path,
    name: str,
    *,
    rest: bool,
    poll_interval: float = POLL_INTERVAL,
) -> JupyterServer:
    """A Jupyter server wired to the emulator that finds the service kernel's kernelspec where
    ``install`` leaves it; its kernel inherits its environment, as on ModelArts."""
    data_dir = tmp_path / "jupyter-data"
    write_kernelspec(sys.executable, str(data_dir))
    extra = [f"--ModelArtsSnapshot.scan_root={tmp_path}"]
    if not rest:
        # As on ModelArts before a restart: the server extension is not loaded, the page has
        # only the kernel.
        extra.append("--ServerApp.jpserver_extensions=jupyterlab_modelarts_snapshot=False")
    env = {
        "JUPYTER_PATH": str(data_dir),
        "MODELARTS_ENDPOINT": emulator.url,
        "HUAWEICLOUD_SDK_PROJECT_ID": DEMO_PROJECT_ID,
        "MODELARTS_NOTEBOOK_ID": DEMO_NOTEBOOK_ID,
        "HUAWEICLOUD_SDK_AK": DEMO_ACCESS_KEY,
        "HUAWEICLOUD_SDK_SK": DEMO_SECRET_KEY,
        "MODELARTS_METADATA_URL": "off",
    }
    return JupyterServer(
        tmp_path / name, state_dir, poll_interval=poll_interval, extra_args=extra, env=env
    ).start()


@pytest.fixture(scope="module")
def bad_input_server(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterServer]:
    """REST and the service kernel side by side, for the bad-input tests: they change nothing,
    so they share one server."""
    emulator.reset()
    root = tmp_path_factory.mktemp("bad-input")
    # Set up before the autouse clean_environment: the same clean environment, for the server.
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("HUAWEICLOUD_SDK_", "MODELARTS_")) or name in PLATFORM_VARIABLES:
                patch.delenv(name)
        patch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(root / "no-credentials-file"))
        server = start_server(emulator, root, root / "state", "server", rest=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_with_rest(
    modelarts_env: Emulator, tmp_path: Path, state_dir: Path
) -> Iterator[JupyterServer]:
    """The REST API and the service kernel side by side, on one server and one state dir."""
    server = start_server(modelarts_env, tmp_path, state_dir, "server", rest=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_without_rest(
    modelarts_env: Emulator, tmp_path: Path, state_dir: Path
) -> Iterator[JupyterServer]:
    """No server extension: whatever follows a save here is the service kernel."""
    server = start_server(modelarts_env, tmp_path, state_dir, "server", rest=False)
    try:
        assert server.api("GET", "readiness").status_code == 404  # really no REST API
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def service_client(server: JupyterServer) -> AsyncIterator[ServiceKernelClient]:
    """A page's connection: joins (or starts) the service session, then a comm to the kernel."""
    client = ServiceKernelClient(server.url, server.token)
    try:
        await client.start()
        # The first request waits for the kernel to start its service.
        await client.request("GET", "jobs", timeout=KERNEL_SECONDS)
        yield client
    finally:
        await client.close()


class RestReply:
    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status, self.headers, self.text = status, headers, text

    def json(self) -> Any:
        return json.loads(self.text)


async def rest(
    server: JupyterServer, method: str, path: str, body: str | None = None, language: str = "en"
) -> RestReply:
    """One REST request, sent as jp_fetch sends it (tornado's client keeps '..' and '%2e' as
    they are; httpx would normalise them away)."""
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            f"{server.url}/modelarts-snapshot/{path}",
            method=method,
            body=body.encode("utf-8") if body is not None else None,
            headers={"Authorization": f"token {server.token}", "Accept-Language": language},
            allow_nonstandard_methods=True,
            request_timeout=60,
        ),
        raise_error=False,
    )
    return RestReply(response.code, dict(response.headers), response.body.decode("utf-8"))


def kernel_pids(kernel_id: str) -> list[int]:
    """The service kernel processes running for this kernel ID (a killed one that is not yet
    reaped has an empty command line, so it is not among them)."""
    connection_file = f"kernel-{kernel_id}.json".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"jupyterlab_modelarts_snapshot.service_kernel" in words and any(
            word.endswith(connection_file) for word in words
        ):
            found.append(int(entry.name))
    return found


def kernel_model(server: JupyterServer, kernel_id: str) -> dict[str, Any]:
    response = server.http.get(f"/api/kernels/{kernel_id}")
    response.raise_for_status()
    model: dict[str, Any] = response.json()
    return model


async def job_in(
    client: ServiceKernelClient, job_id: str, statuses: set[str], timeout: float = 60
) -> dict[str, Any]:
    """The job, read through the comm, once its status is one of ``statuses``."""

    async def reached() -> dict[str, Any] | None:
        job: dict[str, Any] = await client.get_json(f"jobs/{job_id}")
        return job if job["status"] in statuses else None

    job = await wait_until_async(reached, timeout, 0.2, f"{job_id} in {statuses}")
    assert job is not None
    return job


# -- 1. bad input: the same answer through the comm as through REST --------------------------------
def save_with(**fields: Any) -> str:
    return json.dumps({**GOOD, **fields})


# (method, path, body): every bad request the REST tests send, and a few more of each kind.
BAD_REQUESTS: list[tuple[str, str, str | None]] = [
    # The invalid values of the table the pytest and jest suites share.
    *(
        ("POST", "jobs", save_with(**{case["field"]: case["value"] * case.get("repeat", 1)}))
        for case in CASES["cases"]
        if not case["valid"]
    ),
    ("POST", "jobs", save_with(name="Bad Name")),
    ("POST", "jobs", save_with(namespace="9lives")),
    ("POST", "jobs", save_with(tag="v1,v2")),
    ("POST", "jobs", save_with(description="x" * 513)),
    ("POST", "jobs", json.dumps({"namespace": "team"})),  # no name
    # Unknown fields, and fields of the wrong JSON type.
    ("POST", "jobs", save_with(endpoint="http://elsewhere")),
    ("POST", "jobs", save_with(name=5)),
    ("POST", "jobs", save_with(tag=["v1"])),
    ("POST", "jobs", save_with(description={"text": "x"})),
    ("POST", "jobs", save_with(force="yes")),
    ("POST", "jobs", "[]"),
    ("POST", "jobs", '"pytorch-env"'),
    ("POST", "jobs", "5"),
    ("POST", "jobs", "null"),
    ("POST", "images", save_with(name="Bad Name")),  # the 0.1 name of jobs
    # Not JSON, nested too deep, over 64 KiB, just under 64 KiB.
    ("POST", "jobs", "{not json"),
    ("POST", "jobs", "[" * 30000 + "]" * 30000),
    ("POST", "jobs", save_with(description="x" * 70_000)),
    ("POST", "jobs", json.dumps({"name": "x" * 60_000})),
    # The pre-flight report: bad bodies, a literal null, none to clean up yet.
    ("GET", "preflight", None),
    ("POST", "preflight", json.dumps({"name": "Bad Name"})),
    ("POST", "preflight", json.dumps({"size": 1})),
    ("POST", "preflight", "null"),
    ("POST", "preflight", "{not json"),
    ("POST", "preflight", "x" * 70_000),
    ("POST", "preflight/cleanup", json.dumps({"paths": ["/tmp"]})),
    ("POST", "preflight/cleanup", "[1, 2"),
    # Paging arguments.
    *(
        ("GET", f"jobs?{urlencode({name: value})}", None)
        for name, value in [
            ("limit", "0"),
            ("limit", "501"),
            ("limit", "abc"),
            ("limit", "²"),
            ("limit", ""),
            ("offset", "-1"),
            ("offset", "1e3"),
        ]
    ),
    ("GET", "images?limit=0", None),
    # Saves and files that do not exist.
    *(
        ("GET", f"jobs/{job_id}", None)
        for job_id in (UNKNOWN_JOB, "..", "not-an-id", "%2e%2e", "%2e%2e%2fetc", "%E5%90%8D")
    ),
    ("GET", "jobs/a%2Fb/manifest", None),  # an encoded "/" stays in its ID
    ("GET", f"images/{UNKNOWN_JOB}", None),
    ("GET", "jobs/not-a-save/manifest", None),
    ("GET", "jobs/not-a-save/changes", None),
    ("GET", f"jobs/{UNKNOWN_JOB}/rebuild/Dockerfile", None),
    ("GET", "jobs/x/rebuild/Makefile", None),
    # The auto-stop: extensions outside 1 to 72 whole hours, unknown fields, a stale warning.
    *(
        ("POST", "lease", json.dumps({"hours": hours}))
        for hours in (0, 73, 100, 1.5, "1", True, None)
    ),
    ("POST", "lease", json.dumps({"hours": 1, "type": "IDLE"})),
    ("POST", "lease", "{not json"),
    ("POST", "lease/warning", json.dumps({"stop_at": "2026-01-01T00:00:00Z"})),
    ("DELETE", "lease", None),
    # Methods a path does not have: 405, with Allow.
    ("PUT", "jobs", save_with()),
    ("DELETE", f"jobs/{UNKNOWN_JOB}", None),
    ("PATCH", "preflight", "{}"),
    ("POST", "readiness", "{}"),
    ("POST", f"jobs/{UNKNOWN_JOB}", "{}"),
    ("GET", "preflight/cleanup", None),
    ("POST", "manifest/now", None),
]
# Not refused, but read alike: as tornado reads a query (the last value of each argument,
# control characters as spaces, stripped).
READ_ALIKE: list[tuple[str, str, str | None]] = [
    ("GET", "jobs?limit=%205", None),
    ("GET", "jobs?limit=5%00", None),
    ("GET", "jobs?limit=abc&limit=5", None),
    ("GET", "jobs?limit=5&offset=%0b0", None),
]
# In both languages: the messages are translated alike on both ways.
IN_CHINESE: list[tuple[str, str, str | None]] = [
    ("POST", "jobs", save_with(name="Bad Name")),
    ("POST", "jobs", "{not json"),
    ("GET", "jobs?limit=0", None),
    ("GET", f"jobs/{UNKNOWN_JOB}", None),
    ("PUT", "jobs", None),
]


async def compare(
    server: JupyterServer,
    client: ServiceKernelClient,
    emulator: Emulator,
    request: tuple[str, str, str | None],
    language: str = "en",
    refused: bool = True,
) -> str | None:
    """What differs between the REST and the comm answers to one request (None: nothing), after
    checking that ModelArts heard nothing of it and that it is refused, with a message."""
    method, path, body = request
    before = emulator.counts()
    by_rest = await rest(server, method, path, body, language)
    by_comm = await client.request(method, path, body, language=language)
    assert emulator.counts() == before, (request, "reached ModelArts")
    if refused:
        assert 400 <= by_rest.status < 500, (request, by_rest.status, by_rest.text)
        assert by_rest.json()["message"], request
    rest_answer = (by_rest.status, by_rest.json(), by_rest.headers.get("Allow"))
    comm_answer = (by_comm.status, by_comm.json(), by_comm.headers.get("Allow"))
    if rest_answer != comm_answer:
        return f"{method} {path} {str(body)[:60]!r}:\n  REST {rest_answer}\n  comm {comm_answer}"
    return None


async def test_bad_input_gets_the_same_answer_as_rest_and_sends_nothing(
    bad_input_server: JupyterServer, emulator: Emulator
) -> None:
    before = emulator.counts()
    async with service_client(bad_input_server) as client:
        # Every difference at once, rather than the first.
        differences = [
            difference
            for request in BAD_REQUESTS
            if (difference := await compare(bad_input_server, client, emulator, request))
        ]
        for request in READ_ALIKE:
            difference = await compare(bad_input_server, client, emulator, request, refused=False)
            if difference:
                differences.append(difference)
        for request in IN_CHINESE:
            difference = await compare(bad_input_server, client, emulator, request, "zh-CN")
            if difference:
                differences.append(difference)
            chinese = await client.request(*request, language="zh-CN")
            english = await client.request(*request, language="en")
            assert chinese.json()["message"] != english.json()["message"], request
        assert not differences, "\n".join(differences)

        # A path outside the API: REST has Jupyter's HTML 404, the comm a 404 in JSON.
        for path in ("nothing", "jobs/a/b/c/d", "", "modelarts-snapshot/jobs", "api/kernels"):
            reply = await client.request("GET", path)
            assert reply.status == 404, (path, reply.text)
            assert f"There is no '{path}'" in reply.json()["message"]
    assert emulator.counts() == before
    assert emulator.count("create_image") == 0


@pytest.mark.parametrize(
    ("path", "field"),
    [
        pytest.param("jobs/%ff", "path", id="invalid-utf8-in-an-id"),
        pytest.param("jobs?limit=%ff", "limit", id="invalid-utf8-in-a-query-value"),
    ],
)
async def test_bytes_that_are_not_utf8(
    bad_input_server: JupyterServer, path: str, field: str
) -> None:
    # tornado would answer its own English 400; both transports answer the API's, alike.
    async with service_client(bad_input_server) as client:
        by_rest = await rest(bad_input_server, "GET", path)
        by_comm = await client.request("GET", path)
        assert by_rest.status == 400
        assert by_rest.json()["field"] == field
        assert "UTF-8" in by_rest.json()["message"]
        assert (by_rest.status, by_rest.json()) == (by_comm.status, by_comm.json())


# -- 2. killed during CREATING ---------------------------------------------------------------------
async def test_a_kernel_killed_during_creating_is_restarted_and_finishes_the_save(
    server_without_rest: JupyterServer, modelarts_env: Emulator
) -> None:
    server = server_without_rest
    # The kill comes as soon as the save is CREATING; if the restart takes longer than the rest
    # of CREATING (a loaded machine), the new kernel finds the save ended: the same checks hold.
    modelarts_env.configure(creating_seconds=4)
    async with service_client(server) as client:
        assert client.kernel_id is not None
        created = await client.request("POST", "jobs", save_with(), timeout=60)
        assert created.status == 201, created.text
        job_id = created.json()["id"]
        await job_in(client, job_id, {"CREATING"})
        [pid] = kernel_pids(client.kernel_id)
        os.kill(pid, signal.SIGKILL)

        # The Jupyter server restarts the kernel by itself: a new process, the same kernel ID.
        def restarted() -> int | None:
            pids = [found for found in kernel_pids(client.kernel_id or "") if found != pid]
            idle = kernel_model(server, client.kernel_id or "")["execution_state"] == "idle"
            return pids[0] if pids and idle else None

        new_pid = wait_until(restarted, KERNEL_SECONDS, 0.2, "the kernel restarted")
        assert new_pid != pid
        # Before any page asks, the new kernel follows the unfinished save again: only it can
        # ask ModelArts about the image here (no server extension, the old kernel is gone).
        polls = modelarts_env.count("show_image")
        wait_until(
            lambda: modelarts_env.count("show_image") > polls, 60, 0.2, "the new kernel polls"
        )
        await client.connect()  # as the page does when its kernel restarts: a new comm
        first = await client.request("GET", f"jobs/{job_id}", timeout=KERNEL_SECONDS)
        assert first.status == 200, first.text
        assert first.json()["status"] in ("CREATING", "ACTIVE")
        done = await job_in(client, job_id, {"ACTIVE", "CREATE_FAILED", "ERROR"}, 90)
        assert done["status"] == "ACTIVE", done
        assert done["finished_at"]
        kernels = server.http.get("/api/kernels").json()
        assert [kernel["id"] for kernel in kernels] == [client.kernel_id]
    assert modelarts_env.count("create_image") == 1
    assert "restarting kernel" in server.log()


# -- 3. followed with no page connected ------------------------------------------------------------
async def test_a_save_is_followed_to_its_end_with_no_page_connected(
    server_without_rest: JupyterServer,
    modelarts_env: Emulator,
    tmp_path: Path,
    state_dir: Path,
) -> None:
    server = server_without_rest
    modelarts_env.configure(creating_seconds=3)
    client = await ServiceKernelClient(server.url, server.token).start()
    try:
        created = await client.request("POST", "jobs", save_with(), timeout=KERNEL_SECONDS)
        assert created.status == 201, created.text
        job_id = created.json()["id"]
        assert created.json()["status"] in ("INIT", "CREATING")
    finally:
        await client.close(shutdown=False)  # the page goes away; the kernel stays
    kernel_id = client.kernel_id or ""
    wait_until(
        lambda: kernel_model(server, kernel_id)["connections"] == 0, 30, 0.2, "page disconnected"
    )

    # ModelArts ends the save on its own clock; then the kernel's next poll records it.
    def image_active() -> bool:
        return any(
            image["id"] == job_id and image["status"] == "ACTIVE"
            for image in modelarts_env.images()
        )

    wait_until(image_active, 60, 0.3, "ModelArts made the image ACTIVE")

    # REST from another server on the same state dir. Its own poller would first ask after an
    # hour: whatever it reads, the kernel wrote.
    reader = start_server(
        modelarts_env, tmp_path, state_dir, "reader", rest=True, poll_interval=3600
    )
    try:

        def rest_status() -> str:
            response = reader.api("GET", f"jobs/{job_id}")
            assert response.status_code == 200, response.text
            status: str = response.json()["status"]
            return status if status == "ACTIVE" else ""

        wait_until(rest_status, 30, 0.2, "REST reads ACTIVE")
        polls = modelarts_env.count("show_image")
        # The CLI reads the record too: a finished save is not asked about again.
        result = run_cli(state_dir, "status", job_id, "--json")
        assert result.returncode == 0, result.stderr
        assert as_json(result)["status"] == "ACTIVE"
        assert reader.api("GET", f"jobs/{job_id}").json()["status"] == "ACTIVE"
        assert modelarts_env.count("show_image") == polls
    finally:
        reader.stop()
    # The kernel ran on, unconnected, and created the image once.
    assert kernel_model(server, kernel_id)["connections"] == 0
    assert modelarts_env.count("create_image") == 1


# -- 4. one kernel, one save lock --------------------------------------------------------------------
async def test_one_kernel_for_every_page_and_one_save_lock_with_rest(
    server_with_rest: JupyterServer, modelarts_env: Emulator
) -> None:
    server = server_with_rest
    # Long enough for the refusals below, short enough to wait for between the two ways.
    modelarts_env.configure(creating_seconds=3)
    async with service_client(server) as first, service_client(server) as second:
        # Each page joins the one session and its one kernel.
        assert first.kernel_id is not None and first.kernel_id == second.kernel_id
        kernels = server.http.get("/api/kernels").json()
        assert [(kernel["id"], kernel["name"]) for kernel in kernels] == [
            (first.kernel_id, SERVICE_KERNEL)
        ]
        assert len(server.http.get("/api/sessions").json()) == 1
        assert kernel_model(server, first.kernel_id)["connections"] == 2

        async def ask(by: str, method: str, path: str, body: str | None = None) -> Any:
            """(status, JSON body) of one request, through REST or through a page's comm."""
            if by == "rest":
                by_rest = await rest(server, method, path, body)
                return by_rest.status, by_rest.json()
            page = first if by == "first page" else second
            by_comm = await page.request(method, path, body, timeout=60)
            return by_comm.status, by_comm.json()

        created: list[str] = []
        for started_by, other in (("rest", "first page"), ("second page", "rest")):
            tag = f"by-{started_by.replace(' ', '-')}"
            status, job = await ask(started_by, "POST", "jobs", save_with(tag=tag))
            assert status == 201, job
            created.append(job["id"])
            # The other way is refused while the save is unfinished: the same lock.
            status, refusal = await ask(other, "POST", "jobs", save_with(tag="other"))
            assert status == 409, refusal
            assert refusal["job"]["id"] == job["id"]
            assert "not finished" in refusal["message"]
            # And it reads the same records.
            status, seen = await ask(other, "GET", f"jobs/{job['id']}")
            assert status == 200 and (seen["id"], seen["tag"]) == (job["id"], tag)
            status, listing = await ask(other, "GET", "jobs")
            assert [item["id"] for item in listing["jobs"]] == created[::-1]
            await job_in(first, job["id"], {"ACTIVE"}, 60)
    assert modelarts_env.count("create_image") == 2


# -- 5. what is not a request: refused, and the kernel stays up ------------------------------------
MALFORMED: list[Any] = [
    "GET jobs",  # not an object
    ["GET", "jobs"],
    42,
    {},
    {"method": "GET", "path": "jobs"},  # no id
    {"id": 7, "method": "GET", "path": "jobs"},  # an id that is not a string
    {"id": "x" * 101, "method": "GET", "path": "jobs"},  # an id too long
    {"id": "m1", "method": 1, "path": "jobs"},  # a method that is not a string
    {"id": "m2", "method": "get", "path": "jobs"},
    {"id": "m3", "method": "HEAD", "path": "jobs"},
    {"id": "m4", "method": "GET"},  # no path
    {"id": "m5", "method": "GET", "path": ["jobs"]},
    {"id": "m6", "method": "GET", "path": "jobs/" + "x" * 3000},
    {"id": "m7", "method": "POST", "path": "jobs", "body": {"name": "x"}},  # not a string
    {"id": "m8", "method": "POST", "path": "jobs", "body": json.loads(save_with())},
    {"id": "m9", "method": "POST", "path": "jobs", "body": ["x"]},
    {"id": "m10", "method": "POST", "path": "jobs", "body": 5},
]


async def execute(server: JupyterServer, kernel_id: str, code: str) -> tuple[dict[str, Any], str]:
    """Send an execute_request as a notebook would, on a websocket of its own: the reply's content
    and what the kernel wrote to the page (its stream output)."""
    socket = await websocket_connect(
        HTTPRequest(
            f"{server.url.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels"
            f"?session_id={uuid.uuid4().hex}",
            headers={"Authorization": f"token {server.token}"},
        )
    )
    msg_id = uuid.uuid4().hex
    socket.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "msg_type": "execute_request",
                    "version": "5.3",
                    "date": datetime.now(timezone.utc).isoformat(),
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    reply: dict[str, Any] | None = None
    idle = False
    output = ""
    deadline = time.monotonic() + 60
    try:
        # Until the reply and the idle after it (the stream comes before the idle on iopub).
        while reply is None or not idle:
            text = await asyncio.wait_for(socket.read_message(), deadline - time.monotonic())
            assert text is not None, "the kernel's websocket closed"
            message = json.loads(text)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "execute_reply":
                reply = content
            elif kind == "stream":
                output += content["text"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
    finally:
        socket.close()
    return reply, output


async def test_what_is_not_a_request_is_refused_and_the_kernel_stays_up(
    server_without_rest: JupyterServer, modelarts_env: Emulator, tmp_path: Path
) -> None:
    server = server_without_rest
    marker = tmp_path / "code-ran"
    # Were it run, this would leave a file and end the kernel's process.
    code = f"open({str(marker)!r}, 'w').write('ran'); import os; os._exit(1)"
    async with service_client(server) as client:
        assert client.kernel_id is not None
        [pid] = kernel_pids(client.kernel_id)
        for data in MALFORMED:
            reply = await client.request("GET", "jobs", data=data)
            assert reply.status == 400, (data, reply.text)
            assert "A request to the service kernel is an object" in reply.json()["message"]

        executed, output = await execute(server, client.kernel_id, code)
        assert executed["status"] == "error", executed
        assert executed["ename"] == "NotACodeKernel"
        assert "runs no code" in executed["evalue"] and "runs no code" in output
        assert not marker.exists()

        # Still the same process, and it still answers the page.
        assert kernel_pids(client.kernel_id) == [pid]
        assert (await client.get_json("jobs"))["jobs"] == []
        assert kernel_model(server, client.kernel_id)["execution_state"] == "idle"
    assert modelarts_env.counts() == {}
    assert "restarting kernel" not in server.log()
