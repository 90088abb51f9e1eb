"""What a ModelArts notebook provides: INSTANCE_ID and PROJECT_ID, the notebook-<id> hostname, and
the preinstalled modelarts SDK where the server's Python cannot import it."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
    DEMO_USER_ID,
)

from conftest import Emulator, service_for
from helpers import GOOD, run_cli


@pytest.fixture
def platform_env(modelarts_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Only what ModelArts itself sets: no MODELARTS_NOTEBOOK_ID, no HUAWEICLOUD_SDK_PROJECT_ID."""
    monkeypatch.delenv("MODELARTS_NOTEBOOK_ID")
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID")
    monkeypatch.setenv("INSTANCE_ID", DEMO_NOTEBOOK_ID)
    monkeypatch.setenv("PROJECT_ID", DEMO_PROJECT_ID)
    return modelarts_env


async def test_instance_and_project_come_from_the_platforms_variables(
    platform_env: Emulator, state_dir: Path
) -> None:
    service = service_for(state_dir)
    try:
        info = await service.readiness()
        assert (info.notebook_id, info.notebook_id_source) == (DEMO_NOTEBOOK_ID, "env:INSTANCE_ID")
        assert (info.project_id, info.project_id_source) == (DEMO_PROJECT_ID, "env:PROJECT_ID")
        assert info.ready
        job = await service.start_save(GOOD)  # and they really reach ModelArts
        assert job.notebook_id == DEMO_NOTEBOOK_ID
    finally:
        await service.close()
    doctor = run_cli(state_dir, "doctor")
    assert f"{DEMO_NOTEBOOK_ID} (from env:INSTANCE_ID)" in doctor.stdout
    assert f"{DEMO_PROJECT_ID} (from env:PROJECT_ID)" in doctor.stdout


async def test_the_hostname_rule(
    platform_env: Emulator, monkeypatch: pytest.MonkeyPatch, state_dir: Path
) -> None:
    monkeypatch.delenv("INSTANCE_ID")
    for hostname, expected in (
        (f"notebook-{DEMO_NOTEBOOK_ID}", (DEMO_NOTEBOOK_ID, "hostname")),
        (f"notebook-{DEMO_NOTEBOOK_ID.upper()}", (DEMO_NOTEBOOK_ID, "hostname")),
        (f"worker-{DEMO_NOTEBOOK_ID}", (None, None)),  # only ModelArts' own naming
        ("notebook-demo", (None, None)),
    ):
        service = service_for(state_dir, hostname=hostname)
        try:
            info = await service.readiness()
            assert (info.notebook_id, info.notebook_id_source) == expected, hostname
        finally:
            await service.close()
    doctor = run_cli(
        state_dir, "doctor", "--json", f"--ModelArtsSnapshot.hostname=notebook-{DEMO_NOTEBOOK_ID}"
    )
    assert json.loads(doctor.stdout)["notebook_id_source"] == "hostname"


def fake_modelarts_sdk(root: Path) -> Path:
    """A ``modelarts`` package like the platform's, in a folder no Python has on its path."""
    package = root / "sdk" / "modelarts"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "session.py").write_text(
        textwrap.dedent(f"""
            class Session:
                # The instance's agency credentials, as modelarts.session.Session() has them.
                def __init__(self):
                    self.access_key = {DEMO_ACCESS_KEY!r}
                    self.secret_key = {DEMO_SECRET_KEY!r}
                    self.security_token = ""
                    self.project_id = {DEMO_PROJECT_ID!r}
                    self.region_name = "cn-north-4"
                    self.user_id = {DEMO_USER_ID!r}
        """)
    )
    return root / "sdk"


async def test_the_sdk_session_is_found_where_the_platform_keeps_it(
    platform_env: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state_dir: Path
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    monkeypatch.delenv("PROJECT_ID")  # the session's project fills the gap
    sdk = fake_modelarts_sdk(tmp_path)
    assert not any(Path(entry, "modelarts").exists() for entry in sys.path if entry)
    before = sorted(path.name for path in sdk.rglob("*"))

    service = service_for(state_dir, modelarts_sdk_paths=["/nonexistent/sdk", str(sdk)])
    try:
        info = await service.readiness()
        assert info.credentials == f"modelarts-sdk:{sdk}"
        assert (info.project_id, info.project_id_source) == (
            DEMO_PROJECT_ID, f"credentials:modelarts-sdk:{sdk}",
        )  # fmt: skip
        assert info.user_id == DEMO_USER_ID
        await service.start_save(GOOD)
    finally:
        await service.close()
    seen: dict[str, Any] = platform_env.http.get("/_emulator/requests").json()["user_ids"]
    for route in ("show_notebook", "create_image"):
        assert seen[route] == {"user_id": DEMO_USER_ID, "signed": True}, route
    assert sorted(path.name for path in sdk.rglob("*")) == before  # nothing written there

    doctor = run_cli(state_dir, "doctor", f"--ModelArtsSnapshot.modelarts_sdk_paths=['{sdk}']")
    assert f"Credentials:       modelarts-sdk:{sdk}" in doctor.stdout
    assert f"User ID:           {DEMO_USER_ID} (sent as X-ModelArts-User-ID)" in doctor.stdout
    assert DEMO_SECRET_KEY not in doctor.stdout + doctor.stderr


def test_no_sdk_anywhere_is_not_an_error(platform_env: Emulator, state_dir: Path) -> None:
    result = run_cli(state_dir, "doctor", "--json", "--ModelArtsSnapshot.modelarts_sdk_paths=[]")
    info = json.loads(result.stdout)
    assert info["credentials"] == "env" and info["user_id"] is None
    assert os.environ.get("HUAWEICLOUD_SDK_AK") == DEMO_ACCESS_KEY
