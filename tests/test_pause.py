"""The instance pause: ModelArts stops the container (and the Jupyter server in it) to commit it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from conftest import Emulator
from helpers import GOOD, wait_until
from server_process import JupyterServer


@pytest.fixture
def server_poll_interval() -> float:
    return 0.5


def test_save_survives_sigstop_during_creating(
    server: JupyterServer, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(init_seconds=0.5, creating_seconds=8.0)
    created = server.api("POST", "jobs", json=GOOD)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    wait_until(lambda: server.api("GET", f"jobs/{job_id}").json()["status"] == "CREATING")

    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        # Longer than the poll interval (0.5 s) and several request timeouts (1.5 s).
        time.sleep(6)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)

    statuses = []

    def active() -> bool:
        status = server.api("GET", f"jobs/{job_id}").json()["status"]
        statuses.append(status)
        return status == "ACTIVE"

    wait_until(active, timeout=30)
    assert not {"CREATE_FAILED", "ERROR"} & set(statuses)
    assert modelarts_env.count("create_image") == 1
    log = server.log()
    assert "Unexpected error" not in log and "Traceback" not in log
    assert server.api("GET", "jobs").json()["jobs"][0]["status"] == "ACTIVE"
