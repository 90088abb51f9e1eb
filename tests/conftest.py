"""Shared fixtures: a real emulator process on a free port, and a Jupyter server wired to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyterlab_modelarts_snapshot.config import ModelArtsSnapshot
from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
    DEMO_USER,
)
from jupyterlab_modelarts_snapshot.service import SaveService, build_service

from server_process import JupyterServer

pytest_plugins = ("pytest_jupyter.jupyter_server",)

# What ModelArts sets in a notebook's environment.
PLATFORM_VARIABLES = ("INSTANCE_ID", "PROJECT_ID")
POLL_INTERVAL = 0.3
REQUEST_TIMEOUT = 1.5
CASES = json.loads((Path(__file__).with_name("validation-cases.json")).read_text(encoding="utf-8"))


class Emulator:
    """A running emulator and its control routes."""

    def __init__(self, url: str, process: subprocess.Popen[str]) -> None:
        self.url = url
        self.process = process
        self.http = httpx.Client(base_url=url, timeout=10)

    def reset(self) -> None:
        self.http.post("/_emulator/reset").raise_for_status()
        self.configure(init_seconds=0.4, creating_seconds=1.2)

    def configure(self, **settings: Any) -> dict[str, Any]:
        response = self.http.post("/_emulator/config", json=settings)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def fault(self, **fault: Any) -> None:
        self.http.post("/_emulator/faults", json=fault).raise_for_status()

    def seed_image(self, **fields: Any) -> dict[str, Any]:
        """An image made elsewhere (another instance, the console) as ModelArts lists it."""
        response = self.http.post("/_emulator/images", json=fields)
        response.raise_for_status()
        image: dict[str, Any] = response.json()
        return image

    def delete_image(self, image_id: str) -> None:
        """Delete an image through ModelArts' API, as a person would in the console."""
        from jupyterlab_modelarts_snapshot.signing import SdkHmacSha256Auth

        auth = SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
        self.http.delete(f"/v1/{DEMO_PROJECT_ID}/images/{image_id}", auth=auth).raise_for_status()

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.http.get("/_emulator/requests").json()["counts"]
        return counts

    def count(self, route: str) -> int:
        return self.counts().get(route, 0)

    def iam_token(self) -> str:
        """An IAM token from the emulator's IAM, as POST /v3/auth/tokens gives it."""
        identity = {
            "methods": ["password"],
            "password": {"user": {"name": DEMO_USER, "password": DEMO_PASSWORD}},
        }
        response = self.http.post("/v3/auth/tokens", json={"auth": {"identity": identity}})
        assert response.status_code == 201
        return response.headers["X-Subject-Token"]

    def images(self) -> list[dict[str, Any]]:
        """The saved images ModelArts holds, read through its own API with the demo keys."""
        from jupyterlab_modelarts_snapshot.signing import SdkHmacSha256Auth

        auth = SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
        response = self.http.get(
            f"/v1/{DEMO_PROJECT_ID}/images", params={"type": "DEDICATED"}, auth=auth
        )
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_modelarts_snapshot.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    running = Emulator(first["url"], process)
    yield running
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's credentials, and none may reach a real metadata service."""
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_SDK_", "MODELARTS_")) or name in PLATFORM_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.delenv("SWR_ENDPOINT", raising=False)
    monkeypatch.setenv("MODELARTS_METADATA_URL", "off")
    # The CLI speaks the language of the environment: English unless a test asks otherwise.
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(tmp_path / "no-credentials-file"))


@pytest.fixture
def modelarts_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Emulator:
    """Environment of a ready instance talking to the emulator with AK/SK from the environment."""
    emulator.reset()
    monkeypatch.setenv("MODELARTS_ENDPOINT", emulator.url)
    monkeypatch.setenv("SWR_ENDPOINT", emulator.url)  # SWR's routes have their own prefix
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
    monkeypatch.setenv("MODELARTS_NOTEBOOK_ID", DEMO_NOTEBOOK_ID)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", DEMO_ACCESS_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", DEMO_SECRET_KEY)
    return emulator


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def jp_server_config(state_dir: Path, modelarts_env: Emulator) -> dict[str, Any]:
    # The environment is set before the server starts, as on a real instance.
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_modelarts_snapshot": True},
            "allow_unauthenticated_access": False,
            "reraise_server_extension_failures": True,
        },
        "ModelArtsSnapshot": {
            "poll_interval": POLL_INTERVAL,
            "request_timeout": REQUEST_TIMEOUT,
            "state_dir": str(state_dir),
            # A pre-flight walk covers the test's own folder, never the machine's /.
            "scan_root": str(state_dir.parent),
            "manifest_dir": str(state_dir.parent / "container-manifests"),
        },
    }


def service_for(state_dir: Path, **traits: Any) -> SaveService:
    """The service the server extension and the CLI use, built in the test's process."""
    traits.setdefault("request_timeout", 2.0)
    traits.setdefault("poll_interval", POLL_INTERVAL)
    traits.setdefault("manifest_dir", str(state_dir.parent / "container-manifests"))
    return build_service(ModelArtsSnapshot(state_dir=str(state_dir), **traits))


@pytest.fixture
def server_poll_interval() -> float:
    """How often the ``server`` fixture's Jupyter server polls ModelArts (a module may override)."""
    return 0.3


@pytest.fixture
def server(
    modelarts_env: Emulator, tmp_path: Path, state_dir: Path, server_poll_interval: float
) -> Iterator[JupyterServer]:
    """A Jupyter server with the extension as its own process, wired to the emulator: for the
    tests that stop, kill or reach it as a browser would."""
    running = JupyterServer(tmp_path / "server", state_dir, poll_interval=server_poll_interval)
    yield running.start()
    running.stop()
