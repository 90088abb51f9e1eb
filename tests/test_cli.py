"""The CLI, run as a user runs it: a separate process, reading the environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from jupyterlab_modelarts_snapshot.emulator import DEMO_NOTEBOOK_ID, DEMO_SECRET_KEY

from conftest import Emulator
from helpers import SAVE, as_json, run_cli


def test_doctor_ready(modelarts_env: Emulator, state_dir: Path) -> None:
    result = run_cli(state_dir, "doctor")
    assert result.returncode == 0, result.stderr
    assert (
        f"Notebook instance: {DEMO_NOTEBOOK_ID} (from env:MODELARTS_NOTEBOOK_ID)" in result.stdout
    )
    assert "Credentials:       env" in result.stdout
    assert "Ready to save an image." in result.stdout
    assert DEMO_SECRET_KEY not in result.stdout + result.stderr


def test_doctor_not_ready_says_what_to_set(
    modelarts_env: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELARTS_NOTEBOOK_ID")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    result = run_cli(state_dir, "doctor", "--json")
    assert result.returncode == 3
    info = as_json(result)
    assert info["ready"] is False
    assert any("MODELARTS_NOTEBOOK_ID" in problem for problem in info["problems"])
    assert any("HUAWEICLOUD_SDK_SK" in problem for problem in info["problems"])


def test_save_wait_reaches_active_then_status_and_list(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    result = run_cli(state_dir, *SAVE, "--wait", "--json")
    assert result.returncode == 0, result.stderr
    job = as_json(result)
    assert job["status"] == "ACTIVE"
    assert job["swr_path"].endswith("/atelier-auto/cli-env:v1.0")
    status = run_cli(state_dir, "status", job["id"])
    assert status.returncode == 0
    assert "[ACTIVE]" in status.stdout and f"docker pull {job['swr_path']}" in status.stdout
    listing = run_cli(state_dir, "list", "--json")
    assert [item["id"] for item in as_json(listing)["jobs"]] == [job["id"]]
    assert modelarts_env.count("create_image") == 1


def test_save_without_wait_is_accepted_then_busy(modelarts_env: Emulator, state_dir: Path) -> None:
    first = run_cli(state_dir, *SAVE)
    assert first.returncode == 0, first.stderr
    assert "Save started" in first.stdout
    second = run_cli(state_dir, *SAVE, "--json")
    assert second.returncode == 4
    assert "not finished" in as_json(second)["error"]
    assert modelarts_env.count("create_image") == 1


def test_invalid_input_exits_2_and_sends_nothing(modelarts_env: Emulator, state_dir: Path) -> None:
    result = run_cli(state_dir, "save", "--name", "Bad Name", "--namespace", "team")
    assert result.returncode == 2
    assert "name:" in result.stderr and "lowercase" in result.stderr
    assert modelarts_env.count("create_image") == 0


def test_failed_save_exits_1_with_reason(modelarts_env: Emulator, state_dir: Path) -> None:
    modelarts_env.configure(fail_next_save="container size 62G is greater than threshold 50G")
    result = run_cli(state_dir, *SAVE, "--wait")
    assert result.returncode == 1
    assert "[CREATE_FAILED]" in result.stdout and "greater than threshold" in result.stdout


def test_refusal_exits_5(modelarts_env: Emulator, state_dir: Path) -> None:
    modelarts_env.fault(
        route="create_image",
        status=400,
        error_code="ModelArts.6771",
        error_msg="The image size exceeds the maximum.",
    )
    result = run_cli(state_dir, *SAVE, "--json")
    assert result.returncode == 5
    assert as_json(result)["error_code"] == "ModelArts.6771"


def test_stopped_instance_exits_8(modelarts_env: Emulator, state_dir: Path) -> None:
    modelarts_env.configure(notebook_status="STOPPED")
    result = run_cli(state_dir, *SAVE)
    assert result.returncode == 8
    assert "The instance is STOPPED" in result.stderr


def test_unknown_status_exits_7(modelarts_env: Emulator, state_dir: Path) -> None:
    result = run_cli(state_dir, "status", "6b0f3c5e-1d2a-4c8b-9e7f-000000000000")
    assert result.returncode == 7


def test_wrong_secret_is_a_credentials_problem_without_the_secret(
    modelarts_env: Emulator, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "definitely-the-wrong-secret")
    result = run_cli(state_dir, *SAVE)
    assert result.returncode == 5
    assert "did not accept the credentials from env" in result.stderr
    assert "definitely-the-wrong-secret" not in result.stdout + result.stderr
    assert modelarts_env.count("show_notebook") == 2  # refreshed once, retried once
    assert modelarts_env.count("create_image") == 0


def test_jupyter_subcommand_dispatch(modelarts_env: Emulator, state_dir: Path) -> None:
    jupyter = Path(sys.executable).with_name("jupyter")
    result = subprocess.run(
        [str(jupyter), "modelarts-snapshot", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("save", "status", "list", "doctor", "emulator"):
        assert command in result.stdout


def test_a_refused_save_prints_the_request_id(modelarts_env: Emulator, state_dir: Path) -> None:
    refusal = dict(route="create_image", status=400, error_code="ModelArts.6737",
                   error_msg="Conflict tag v1.0 for image cli-env, tag cannot be duplicated")  # fmt: skip
    modelarts_env.fault(**refusal)
    result = run_cli(state_dir, *SAVE)
    assert result.returncode == 5
    assert "Conflict tag v1.0 for image cli-env" in result.stderr
    assert re.search(
        r"ModelArts request ID \(for Huawei support\): [0-9a-f]{32}$", result.stderr, re.M
    )
    modelarts_env.fault(**refusal)
    answer = as_json(run_cli(state_dir, *SAVE, "--json"))
    assert answer["error_code"] == "ModelArts.6737"
    assert re.fullmatch(r"[0-9a-f]{32}", answer["request_id"])


def test_status_says_when_a_save_was_last_checked_and_why_not_since(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    modelarts_env.configure(creating_seconds=3600)
    job = as_json(run_cli(state_dir, *SAVE, "--json"))
    modelarts_env.fault(route="show_image", count=50, status=403, error_code="ModelArts.6407")
    status = run_cli(state_dir, "status", job["id"])
    assert status.returncode == 0
    assert f"not checked since {job['updated_at']}: ModelArts refused" in status.stdout
    assert re.search(r"request:  [0-9a-f]{32} \(ModelArts request ID\)", status.stdout)

    modelarts_env.http.delete("/_emulator/faults").raise_for_status()
    modelarts_env.delete_image(job["id"])
    ended = as_json(run_cli(state_dir, "status", job["id"], "--json"))
    assert ended["status"] == "DELETED" and ended["last_error"] is None
    assert as_json(run_cli(state_dir, *SAVE[:-1], "v2", "--json"))["status"] == "INIT"
