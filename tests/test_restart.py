"""Saves outlive the server: kill -9 mid-save, start again, the save is still followed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Emulator
from helpers import GOOD, wait_until
from server_process import JupyterServer


def test_save_survives_kill_and_restart(server: JupyterServer, modelarts_env: Emulator) -> None:
    modelarts_env.configure(creating_seconds=3.0)
    created = server.api("POST", "jobs", json=GOOD)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    server.kill()
    server.start()
    listed = server.api("GET", "jobs").json()["jobs"]
    assert [job["id"] for job in listed] == [job_id]

    def active() -> bool:
        return server.api("GET", f"jobs/{job_id}").json()["status"] == "ACTIVE"

    wait_until(active, timeout=20)
    assert modelarts_env.count("create_image") == 1


def test_corrupt_record_is_moved_aside_and_server_keeps_serving(
    server: JupyterServer, modelarts_env: Emulator, state_dir: Path
) -> None:
    created = server.api("POST", "jobs", json=GOOD)
    job_id = created.json()["id"]
    wait_until(lambda: server.api("GET", f"jobs/{job_id}").json()["status"] == "ACTIVE", timeout=20)
    server.stop()
    broken = state_dir / "jobs" / "6b0f3c5e-1d2a-4c8b-9e7f-000000000001.json"
    broken.write_text('{"id": "6b0f3c5e-1d2a-4c8b-9e7f-0000')  # half-written
    server.start()
    listed = server.api("GET", "jobs")
    assert listed.status_code == 200
    assert [job["id"] for job in listed.json()["jobs"]] == [job_id]
    assert not broken.exists()
    assert list(broken.parent.glob(broken.name + ".corrupt-*"))
    assert "Moved aside unreadable job record" in server.log()
    # The intact record is untouched.
    assert json.loads((state_dir / "jobs" / f"{job_id}.json").read_text())["status"] == "ACTIVE"
