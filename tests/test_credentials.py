"""The credential chain against the real emulator: order, refresh, tokens, and no leaks."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyterlab_modelarts_snapshot.client import CredentialsRejected
from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_SECRET_KEY,
)
from jupyterlab_modelarts_snapshot.signing import SdkHmacSha256Auth

from conftest import Emulator, service_for

FAKE_SDK = """
class Session:
    access_key = "{ak}"
    secret_key = "{sk}"
    security_token = ""
    project_id = "{project}"
    region_name = "cn-north-4"
"""


@pytest.fixture
def profile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "credentials"
    path.write_text(
        f"[basic]\nak = {DEMO_ACCESS_KEY}\nsk = {DEMO_SECRET_KEY}\nproject_id = 0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
    )
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(path))
    return path


def forget_modelarts_sdk() -> None:
    for module in ("modelarts.session", "modelarts"):
        sys.modules.pop(module, None)


@pytest.fixture
def modelarts_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A stand-in for the SDK preinstalled on ModelArts, importable only during the test."""
    package = tmp_path / "sdk" / "modelarts"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "session.py").write_text(
        FAKE_SDK.format(
            ak=DEMO_ACCESS_KEY, sk=DEMO_SECRET_KEY, project="0f1e2d3c4b5a69788796a5b4c3d2e1f0"
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path / "sdk"))
    yield
    forget_modelarts_sdk()


async def source_of(state_dir: Path, **traits: Any) -> Any:
    service = service_for(state_dir, **traits)
    try:
        info = await service.readiness()
        # Whatever the source, the credentials must really work against ModelArts.
        if info.ready:
            notebook = await service.client.get_notebook(DEMO_NOTEBOOK_ID)
            assert notebook["status"] == "RUNNING"
        return info.credentials
    finally:
        await service.close()


async def test_chain_order(
    modelarts_env: Emulator,
    state_dir: Path,
    profile_file: Path,
    modelarts_sdk: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELARTS_METADATA_URL", modelarts_env.url)
    monkeypatch.setenv("MODELARTS_AUTH_TOKEN", modelarts_env.iam_token())
    assert (
        await source_of(state_dir, access_key=DEMO_ACCESS_KEY, secret_key=DEMO_SECRET_KEY)
        == "config"
    )
    assert await source_of(state_dir) == "env"
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    assert await source_of(state_dir) == f"profile:{profile_file}"
    profile_file.unlink()
    assert await source_of(state_dir) == "modelarts-sdk"
    # Outside ModelArts the SDK does not import: the metadata service is next.
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if not entry.endswith("/sdk")])
    forget_modelarts_sdk()
    assert await source_of(state_dir) == "metadata"
    monkeypatch.setenv("MODELARTS_METADATA_URL", "off")
    assert await source_of(state_dir) == "env:MODELARTS_AUTH_TOKEN"


async def test_profile_supplies_project_id(
    modelarts_env: Emulator, state_dir: Path, profile_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID")
    service = service_for(state_dir)
    try:
        info = await service.readiness()
        assert info.ready and info.project_id == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    finally:
        await service.close()


async def test_temporary_credentials_are_refreshed_before_expiry(
    modelarts_env: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    monkeypatch.setenv("MODELARTS_METADATA_URL", modelarts_env.url)
    modelarts_env.configure(temp_credentials_ttl=1.5)
    service = service_for(state_dir)
    try:
        first = await service.credentials.get()
        assert first is not None and first.source == "metadata" and first.expires_at
        await service.client.get_notebook(DEMO_NOTEBOOK_ID)
        await asyncio.sleep(1.6)  # the first keys have expired at the emulator by now
        await service.client.get_notebook(DEMO_NOTEBOOK_ID)
        second = await service.credentials.get()
        assert second is not None and second.access_key != first.access_key
        assert modelarts_env.count("metadata_securitykey") == 2
        assert modelarts_env.count("show_notebook") == 2  # no 401 on the way
    finally:
        await service.close()


async def test_iam_token_from_environment(
    modelarts_env: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.setenv("MODELARTS_AUTH_TOKEN", modelarts_env.iam_token())
    service = service_for(state_dir)
    try:
        job = await service.start_save({"name": "token-env", "namespace": "team"})
        assert job.status == "INIT"
    finally:
        await service.close()


async def test_second_401_is_a_credentials_problem_and_leaks_nothing(
    modelarts_env: Emulator,
    state_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "wrong-secret-value-123")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "security-token-value-456")
    service = service_for(state_dir)
    try:
        with pytest.raises(CredentialsRejected) as caught:
            await service.start_save({"name": "env", "namespace": "team"})
    finally:
        await service.close()
    error = caught.value
    assert error.status == 401 and error.error_code == "APIGW.0301"
    assert "did not accept the credentials from env" in error.message
    assert modelarts_env.count("show_notebook") == 2
    assert modelarts_env.count("create_image") == 0
    everything = " ".join(
        [str(error), error.message, repr(error), caplog.text, repr(await service.credentials.get())]
    )
    for secret in ("wrong-secret-value-123", "security-token-value-456"):
        assert secret not in everything
    assert not list(state_dir.glob("jobs/*.json"))


async def test_emulator_rejects_bad_signatures_and_tokens(modelarts_env: Emulator) -> None:
    url = f"{modelarts_env.url}/v1/0f1e2d3c4b5a69788796a5b4c3d2e1f0/notebooks/{DEMO_NOTEBOOK_ID}"
    cases = {
        "wrong secret": {"auth": SdkHmacSha256Auth(DEMO_ACCESS_KEY, "nope")},
        "stale date": {
            "auth": SdkHmacSha256Auth(
                DEMO_ACCESS_KEY,
                DEMO_SECRET_KEY,
                now=datetime.now(timezone.utc) - timedelta(minutes=20),
            )
        },
        "unknown token": {"headers": {"X-Auth-Token": "MIIunknown"}},
        "nothing": {},
    }
    async with httpx.AsyncClient() as http:
        ok = await http.get(url, auth=SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY))
        assert ok.status_code == 200
        for name, kwargs in cases.items():
            response = await http.get(url, **kwargs)
            assert response.status_code == 401, name
            assert response.json()["error_code"] == "APIGW.0301", name
            assert "Incorrect IAM authentication information" in response.json()["error_msg"]


async def test_temporary_keys_refused_early_are_looked_up_again_once(
    modelarts_env: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    monkeypatch.setenv("MODELARTS_METADATA_URL", modelarts_env.url)
    service = service_for(state_dir)
    try:
        await service.client.get_notebook(DEMO_NOTEBOOK_ID)
        modelarts_env.configure(revoke_credentials=True)  # ModelArts no longer takes them
        notebook = await service.client.get_notebook(DEMO_NOTEBOOK_ID)
    finally:
        await service.close()
    assert notebook["id"] == DEMO_NOTEBOOK_ID
    assert modelarts_env.count("metadata_securitykey") == 2
    assert modelarts_env.count("show_notebook") == 3  # ok, 401, ok after the refresh
