"""The places where real ModelArts differs from a naive reading of its docs, through the REST API:
a create answer lost to a timeout, an image deleted while it is saved, a status check that keeps
failing, and the request IDs Huawei support asks for."""

from __future__ import annotations

import time
from typing import Any

from conftest import REQUEST_TIMEOUT, Emulator
from helpers import GOOD, call, wait_for_status, wait_until_async


async def test_a_lost_create_answer_is_found_and_followed(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    # Someone else's recent image: same namespace and tag, a name that contains ours, and
    # newer than ours, so a fuzzy or name-blind look-up would take it first.
    decoy = modelarts_env.seed_image(
        name=f"{GOOD['name']}-other",
        namespace=GOOD["namespace"],
        tag=GOOD["tag"],
        status="CREATING",
        create_at=int((time.time() + 60) * 1000),
    )
    # ModelArts makes the image but answers only after the client has given up.
    modelarts_env.fault(route="create_image", after=True, delay=REQUEST_TIMEOUT + 2)

    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)

    assert code == 201, job
    assert job["id"] != decoy["id"]
    saved = [image for image in modelarts_env.images() if image["name"] == GOOD["name"]]
    assert [image["id"] for image in saved] == [job["id"]]
    assert modelarts_env.count("create_image") == 1  # looked for, never sent again
    finished = await wait_for_status(jp_fetch, job["id"], {"ACTIVE", "CREATE_FAILED", "ERROR"})
    assert finished["status"] == "ACTIVE"
    assert finished["swr_path"].endswith(f"/{GOOD['name']}:{GOOD['tag']}")


async def test_an_image_deleted_while_creating_ends_its_job(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(creating_seconds=3600)
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    await wait_for_status(jp_fetch, job["id"], {"CREATING"})
    polls_before = modelarts_env.count("show_image")

    modelarts_env.delete_image(job["id"])  # as in the console

    ended = await wait_for_status(jp_fetch, job["id"], {"DELETED"}, timeout=10)
    assert modelarts_env.count("show_image") - polls_before <= 3  # within a few polls
    assert "no longer has this image" in ended["status_message"]
    assert ended["finished_at"]
    code, listing = await call(jp_fetch, "GET", "jobs")
    assert [image["status"] for image in listing["jobs"]] == ["DELETED"]

    modelarts_env.configure(creating_seconds=1)
    code, again = await call(jp_fetch, "POST", "jobs", body=dict(GOOD, tag="after-delete"))
    assert code == 201, again


async def test_a_job_that_cannot_be_checked_keeps_its_status_and_says_why(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(creating_seconds=3600)
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201
    creating = await wait_for_status(jp_fetch, job["id"], {"CREATING"})
    # ModelArts refuses the status checks for a while (no permission, say).
    modelarts_env.fault(
        route="show_image", count=1000, status=403, error_code="ModelArts.6407",
        error_msg="No permission.",
    )  # fmt: skip

    async def with_error() -> dict[str, Any] | None:
        _, stuck = await call(jp_fetch, "GET", "jobs", job["id"])
        return stuck if stuck["last_error"] else None

    stuck = await wait_until_async(with_error, 10, what="a failed status check is recorded")
    assert stuck["status"] == "CREATING"
    assert "ModelArts.6407" in stuck["last_error"]["message"]
    assert len(stuck["last_error"]["request_id"]) == 32
    assert stuck["last_error"]["at"] >= creating["updated_at"]
    assert (
        stuck["updated_at"] == creating["updated_at"]
        or stuck["updated_at"] <= (stuck["last_error"]["at"])
    )

    modelarts_env.http.delete("/_emulator/faults").raise_for_status()

    async def recovered() -> dict[str, Any] | None:
        _, job_now = await call(jp_fetch, "GET", "jobs", job["id"])
        return None if job_now["last_error"] else job_now

    assert (await wait_until_async(recovered, 10, what="last_error cleared"))["last_error"] is None


async def test_failed_calls_carry_the_request_id(jp_fetch: Any, modelarts_env: Emulator) -> None:
    modelarts_env.fault(route="create_image", status=503, error_code="ModelArts.6102")
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 502
    assert answer["error_code"] == "ModelArts.6102"
    assert len(answer["request_id"]) == 32

    # No answer in time, and no image made: nothing to follow, and no ID to give.
    modelarts_env.fault(route="create_image", delay=REQUEST_TIMEOUT + 1, status=503)
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 504
    assert "nothing was saved" in answer["message"]
    assert answer["request_id"] is None
