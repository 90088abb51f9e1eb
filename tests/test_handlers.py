"""The local REST API, exercised over HTTP against a real emulator process."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
)
from jupyterlab_modelarts_snapshot.models import Job
from jupyterlab_modelarts_snapshot.store import JobStore

from conftest import POLL_INTERVAL, Emulator
from helpers import GOOD, call, wait_for_status


async def test_instance_reports_sources(jp_fetch: Any, modelarts_env: Emulator) -> None:
    code, info = await call(jp_fetch, "GET", "readiness")
    assert code == 200
    assert info == {
        "notebook_id": DEMO_NOTEBOOK_ID,
        "notebook_id_source": "env:MODELARTS_NOTEBOOK_ID",
        "project_id": DEMO_PROJECT_ID,
        "project_id_source": "env:HUAWEICLOUD_SDK_PROJECT_ID",
        "region": None,
        "endpoint": modelarts_env.url,
        "credentials": "env",
        "user_id": None,
        "ready": True,
        "problems": [],
    }


async def test_save_reaches_active_with_swr_path(jp_fetch: Any, modelarts_env: Emulator) -> None:
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    assert job["status"] in ("INIT", "CREATING")
    assert job["notebook_id"] == DEMO_NOTEBOOK_ID
    assert (job["name"], job["namespace"], job["tag"]) == (
        "pytorch-env",
        "atelier-auto",
        "20261127",
    )
    assert job["finished_at"] is None
    done = await wait_for_status(jp_fetch, job["id"], {"ACTIVE"})
    assert done["swr_path"] == "swr.cn-north-4.myhuaweicloud.com/atelier-auto/pytorch-env:20261127"
    assert done["size_kb"] == 3_481_600
    assert done["finished_at"] and done["finished_at"].endswith("Z")
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert code == 200 and [item["id"] for item in listing["jobs"]] == [job["id"]]
    assert modelarts_env.count("create_image") == 1


async def test_many_clients_cost_one_upstream_poll_per_interval(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(creating_seconds=3.0)
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    started = time.monotonic()
    polls_by_clients = 0
    while True:
        answers = await asyncio.gather(
            *(call(jp_fetch, "GET", "jobs", job["id"]) for _ in range(20))
        )
        polls_by_clients += len(answers)
        # Until the save ends and the clients have asked 500 times, however fast this machine
        # answers: once ACTIVE, clients ask on and ModelArts is not asked again.
        if answers[0][1]["status"] == "ACTIVE" and polls_by_clients > 500:
            break
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    upstream = modelarts_env.count("show_image")
    assert polls_by_clients > 500
    # One upstream poll per interval, whatever the number of clients (plus one tick of slack).
    assert upstream <= elapsed / POLL_INTERVAL + 1, (upstream, elapsed)
    assert upstream >= 3


async def test_invalid_input_is_400_and_sends_nothing(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    for body, field in [
        ({**GOOD, "name": "Bad Name"}, "name"),
        ({**GOOD, "namespace": "9lives"}, "namespace"),
        ({**GOOD, "tag": "v1,v2"}, "tag"),
        ({**GOOD, "description": "x" * 513}, "description"),
        ({"namespace": "team"}, "name"),
        ({**GOOD, "endpoint": "http://elsewhere"}, "endpoint"),
        ([], "body"),
    ]:
        code, answer = await call(jp_fetch, "POST", "jobs", body=body)
        assert code == 400, body
        assert answer["field"] == field
        assert answer["message"]
    code, answer = await call(jp_fetch, "POST", "jobs", raw=b"{not json")
    assert code == 400 and answer["field"] == "body"
    assert modelarts_env.count("create_image") == 0


async def test_second_save_while_unfinished_is_409(jp_fetch: Any, modelarts_env: Emulator) -> None:
    code, first = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    code, answer = await call(jp_fetch, "POST", "jobs", body={**GOOD, "tag": "other"})
    assert code == 409
    assert answer["job"]["id"] == first["id"]
    assert "not finished" in answer["message"]
    assert modelarts_env.count("create_image") == 1
    await wait_for_status(jp_fetch, first["id"], {"ACTIVE"})
    code, _second = await call(jp_fetch, "POST", "jobs", body={**GOOD, "tag": "other"})
    assert code == 201


async def test_not_ready_is_412_and_sends_nothing(
    jp_fetch: Any, modelarts_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    code, info = await call(jp_fetch, "GET", "readiness")
    assert code == 200 and info["ready"] is False and info["credentials"] is None
    assert any("HUAWEICLOUD_SDK_AK" in problem for problem in info["problems"])
    # On ModelArts the advice is the agency credentials, never a key file the image would carry.
    advice = next(problem for problem in info["problems"] if "No ModelArts credentials" in problem)
    assert "agency credentials" in advice and "every saved image would carry it" in advice
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 412
    assert answer["problems"] == info["problems"]
    assert modelarts_env.counts() == {}


@pytest.fixture
def notebook_id_not_a_uuid(modelarts_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELARTS_NOTEBOOK_ID", "not-a-uuid")


async def test_unknown_notebook_id_is_not_ready(
    notebook_id_not_a_uuid: None, jp_fetch: Any, modelarts_env: Emulator
) -> None:
    code, info = await call(jp_fetch, "GET", "readiness")
    assert info["notebook_id"] is None and info["notebook_id_source"] is None and not info["ready"]
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 412
    assert any("MODELARTS_NOTEBOOK_ID" in problem for problem in answer["problems"])


async def test_duplicate_tag_is_refused_by_default_as_502(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    await wait_for_status(jp_fetch, job["id"], {"ACTIVE"})
    # The tag check cannot list the existing tags, so ModelArts itself refuses the duplicate.
    modelarts_env.fault(route="list_image", status=400, error_code="ModelArts.6101")
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 502
    assert answer["upstream_status"] == 400
    assert answer["error_code"] == "ModelArts.6737"
    assert answer["error_msg"] and answer["error_msg"] in answer["message"]
    assert len(answer["request_id"]) == 32  # ModelArts' X-Request-Id, for Huawei support


@pytest.mark.parametrize(
    ("status", "check"), [("STOPPED", "instance"), ("STARTING", "instance"), ("SNAPSHOTTING", None)]
)
async def test_instance_not_running_is_refused_before_create(
    jp_fetch: Any, modelarts_env: Emulator, status: str, check: str | None
) -> None:
    modelarts_env.configure(notebook_status=status)
    answer_code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert answer_code == 409
    assert answer.get("check") == check
    assert status in answer["message"] or "already saving" in answer["message"]
    assert modelarts_env.count("show_notebook") == 1
    assert modelarts_env.count("create_image") == 0


async def test_upstream_5xx_is_502(jp_fetch: Any, modelarts_env: Emulator) -> None:
    modelarts_env.fault(
        route="create_image", status=500, error_code="ModelArts.6102", error_msg="Internal error."
    )
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert (code, answer["upstream_status"], answer["error_code"]) == (502, 500, "ModelArts.6102")


async def test_no_answer_is_504_and_nothing_was_saved(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.fault(route="create_image", status=503, delay=3.0)
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 504
    assert "nothing was saved" in answer["message"]
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert listing["jobs"] == []


async def test_lost_answer_is_reconciled_not_repeated(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    # ModelArts creates the image but its answer comes after our timeout.
    modelarts_env.fault(route="create_image", delay=2.5, after=True)
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    assert modelarts_env.count("create_image") == 1
    assert modelarts_env.count("list_image") == 2  # the tag check, then one look for the image
    assert [image["id"] for image in modelarts_env.images()] == [job["id"]]


async def test_failed_save_records_reason(jp_fetch: Any, modelarts_env: Emulator) -> None:
    modelarts_env.configure(fail_next_save="container size 62G is greater than threshold 50G")
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    done = await wait_for_status(jp_fetch, job["id"], {"CREATE_FAILED", "ERROR", "ACTIVE"})
    assert done["status"] == "CREATE_FAILED"
    assert done["status_message"] == "container size 62G is greater than threshold 50G"
    assert done["finished_at"]


async def test_unknown_image_is_404(jp_fetch: Any, modelarts_env: Emulator) -> None:
    for image_id in ("6b0f3c5e-1d2a-4c8b-9e7f-000000000000", "..", "not-an-id", "%2e%2e%2fetc"):
        code, answer = await call(jp_fetch, "GET", "jobs", image_id)
        assert code == 404, image_id
        assert "GET modelarts-snapshot/jobs" in answer["message"]
    assert modelarts_env.count("show_image") == 0


async def test_large_body_is_413(jp_fetch: Any, modelarts_env: Emulator) -> None:
    code, answer = await call(
        jp_fetch, "POST", "jobs", raw=json.dumps({**GOOD, "description": "x" * 70_000}).encode()
    )
    assert code == 413 and answer["message"]
    assert modelarts_env.count("create_image") == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "readiness"),
        ("GET", "jobs"),
        ("POST", "jobs"),
        ("GET", "jobs/6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f"),
    ],
)
async def test_every_route_requires_jupyter_auth(
    jp_fetch: Any, modelarts_env: Emulator, method: str, path: str
) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "modelarts-snapshot",
            path,
            method=method,
            body=json.dumps(GOOD) if method == "POST" else None,
            headers={"Authorization": ""},
        )
    assert caught.value.code in (401, 403)
    assert modelarts_env.counts() == {}


async def test_jobs_survive_a_server_restart(
    jp_fetch: Any, jp_serverapp: Any, modelarts_env: Emulator, state_dir: Any
) -> None:
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    record = json.loads((state_dir / "jobs" / f"{job['id']}.json").read_text())
    assert record["id"] == job["id"] and record["status"] in ("INIT", "CREATING")
    text = json.dumps(record)
    assert DEMO_ACCESS_KEY not in text and DEMO_SECRET_KEY not in text


def _record(index: int) -> Job:
    when = f"2026-11-{index + 1:02d}T08:00:00Z"
    return Job(
        id=f"{index:08x}-0000-4000-8000-000000000000", name=f"env-{index}",
        namespace="team", tag="v1", description="", status="ACTIVE", status_message="",
        swr_path=None, size_kb=None, created_at=when, updated_at=when, finished_at=when,
        notebook_id=DEMO_NOTEBOOK_ID,
    )  # fmt: skip


async def test_images_are_paged_newest_first_and_writes_elsewhere_are_seen(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path
) -> None:
    other_process = JobStore(str(state_dir))  # as the CLI or the magic writes records
    for index in range(5):
        other_process.save(_record(index))
    code, page = await call(jp_fetch, "GET", "jobs", params={"limit": "2", "offset": "1"})
    assert code == 200
    assert [job["name"] for job in page["jobs"]] == ["env-3", "env-2"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)

    other_process.save(_record(5))  # written after the server loaded its index
    code, page = await call(jp_fetch, "GET", "jobs", params={"limit": "2"})
    assert [job["name"] for job in page["jobs"]] == ["env-5", "env-4"] and page["total"] == 6
    code, job = await call(jp_fetch, "GET", "jobs", _record(5).id)
    assert code == 200 and job["name"] == "env-5"

    for name, value in (("limit", "0"), ("limit", "501"), ("limit", "abc"), ("limit", "²"),
                        ("offset", "-1")):  # fmt: skip
        code, answer = await call(jp_fetch, "GET", "jobs", params={name: value})
        assert code == 400, (name, value)
        assert answer["field"] in ("limit", "offset") and "whole number" in answer["message"]
