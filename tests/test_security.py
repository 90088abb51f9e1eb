"""The local API inside a shared platform: authentication, XSRF, and secrets that never leak."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyterlab_modelarts_snapshot.emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY

from conftest import Emulator, service_for
from helpers import GOOD
from server_process import JupyterServer

ROUTES = [
    ("GET", "readiness"),
    ("GET", "jobs"),
    ("POST", "jobs"),
    ("GET", "jobs/6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_credentials_no_access(
    server: JupyterServer, modelarts_env: Emulator, method: str, path: str
) -> None:
    response = httpx.request(
        method, f"{server.url}/modelarts-snapshot/{path}", json=GOOD if method == "POST" else None
    )
    assert response.status_code == 403
    assert "token" in response.json()["message"]
    wrong = httpx.request(
        method,
        f"{server.url}/modelarts-snapshot/{path}",
        headers={"Authorization": "token wrong"},
        json=GOOD if method == "POST" else None,
    )
    assert wrong.status_code == 403
    assert modelarts_env.counts() == {}


def test_cookie_post_without_xsrf_is_refused(
    server: JupyterServer, modelarts_env: Emulator
) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=True) as browser:
        page = browser.get(
            f"/lab?token={server.token}"
        )  # logs in: sets the login and _xsrf cookies
        assert page.status_code == 200
        assert browser.get("/modelarts-snapshot/readiness").status_code == 200  # the cookie works
        refused = browser.post("/modelarts-snapshot/jobs", json=GOOD)
        assert refused.status_code == 403
        assert "xsrf" in refused.json()["message"].lower()
        assert modelarts_env.count("create_image") == 0
        xsrf = browser.cookies.get("_xsrf")
        assert xsrf
        accepted = browser.post(
            "/modelarts-snapshot/jobs", json=GOOD, headers={"X-XSRFToken": xsrf}
        )
        assert accepted.status_code == 201, accepted.text
    assert modelarts_env.count("create_image") == 1


async def test_two_simultaneous_saves_send_one_create(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    async def post(tag: str) -> int:
        try:
            response = await jp_fetch(
                "modelarts-snapshot", "jobs", method="POST", body=json.dumps({**GOOD, "tag": tag})
            )
        except Exception as error:  # tornado raises for 4xx
            return int(error.code)  # type: ignore[attr-defined]
        return int(response.code)

    codes = await asyncio.gather(post("a"), post("b"))
    assert sorted(codes) == [201, 409]
    assert modelarts_env.count("create_image") == 1


def test_two_processes_saving_at_once_send_one_create(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "jupyterlab_modelarts_snapshot.cli",
        "save",
        "--name",
        "cli-env",
        "--namespace",
        "team",
        f"--ModelArtsSnapshot.state_dir={state_dir}",
        f"--ModelArtsSnapshot.scan_root={state_dir.parent}",
        f"--ModelArtsSnapshot.manifest_dir={state_dir.parent / 'container-manifests'}",
    ]
    processes = [
        subprocess.Popen([*command, "--tag", tag], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for tag in ("a", "b", "c")
    ]
    codes = sorted(process.wait(timeout=60) for process in processes)
    assert codes == [0, 4, 4]
    assert modelarts_env.count("create_image") == 1


async def test_no_secret_in_logs_answers_errors_or_records(
    modelarts_env: Emulator,
    state_dir: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
    service = service_for(state_dir, poll_interval=0.2, request_timeout=1.0)
    seen: list[str] = []
    try:
        info = await service.readiness()
        job = await service.start_save(GOOD)
        modelarts_env.fault(route="show_image", status=503, count=2)
        modelarts_env.fault(route="show_image", delay=2.0, count=1)
        for _ in range(3):
            await service.follower.poll_unfinished()
        try:
            await service.start_save(GOOD)
        except Exception as error:  # 409 while unfinished
            seen += [
                str(error),
                repr(error),
                json.dumps(getattr(error, "__dict__", {}), default=str),
            ]
        seen += [
            json.dumps(info.to_dict()),
            json.dumps(job.to_dict()),
            repr(service.credentials),
            repr(await service.credentials.get()),
        ]
    finally:
        await service.close()
    seen += [caplog.text, *(path.read_text() for path in state_dir.rglob("*.json"))]
    everything = "\n".join(seen)
    assert "ModelArts GET" in caplog.text  # the calls were logged, at DEBUG
    for secret in (DEMO_ACCESS_KEY, DEMO_SECRET_KEY):
        assert secret not in everything
