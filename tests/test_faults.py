"""ModelArts misbehaving: errors, throttling, slowness, refused connections, expired credentials."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyterlab_modelarts_snapshot.client import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    RETRY_AFTER_CAP,
    CredentialsRejected,
    ModelArtsError,
    backoff_delay,
    parse_retry_after,
)
from jupyterlab_modelarts_snapshot.follow import POLL_BACKOFF_CAP, poll_delay
from jupyterlab_modelarts_snapshot.models import Job
from jupyterlab_modelarts_snapshot.service import SaveService

from conftest import Emulator, service_for
from helpers import GOOD, wait_until_async
from tcp_proxy import TcpProxy


async def follow(service: SaveService, job_id: str, timeout: float = 30) -> Job:
    """Run the real poller until the job ends."""
    service.follower.start_poller()

    async def ended() -> Job | None:
        job = await service.job(job_id)
        assert job is not None
        return job if job.finished else None

    return await wait_until_async(ended, timeout, what="the save ended")


@given(
    attempt=st.integers(min_value=1, max_value=50),
    retry_after=st.none() | st.floats(min_value=0, max_value=10_000),
)
def test_backoff_stays_within_bounds(attempt: int, retry_after: float | None) -> None:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
    delay = backoff_delay(attempt, retry_after)
    assert ceiling / 2 <= delay <= max(ceiling, min(retry_after or 0, RETRY_AFTER_CAP))
    if retry_after is not None:
        assert delay >= min(retry_after, RETRY_AFTER_CAP)


@given(
    interval=st.floats(min_value=0.2, max_value=600),
    failures=st.integers(min_value=0, max_value=100),
)
def test_poller_backoff_stays_within_bounds(interval: float, failures: int) -> None:
    delay = poll_delay(interval, failures)
    assert delay >= interval
    assert delay <= max(interval, POLL_BACKOFF_CAP)
    if failures == 0:
        assert delay == interval


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert (parse_retry_after("Fri, 27 Nov 2099 08:00:00 GMT") or 0) > 1000


async def test_5xx_on_status_polls_are_retried_and_the_job_ends_right(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    service = service_for(state_dir, request_timeout=1.5)
    try:
        job = await service.start_save(GOOD)
        modelarts_env.fault(route="show_image", status=503, error_code="ModelArts.6101", count=5)
        done = await follow(service, job.id)
    finally:
        await service.close()
    assert done.status == "ACTIVE"
    assert modelarts_env.count("show_image") >= 6
    assert modelarts_env.count("create_image") == 1


async def test_429_retry_after_is_honoured(modelarts_env: Emulator, state_dir: Path) -> None:
    service = service_for(state_dir, request_timeout=1.5)
    try:
        job = await service.start_save(GOOD)
        modelarts_env.fault(
            route="show_image",
            status=429,
            error_code="APIGW.0308",
            error_msg="Throttled",
            retry_after=2,
        )
        started = time.monotonic()
        image = await service.client.get_image(job.id)
        elapsed = time.monotonic() - started
    finally:
        await service.close()
    assert image["id"] == job.id
    assert 2.0 <= elapsed < 2.0 + BACKOFF_CAP
    assert modelarts_env.count("show_image") == 2


async def test_slow_status_answer_past_the_timeout_is_retried(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    service = service_for(state_dir, request_timeout=1.0)
    try:
        job = await service.start_save(GOOD)
        modelarts_env.fault(route="show_image", delay=3.0, count=1)
        image = await service.client.get_image(job.id)
        done = await follow(service, job.id)
    finally:
        await service.close()
    assert image["id"] == job.id
    assert done.status == "ACTIVE"


async def test_errors_that_persist_are_reported_after_bounded_retries(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    service = service_for(state_dir, request_timeout=1.5)
    try:
        job = await service.start_save(GOOD)
        modelarts_env.fault(route="show_image", status=500, error_code="ModelArts.6102", count=100)
        with pytest.raises(ModelArtsError) as caught:
            await service.client.get_image(job.id)
    finally:
        await service.close()
    assert caught.value.status == 500 and caught.value.error_code == "ModelArts.6102"
    assert modelarts_env.count("show_image") == 4  # MAX_ATTEMPTS, then it says so
    assert (await service.job(job.id)).status == "INIT"  # a failed poll changes nothing


async def test_refused_connections_on_status_polls(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    target = urlparse(modelarts_env.url)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 80).start()
    modelarts_env.configure(creating_seconds=4.0)
    service = service_for(state_dir, endpoint=proxy.url)
    try:
        job = await service.start_save(GOOD)
        await proxy.stop()
        assert not await service.follower.poll_unfinished()  # refused, retried, still unknown
        assert (await service.job(job.id)).status == "INIT"
        await proxy.start()  # same port again
        done = await follow(service, job.id)
    finally:
        await service.close()
        await proxy.stop()
    assert done.status == "ACTIVE"
    assert modelarts_env.count("create_image") == 1


async def test_429_on_create_is_retried_5xx_is_not(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    service = service_for(state_dir, request_timeout=1.5)
    try:
        modelarts_env.fault(
            route="create_image", status=429, error_code="APIGW.0308", retry_after=0
        )
        job = await service.start_save(GOOD)
        assert modelarts_env.count("create_image") == 2
        await follow(service, job.id)
        modelarts_env.fault(route="create_image", status=500, error_code="ModelArts.6102")
        with pytest.raises(ModelArtsError):
            await service.start_save({**GOOD, "tag": "v2"})
        assert modelarts_env.count("create_image") == 3
    finally:
        await service.close()


async def test_expired_token_is_a_credentials_problem_in_words(
    modelarts_env: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modelarts_env.configure(token_ttl=0.5)
    token = modelarts_env.iam_token()
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.setenv("MODELARTS_AUTH_TOKEN", token)
    await asyncio.sleep(0.7)
    service = service_for(state_dir, request_timeout=1.5)
    try:
        with pytest.raises(CredentialsRejected) as caught:
            await service.start_save(GOOD)
    finally:
        await service.close()
    assert "did not accept the credentials from env:MODELARTS_AUTH_TOKEN" in caught.value.message
    assert "token expires" in (caught.value.error_msg or "")
    assert modelarts_env.count("show_notebook") == 2  # looked up again once, then reported
    assert token not in json.dumps(caught.value.__dict__)
