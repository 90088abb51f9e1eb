"""The auto-stop through the REST API and the CLI, against the emulator: the countdown, the
warning with what a stop would erase, extending, and a save that stops the instance once saved.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_manifest import Venv

from conftest import Emulator
from helpers import GOOD, as_json, call, run_cli, wait_for_status, wait_until, wait_until_async
from server_process import JupyterServer

WARN_MINUTES = 15


def seconds_until(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() - time.time()


def set_lease(emulator: Emulator, **fields: Any) -> dict[str, Any]:
    response = emulator.http.post("/_emulator/lease", json=fields)
    assert response.status_code == 200, response.text
    lease: dict[str, Any] = response.json()
    return lease


def requests_log(emulator: Emulator) -> dict[str, Any]:
    log: dict[str, Any] = emulator.http.get("/_emulator/requests").json()
    return log


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    return Venv.create(tmp_path)


async def two_packages_since_the_start(jp_fetch: Any, venv: Venv) -> None:
    """The container's start is recorded first; then two packages are installed."""
    code, _now = await call(jp_fetch, "GET", "manifest", "now")
    assert code == 200
    venv.install("mstest-one", "1.0")
    venv.install("mstest-two", "1.0")


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], venv: Venv, tmp_path: Path
) -> dict[str, Any]:
    jp_server_config["ModelArtsSnapshot"].update(
        python_envs=[str(venv.python)],
        dpkg_status=str(tmp_path / "no-dpkg-status"),
        conda_roots=[],
        changes_since=1_700_000_000.0,
        warn_before_stop_minutes=WARN_MINUTES,
    )
    return jp_server_config


async def test_the_countdown_and_the_warning_name_what_a_stop_would_erase(
    jp_fetch: Any, modelarts_env: Emulator, venv: Venv
) -> None:
    await two_packages_since_the_start(jp_fetch, venv)
    set_lease(modelarts_env, stops_in_seconds=16 * 60)
    code, lease = await call(jp_fetch, "GET", "lease")
    assert code == 200, lease
    assert lease["enabled"] and lease["type"] == "TIMING" and not lease["estimate"]
    assert 15.5 * 60 < seconds_until(lease["stop_at"]) <= 16 * 60
    assert seconds_until(lease["warn_at"]) == pytest.approx(60, abs=5)
    assert lease["warning"] is None  # 16 minutes away: not yet

    # Every page asks; ModelArts is asked once (the server reads it every refresh_seconds).
    before = modelarts_env.count("show_lease")
    for _ in range(10):
        assert (await call(jp_fetch, "GET", "lease"))[0] == 200
    assert modelarts_env.count("show_lease") == before


async def test_warning_once_per_stop_time_and_extend(
    jp_fetch: Any, modelarts_env: Emulator, venv: Venv
) -> None:
    await two_packages_since_the_start(jp_fetch, venv)
    set_lease(modelarts_env, stops_in_seconds=14 * 60)

    code, lease = await call(jp_fetch, "GET", "lease")
    assert code == 200, lease
    warning = lease["warning"]
    assert warning["at_risk"] == {"pip": 2, "conda": 0, "apt": 0, "since": "start"}
    assert warning["message"] == (
        "2 pip packages installed since the instance started would be lost."
    )
    assert warning["stop_at"] == lease["stop_at"] and not warning["delivered"]

    # In Chinese for a Chinese page.
    code, chinese = await call(jp_fetch, "GET", "lease", headers={"Accept-Language": "zh-CN"})
    assert "2 个 pip 软件包" in chinese["warning"]["message"]

    # A page showed it: pages opened later see it delivered.
    code, refused = await call(jp_fetch, "POST", "lease", "warning", body={"stop_at": "x"})
    assert code == 400 and refused["field"] == "stop_at"
    code, shown = await call(
        jp_fetch, "POST", "lease", "warning", body={"stop_at": warning["stop_at"]}
    )
    assert code == 200 and shown["warning"]["delivered"]
    assert (await call(jp_fetch, "GET", "lease"))[1]["warning"]["delivered"]

    # Extend 1 h: RenewLease gets 3,600,000 ms, and the warning is gone with the old stop.
    code, extended = await call(jp_fetch, "POST", "lease", body={"hours": 1})
    assert code == 200, extended
    renewals = requests_log(modelarts_env)["renewals"]
    assert [renewal["duration"] for renewal in renewals] == [3_600_000]
    assert 59 * 60 < seconds_until(extended["stop_at"]) <= 60 * 60
    assert extended["warning"] is None
    assert (await call(jp_fetch, "GET", "lease"))[1]["warning"] is None


@pytest.mark.parametrize("hours", [100, 0, -1, 1.5, "1", True, None])
async def test_an_extension_outside_1_to_72_hours_is_refused_before_anything_is_sent(
    jp_fetch: Any, modelarts_env: Emulator, hours: Any
) -> None:
    code, body = await call(jp_fetch, "POST", "lease", body={"hours": hours})
    assert code == 400 and body["field"] == "hours"
    assert "1 to 72" in body["message"] and "Nothing was sent" in body["message"]
    assert modelarts_env.count("renew_lease") == 0


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        ("STOPPED", "ModelArts.6327", "not running"),
        ("SNAPSHOTTING", "ModelArts.6357", "in progress"),
    ],
)
async def test_renew_lease_refusals_are_in_words(
    jp_fetch: Any, modelarts_env: Emulator, status: str, code: str, words: str
) -> None:
    modelarts_env.configure(notebook_status=status)
    answer, body = await call(jp_fetch, "POST", "lease", body={"hours": 2})
    assert answer == 409, body
    assert body["error_code"] == code and words in body["message"]
    assert body["request_id"]


async def test_a_disabled_lease_has_no_countdown_and_differing_readings_are_an_estimate(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    set_lease(modelarts_env, enable=False)
    code, lease = await call(jp_fetch, "GET", "lease")
    assert code == 200
    assert not lease["enabled"] and lease["stop_at"] is None and lease["warning"] is None


async def test_readings_that_differ_make_the_stop_an_estimate(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    now_ms = int(time.time() * 1000)
    set_lease(modelarts_env, create_at=now_ms - 3_600_000, update_at=now_ms, duration=2 * 3_600_000)
    code, lease = await call(jp_fetch, "GET", "lease")
    assert code == 200 and lease["estimate"]
    # Counted from update_at (the default basis): two hours from now.
    assert seconds_until(lease["stop_at"]) == pytest.approx(2 * 3600, abs=5)


async def test_a_save_that_asks_stops_the_instance_once_the_image_is_active(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.http.delete("/_emulator/requests")
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "stop_after_save": True})
    assert code == 201, job
    assert job["stop"]["state"] == "pending"
    await wait_for_status(jp_fetch, job["id"], {"ACTIVE"})

    async def stopped() -> dict[str, Any] | None:
        _code, latest = await call(jp_fetch, "GET", "jobs", job["id"])
        return latest if latest["stop"]["state"] == "stopped" else None

    done = await wait_until_async(stopped, 15, what="the stop after saving")
    assert done["stop"]["at"] and done["stop"]["reason"] is None
    log = requests_log(modelarts_env)["log"]
    routes = [entry["route"] for entry in log]
    assert routes.count("stop_notebook") == 1
    last_creating = max(
        index
        for index, entry in enumerate(log)
        if entry["route"] == "show_image" and entry.get("status") == "CREATING"
    )
    assert routes.index("stop_notebook") > last_creating
    assert (
        modelarts_env.configure()["notebooks"][next(iter(modelarts_env.configure()["notebooks"]))]
        == "STOPPED"
    )


async def test_a_failed_save_sends_no_stop_and_says_why(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(fail_next_save="The layer push failed.")
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "stop_after_save": True})
    assert code == 201, job
    await wait_for_status(jp_fetch, job["id"], {"CREATE_FAILED"})

    async def decided() -> dict[str, Any] | None:
        _code, latest = await call(jp_fetch, "GET", "jobs", job["id"])
        return latest if latest["stop"]["state"] != "pending" else None

    done = await wait_until_async(decided, 15, what="the stop decided")
    assert done["stop"]["state"] == "not_stopped"
    assert "CREATE_FAILED" in done["stop"]["reason"]
    assert modelarts_env.count("stop_notebook") == 0


def test_a_server_killed_during_creating_still_stops_after_active(
    server: JupyterServer, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(creating_seconds=4.0)
    created = server.api("POST", "jobs", json={**GOOD, "stop_after_save": True})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    server.kill()
    assert modelarts_env.count("stop_notebook") == 0
    server.start()

    def stopped() -> bool:
        job = server.api("GET", f"jobs/{job_id}").json()
        return job["stop"]["state"] == "stopped"

    wait_until(stopped, timeout=30)
    assert modelarts_env.count("stop_notebook") == 1
    assert modelarts_env.count("create_image") == 1


def test_the_cli_reads_extends_and_refuses(modelarts_env: Emulator, state_dir: Path) -> None:
    set_lease(modelarts_env, stops_in_seconds=3 * 3600)
    result = run_cli(state_dir, "lease", "--json")
    assert result.returncode == 0, result.stderr
    lease = as_json(result)
    assert lease["enabled"] and lease["type"] == "TIMING" and lease["estimate"] is False
    assert seconds_until(lease["stop_at"]) == pytest.approx(3 * 3600, abs=10)
    text = run_cli(state_dir, "lease")
    assert ("Stops at" in text.stdout and "2 h 59 min" in text.stdout) or "3 h 0 min" in text.stdout

    refused = run_cli(state_dir, "lease", "--extend", "100")
    assert refused.returncode == 2
    assert "1 to 72" in refused.stderr
    assert modelarts_env.count("renew_lease") == 0

    extended = run_cli(state_dir, "lease", "--extend", "8", "--json")
    assert extended.returncode == 0, extended.stderr
    assert seconds_until(as_json(extended)["stop_at"]) == pytest.approx(8 * 3600, abs=10)
    assert [r["duration"] for r in requests_log(modelarts_env)["renewals"]] == [8 * 3_600_000]

    set_lease(modelarts_env, enable=False)
    assert "no auto-stop" in run_cli(state_dir, "lease").stdout


def test_cli_save_with_stop_waits_and_stops(modelarts_env: Emulator, state_dir: Path) -> None:
    result = run_cli(
        state_dir, "save", "--name", GOOD["name"], "--namespace", GOOD["namespace"],
        "--tag", "stop-1", "--stop", "--json", timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    job = as_json(result)
    assert job["status"] == "ACTIVE" and job["stop"]["state"] == "stopped"
    assert modelarts_env.count("stop_notebook") == 1


def planted_save(state_dir: Path, label: str, created_ago: float, stop: bool) -> str:
    """A finished save's record, as a process that ended right after its end left it."""
    from jupyterlab_modelarts_snapshot.emulator import DEMO_NOTEBOOK_ID
    from jupyterlab_modelarts_snapshot.models import Job, StopAfterSave, iso
    from jupyterlab_modelarts_snapshot.store import JobStore

    created = time.time() - created_ago
    job_id = str(uuid.uuid4())
    name, tag = label.split(":")
    JobStore(str(state_dir)).save(
        Job(
            id=job_id, name=name, namespace="atelier-auto", tag=tag, description="",
            status="ACTIVE", status_message="", swr_path=None, size_kb=None,
            created_at=iso(created), updated_at=iso(created + 60),
            finished_at=iso(created + 60), notebook_id=DEMO_NOTEBOOK_ID,
            stop=StopAfterSave("pending", iso(created), at=None, reason=None) if stop else None,
        )
    )  # fmt: skip
    return job_id


async def stop_decided(jp_fetch: Any, job_id: str) -> dict[str, Any]:
    code, _ = await call(jp_fetch, "GET", "jobs")  # starts the poller, which looks for stops
    assert code == 200

    async def decided() -> dict[str, Any] | None:
        _code, job = await call(jp_fetch, "GET", "jobs", job_id)
        return job if job["stop"]["state"] != "pending" else None

    return await wait_until_async(decided, 15, what="the stop decided")


async def test_a_stop_left_pending_long_ago_is_not_sent(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path
) -> None:
    # The process that followed it died right after the image ended, an hour ago.
    job_id = planted_save(state_dir, "old-env:v1", created_ago=3600, stop=True)
    job = await stop_decided(jp_fetch, job_id)
    assert job["stop"]["state"] == "not_stopped"
    assert "long before this was seen" in job["stop"]["reason"]
    assert modelarts_env.count("stop_notebook") == 0


async def test_a_stop_left_pending_is_not_sent_after_a_later_save(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path
) -> None:
    job_id = planted_save(state_dir, "env:v1", created_ago=120, stop=True)
    planted_save(state_dir, "env:v2", created_ago=30, stop=False)
    job = await stop_decided(jp_fetch, job_id)
    assert job["stop"]["state"] == "not_stopped"
    assert "A later save (env:v2) started" in job["stop"]["reason"]
    assert modelarts_env.count("stop_notebook") == 0
