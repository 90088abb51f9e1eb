"""The library of saved images through the REST API and the CLI, against the emulator seeded
with 30 saved images of 3 names, 2 of them saved by this instance: grouping and marks, the
cache, delete with and without the SWR content, prune, and the refusals that send nothing."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import (
    GOOD,
    as_json,
    call,
    run_cli,
    run_cli_command,
    wait_for_status,
    wait_until_async,
)

NAMESPACE = GOOD["namespace"]
NAMES = ("env-a", "env-b", GOOD["name"])
DAY_MS = 86_400_000


def seeded_images(emulator: Emulator) -> dict[str, dict[str, Any]]:
    """28 images made elsewhere, one a day: 10 of env-a, 10 of env-b, 8 of the name this
    instance saves as (its 2 saves make 10). The oldest env-a is the image the container runs."""
    now_ms = int(time.time() * 1000)
    images = []
    for index in range(28):
        name = NAMES[index % 3] if index < 24 else NAMES[index % 2]
        images.append(
            {"name": name, "namespace": NAMESPACE, "tag": f"d{index:02d}",
             "create_at": now_ms - (40 - index) * DAY_MS, "status": "ACTIVE"}
        )  # fmt: skip
    response = emulator.http.post("/_emulator/images", json=images)
    response.raise_for_status()
    return {f"{image['name']}:{image['tag']}": image for image in response.json()}


@pytest.fixture
def library(
    modelarts_env: Emulator, jp_server_config: dict[str, Any], state_dir: Path
) -> dict[str, dict[str, Any]]:
    seeded = seeded_images(modelarts_env)
    # The container started from env-a:d00, a save of an earlier container: its lineage says so.
    manifests = Path(jp_server_config["ModelArtsSnapshot"]["manifest_dir"])
    manifests.mkdir(parents=True, exist_ok=True)
    running = seeded["env-a:d00"]
    (manifests / "lineage.json").write_text(
        json.dumps([{"image_id": running["id"], "label": "env-a:d00", "created_at": "x"}])
    )
    return seeded


async def save(jp_fetch: Any, tag: str) -> dict[str, Any]:
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "tag": tag})
    assert code == 201, job
    return await wait_for_status(jp_fetch, job["id"], "ACTIVE")


def routes(emulator: Emulator) -> list[str]:
    log = emulator.http.get("/_emulator/requests").json()["log"]
    return [entry["route"] for entry in log]


def clear_log(emulator: Emulator) -> None:
    emulator.http.delete("/_emulator/requests").raise_for_status()


def by_label(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{image['name']}:{image['tag']}": image
        for group in page["groups"]
        for image in group["images"]
    }


async def test_the_library_groups_and_marks_every_saved_image(
    library: dict[str, dict[str, Any]], jp_fetch: Any, modelarts_env: Emulator
) -> None:
    creating = modelarts_env.seed_image(
        name="env-b", namespace=NAMESPACE, tag="busy", status="CREATING"
    )
    first = await save(jp_fetch, "mine-1")
    second = await save(jp_fetch, "mine-2")

    # ShowNotebook confirmed the re-point: the record of the last save says it starts next.
    async def confirmed() -> dict[str, Any] | None:
        _code, job = await call(jp_fetch, "GET", "jobs", second["id"])
        return job if job["starts_next"] else None

    await wait_until_async(confirmed, 10, 0.1, "the next start confirmed")
    code, again = await call(jp_fetch, "GET", "jobs", first["id"])
    assert again["starts_next"] is False
    clear_log(modelarts_env)
    code, page = await call(jp_fetch, "GET", "library", params={"per_group": "50"})
    assert code == 200, page
    assert page["namespaces"] == [NAMESPACE]  # the organization this instance saved to
    assert page["total_images"] == 31 and page["total_groups"] == 3
    # Grouped by name, the group with the newest image first, each newest first.
    assert [group["name"] for group in page["groups"]] == [GOOD["name"], "env-b", "env-a"]
    for group in page["groups"]:
        created = [image["created_at"] for image in group["images"]]
        assert created == sorted(created, reverse=True)
        assert {image["name"] for image in group["images"]} == {group["name"]}
    images = by_label(page)
    mine = {label for label, image in images.items() if image["from_this_instance"]}
    assert mine == {f"{GOOD['name']}:mine-1", f"{GOOD['name']}:mine-2", "env-a:d00"}
    assert [label for label, i in images.items() if i["runs_now"]] == ["env-a:d00"]
    assert [label for label, i in images.items() if i["starts_next"]] == [f"{GOOD['name']}:mine-2"]
    assert images["env-b:busy"]["status"] == "CREATING"
    assert images["env-a:d00"]["size_kb"] and images["env-a:d00"]["swr_path"]
    # One series of list calls: one ListImage page (under 200 images) and one ShowNotebook.
    assert routes(modelarts_env) == ["list_image", "show_notebook"]
    # Opening the panel again within the cache's lifetime sends nothing.
    code, cached = await call(jp_fetch, "GET", "library", params={"limit": "2", "offset": "1"})
    assert [group["name"] for group in cached["groups"]] == ["env-b", "env-a"]
    assert cached["fetched_at"] == page["fetched_at"]
    assert routes(modelarts_env) == ["list_image", "show_notebook"]
    # Each name's newest images only, with how many it has.
    code, short = await call(jp_fetch, "GET", "library", params={"per_group": "2"})
    assert [len(group["images"]) for group in short["groups"]] == [2, 2, 2]
    assert [group["total"] for group in short["groups"]] == [10, 11, 10]
    assert short["groups"][0]["images"][0]["tag"] == "mine-2"
    code, fresh = await call(jp_fetch, "GET", "library", params={"refresh": "true"})
    assert routes(modelarts_env).count("list_image") == 2
    assert creating["id"] in json.dumps(fresh)


async def test_refusals_send_nothing(
    library: dict[str, dict[str, Any]], jp_fetch: Any, modelarts_env: Emulator
) -> None:
    saved = await save(jp_fetch, "mine-1")
    creating = modelarts_env.seed_image(
        name="env-b", namespace=NAMESPACE, tag="busy", status="CREATING"
    )
    other = modelarts_env.seed_image(name="env-c", namespace="other-org", tag="v1")
    code, _page = await call(jp_fetch, "GET", "library", params={"namespace": "other-org"})
    clear_log(modelarts_env)
    cases = [
        (library["env-a:d00"]["id"], NAMESPACE, "runs-now"),
        (saved["id"], NAMESPACE, "starts-next"),
        (creating["id"], NAMESPACE, "creating"),
        (other["id"], NAMESPACE, "other-organization"),
    ]
    for image_id, namespace, reason in cases:
        for with_swr in (False, True):
            code, answer = await call(
                jp_fetch, "POST", "library", "delete",
                body={"id": image_id, "namespace": namespace, "with_swr_content": with_swr},
            )  # fmt: skip
            assert (code, answer["reason"], answer["id"]) == (409, reason, image_id), answer
            assert answer["message"]
    assert not [r for r in routes(modelarts_env) if r in ("delete_image", "swr_delete_tag")]
    # Bad input: a 400 naming the field, nothing sent.
    for body, field in (
        ({"id": "not-an-id", "namespace": NAMESPACE}, "id"),
        ({"id": saved["id"]}, "namespace"),
        (
            {"id": saved["id"], "namespace": NAMESPACE, "with_swr_content": "yes"},
            "with_swr_content",
        ),
        ({"id": saved["id"], "namespace": NAMESPACE, "force": True}, "force"),
        ([], "body"),
    ):
        code, answer = await call(jp_fetch, "POST", "library", "delete", body=body)
        assert (code, answer["field"]) == (400, field), answer
    code, answer = await call(jp_fetch, "GET", "library", params={"refresh": "maybe"})
    assert (code, answer["field"]) == (400, "refresh")
    code, answer = await call(
        jp_fetch, "POST", "library", "delete",
        body={"id": "0" * 8 + "-0000-0000-0000-" + "0" * 12, "namespace": NAMESPACE},
    )  # fmt: skip
    assert code == 404 and "lists them" in answer["message"]
    assert "delete_image" not in routes(modelarts_env)


async def test_a_delete_without_swr_content_keeps_the_tag(
    library: dict[str, dict[str, Any]], jp_fetch: Any, modelarts_env: Emulator
) -> None:
    target = library["env-b:d01"]
    await call(jp_fetch, "GET", "library", params={"namespace": NAMESPACE})  # listed first
    clear_log(modelarts_env)
    code, deleted = await call(
        jp_fetch, "POST", "library", "delete", body={"id": target["id"], "namespace": NAMESPACE}
    )
    assert code == 200, deleted
    assert (deleted["swr_content"], deleted["force"]) == ("kept", None)
    log = modelarts_env.http.get("/_emulator/requests").json()["log"]
    deletes = [entry for entry in log if entry["route"] == "delete_image"]
    assert [(d["image_id"], d["force"]) for d in deletes] == [(target["id"], None)]
    assert not [entry for entry in log if entry["route"].startswith("swr_")]
    assert swr_tags(modelarts_env, "env-b").count("d01") == 1  # its storage stays
    code, page = await call(jp_fetch, "GET", "library", params={"namespace": NAMESPACE})
    assert "env-b:d01" not in by_label(page)
    assert routes(modelarts_env).count("list_image") == 0  # the cache knew


def swr_tags(emulator: Emulator, repository: str) -> list[str]:
    from jupyterlab_modelarts_snapshot.emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY
    from jupyterlab_modelarts_snapshot.signing import SdkHmacSha256Auth

    auth = SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
    response = emulator.http.get(
        f"/v2/manage/namespaces/{NAMESPACE}/repos/{repository.replace('/', '$')}/tags", auth=auth
    )
    response.raise_for_status()
    return [tag["Tag"] for tag in response.json()]


@pytest.fixture(params=["query", "body"])
def force_form(request: pytest.FixtureRequest, jp_server_config: dict[str, Any]) -> str:
    """The delete_force_form the server starts with."""
    jp_server_config["ModelArtsSnapshot"]["delete_force_form"] = request.param
    form: str = request.param
    return form


async def test_a_delete_with_swr_content_sends_the_force_form_and_the_tag_goes(
    force_form: str,
    library: dict[str, dict[str, Any]],
    jp_fetch: Any,
    modelarts_env: Emulator,
) -> None:
    form = force_form
    target = library["env-a:d03"]
    clear_log(modelarts_env)
    body = {"id": target["id"], "namespace": NAMESPACE, "with_swr_content": True}
    # A ModelArts that ignores this force form: the tag is then deleted through SWR.
    honoured = ["body"] if form == "query" else ["query"]
    modelarts_env.configure(delete_force_forms=honoured)
    code, deleted = await call(jp_fetch, "POST", "library", "delete", body=body)
    assert code == 200, deleted
    assert (deleted["force"], deleted["swr_content"]) == (form, "deleted")
    log = modelarts_env.http.get("/_emulator/requests").json()["log"]
    assert [(e["image_id"], e["force"]) for e in log if e["route"] == "delete_image"] == [
        (target["id"], form)
    ]
    assert [e["tag"] for e in log if e["route"] == "swr_delete_tag"] == ["d03"]
    assert "d03" not in swr_tags(modelarts_env, "env-a")
    # Where the force flag works, the tag went with the registration: SWR answers 404.
    modelarts_env.configure(delete_force_forms=["query", "body"])
    clear_log(modelarts_env)
    body["id"] = library["env-a:d06"]["id"]
    code, deleted = await call(jp_fetch, "POST", "library", "delete", body=body)
    assert (code, deleted["swr_content"]) == (200, "deleted-with-registration")
    assert routes(modelarts_env).count("swr_delete_tag") == 1
    assert "d06" not in swr_tags(modelarts_env, "env-a")


async def test_what_starts_next_stays_protected_when_shownotebook_fails(
    library: dict[str, dict[str, Any]], jp_fetch: Any, modelarts_env: Emulator
) -> None:
    saved = await save(jp_fetch, "mine-1")

    async def confirmed() -> dict[str, Any] | None:
        _code, job = await call(jp_fetch, "GET", "jobs", saved["id"])
        return job if job["starts_next"] else None

    await wait_until_async(confirmed, 10, 0.1, "the next start confirmed")
    modelarts_env.fault(route="show_notebook", count=10, status=403, error_code="ModelArts.0002")
    code, page = await call(jp_fetch, "GET", "library", params={"refresh": "true"})
    assert code == 200, page
    # ShowNotebook did not answer: the records' confirmation still marks it.
    assert by_label(page)[f"{GOOD['name']}:mine-1"]["starts_next"] is True
    code, answer = await call(
        jp_fetch, "POST", "library", "delete", body={"id": saved["id"], "namespace": NAMESPACE}
    )
    assert (code, answer["reason"]) == (409, "starts-next"), answer
    # Another image: what starts next must be read before deleting; unread, nothing goes.
    other = library["env-b:d01"]
    code, answer = await call(
        jp_fetch, "POST", "library", "delete", body={"id": other["id"], "namespace": NAMESPACE}
    )
    assert code == 502, answer
    assert "delete_image" not in routes(modelarts_env)
    _code, job = await call(jp_fetch, "GET", "jobs", saved["id"])
    assert job["starts_next"] is True


async def test_a_refusal_after_the_registration_went_is_reported_not_hidden(
    library: dict[str, dict[str, Any]], jp_fetch: Any, modelarts_env: Emulator
) -> None:
    target = library["env-a:d09"]
    modelarts_env.configure(delete_force_forms=[])  # the force flag takes nothing
    modelarts_env.fault(
        route="swr_delete_tag", count=1, status=403, error_code="SVCSTG.SWR.4030001"
    )
    code, deleted = await call(
        jp_fetch, "POST", "library", "delete",
        body={"id": target["id"], "namespace": NAMESPACE, "with_swr_content": True},
    )  # fmt: skip
    assert code == 200, deleted
    assert deleted["swr_content"] == "failed"
    assert (
        "registration is deleted" in deleted["swr_error"]
        and "Delete it in SWR" in deleted["swr_error"]
    )
    code, page = await call(jp_fetch, "GET", "library", params={"namespace": NAMESPACE})
    assert "env-a:d09" not in by_label(page)  # the list knows the registration went
    # Prune: one image that cannot be deleted is reported; the others still go.
    code, plan = await call(
        jp_fetch,
        "POST",
        "library",
        "prune",
        body={"name": "env-a", "namespace": NAMESPACE, "keep": 6},
    )
    ids = [image["id"] for image in plan["delete"]]
    assert len(ids) == 2, plan  # 9 left, d00 runs now
    modelarts_env.fault(route="delete_image", count=1, status=400, error_code="ModelArts.6402")
    code, done = await call(
        jp_fetch, "POST", "library", "prune",
        body={"name": "env-a", "namespace": NAMESPACE, "keep": 6, "dry_run": False, "ids": ids},
    )  # fmt: skip
    assert code == 200, done
    assert len(done["deleted"]) == 1 and len(done["failed"]) == 1
    assert done["failed"][0]["reason"] == "failed" and done["failed"][0]["message"]


async def test_prune_keeps_the_newest_after_a_dry_run_that_lists_the_same(
    library: dict[str, dict[str, Any]], jp_fetch: Any, modelarts_env: Emulator
) -> None:
    request = {"name": "env-b", "namespace": NAMESPACE, "keep": 2}
    clear_log(modelarts_env)
    code, plan = await call(jp_fetch, "POST", "library", "prune", body=request)
    assert code == 200 and plan["dry_run"] is True, plan
    tags = sorted(int(label.split(":d")[1]) for label in library if label.startswith("env-b:"))
    assert [image["tag"] for image in plan["kept"]] == [f"d{tag:02d}" for tag in tags[:-3:-1]]
    listed = [image["tag"] for image in plan["delete"]]
    assert sorted(listed) == sorted(f"d{tag:02d}" for tag in tags[:-2])
    assert not {"delete_image", "swr_delete_tag"} & set(routes(modelarts_env))
    # Acting needs the list the dry run gave; another list is refused.
    code, answer = await call(
        jp_fetch, "POST", "library", "prune", body={**request, "dry_run": False}
    )
    assert (code, answer["field"]) == (400, "ids")
    ids = [image["id"] for image in plan["delete"]]
    code, answer = await call(
        jp_fetch, "POST", "library", "prune", body={**request, "dry_run": False, "ids": ids[1:]}
    )
    assert (code, answer["reason"]) == (409, "list-changed")
    assert "delete_image" not in routes(modelarts_env)
    code, done = await call(
        jp_fetch, "POST", "library", "prune", body={**request, "dry_run": False, "ids": ids}
    )
    assert code == 200, done
    assert sorted(d["id"] for d in done["deleted"]) == sorted(ids)
    log = modelarts_env.http.get("/_emulator/requests").json()["log"]
    assert sorted(e["image_id"] for e in log if e["route"] == "delete_image") == sorted(ids)
    code, page = await call(
        jp_fetch, "GET", "library", params={"refresh": "true", "namespace": NAMESPACE}
    )
    group = next(g for g in page["groups"] if g["name"] == "env-b")
    assert [image["tag"] for image in group["images"]] == [i["tag"] for i in plan["kept"]]


async def test_prune_never_takes_the_image_the_instance_runs(
    library: dict[str, dict[str, Any]], jp_fetch: Any
) -> None:
    code, plan = await call(
        jp_fetch,
        "POST",
        "library",
        "prune",
        body={"name": "env-a", "namespace": NAMESPACE, "keep": 1},
    )
    assert code == 200, plan
    assert [r["image"]["tag"] for r in plan["refused"]] == ["d00"]
    assert plan["refused"][0]["reason"] == "runs-now"
    assert "d00" not in [image["tag"] for image in plan["delete"]]


def test_cli_lists_deletes_and_prunes(
    library: dict[str, dict[str, Any]], modelarts_env: Emulator, state_dir: Path
) -> None:
    result = run_cli(state_dir, "library", "--namespace", NAMESPACE)
    assert result.returncode == 0, result.stderr
    assert "env-a" in result.stdout and "d00" in result.stdout and "runs now" in result.stdout
    listed = as_json(run_cli(state_dir, "library", "--namespace", NAMESPACE, "--json"))
    assert listed["total_images"] == 28
    target = library["env-b:d04"]
    # A delete asks first, saying what would go; "no" deletes nothing.
    command = run_cli_command(state_dir, "delete-image", target["id"], "--namespace", NAMESPACE)
    refused = subprocess.run(command, input="n\n", capture_output=True, text=True, timeout=60)
    assert refused.returncode == 0, refused.stderr
    assert "env-b:d04: the ModelArts registration only" in refused.stderr
    assert "Nothing was deleted." in refused.stderr
    assert modelarts_env.count("delete_image") == 0
    result = run_cli(
        state_dir, "delete-image", target["id"], "--namespace", NAMESPACE, "--with-swr-content",
        "--yes",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert modelarts_env.count("delete_image") == 1
    # The image the container runs: refused, exit 11, nothing sent.
    result = run_cli(
        state_dir, "delete-image", library["env-a:d00"]["id"], "--namespace", NAMESPACE,
        "--yes",
    )  # fmt: skip
    assert result.returncode == 11 and "runs" in result.stderr
    assert modelarts_env.count("delete_image") == 1
    # Prune: a dry run by default, then --yes deletes the same list.
    prune = ["prune", "--name", "env-a", "--namespace", NAMESPACE, "--keep", "8"]
    dry = run_cli(state_dir, *prune)
    assert dry.returncode == 0, dry.stderr
    assert "d00" in dry.stdout and "--yes" in dry.stdout  # refused, and how to act
    plan = as_json(run_cli(state_dir, *prune, "--json"))
    assert plan["dry_run"] is True and len(plan["delete"]) == 1
    assert modelarts_env.count("delete_image") == 1
    done = as_json(run_cli(state_dir, *prune, "--yes", "--json"))
    assert [d["id"] for d in done["deleted"]] == [plan["delete"][0]["id"]]
    assert modelarts_env.count("delete_image") == 2


@pytest.fixture
def no_lineage(jp_server_config: dict[str, Any]) -> float:
    """A container whose image is not one of this tool's saves (no lineage), started now."""
    since = time.time() - 60
    jp_server_config["ModelArtsSnapshot"]["changes_since"] = since
    return since


async def test_the_image_the_container_started_from_is_kept_from_the_first_check(
    no_lineage: float,
    jp_fetch: Any,
    modelarts_env: Emulator,
    state_dir: Path,
) -> None:
    seeded = seeded_images(modelarts_env)
    # The instance check of the first report (every save takes it) keeps what ShowNotebook
    # names: the image this container started from.
    code, _report = await call(jp_fetch, "POST", "preflight", body={})
    assert code == 202
    kept = json.loads((state_dir / "manifests" / "started-image.json").read_text())
    assert kept["stamp"] == f"{no_lineage:.3f}" and kept["image_id"]
    # Had it started from a saved image, that one is marked as running, after saves too.
    started = seeded["env-b:d01"]
    (state_dir / "manifests" / "started-image.json").write_text(
        json.dumps({"stamp": f"{no_lineage:.3f}", "image_id": started["id"]})
    )
    await save(jp_fetch, "mine-1")
    code, page = await call(jp_fetch, "GET", "library", params={"per_group": "50"})
    images = by_label(page)
    assert [label for label, i in images.items() if i["runs_now"]] == ["env-b:d01"]
    assert [label for label, i in images.items() if i["starts_next"]] == [f"{GOOD['name']}:mine-1"]
    code, answer = await call(
        jp_fetch, "POST", "library", "delete", body={"id": started["id"], "namespace": NAMESPACE}
    )
    assert (code, answer["reason"]) == (409, "runs-now")
