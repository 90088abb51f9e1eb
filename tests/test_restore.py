"""Rebuild files that rebuild, and the restore script, on real environments: a fresh venv
that pip fills from the real package index, from a wheel in /tmp and from a wheel on the work
volume; a planted pip.conf and conda env whose URLs carry credentials."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_manifest import make_wheel

from conftest import Emulator
from helpers import GOOD, as_json, call, run_cli

SECRET = "SECRETVALUE42"


def new_venv(prefix: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
    return prefix / "bin" / "python"


def pip(python: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True, text=True, check=check, timeout=300,
    )  # fmt: skip


def installed(prefix: Path) -> set[str]:
    """The distributions a venv holds, by their dist-info folder names."""
    return {
        path.name.split("-")[0].lower().replace("_", "-")
        for path in prefix.glob("lib/python*/site-packages/*.dist-info")
    }


async def rebuild(jp_fetch: Any, job_id: str, name: str) -> str:
    response = await jp_fetch("modelarts-snapshot", "jobs", job_id, "rebuild", name)
    text: str = response.body.decode()
    return text


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    return new_venv(tmp_path / "venv")


@pytest.fixture
def dpkg_status(tmp_path: Path) -> Path:
    path = tmp_path / "dpkg-status"
    path.write_text("Package: curl\nStatus: install ok installed\nVersion: 7.81.0\n\n")
    return path


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], venv: Path, work: Path, dpkg_status: Path, tmp_path: Path
) -> dict[str, Any]:
    jp_server_config["ModelArtsSnapshot"].update(
        python_envs=[str(venv)],
        work_dir=str(work),
        state_dir=str(work / ".modelarts-snapshot"),
        dpkg_status=str(dpkg_status),
        conda_roots=[str(tmp_path / "conda")],
        changes_since=1_700_000_000.0,
    )
    return jp_server_config


async def test_rebuild_files_resolve_and_the_restore_script_brings_back_what_it_can(
    jp_fetch: Any,
    modelarts_env: Emulator,
    venv: Path,
    work: Path,
    dpkg_status: Path,
    tmp_path: Path,
) -> None:
    code, _now = await call(jp_fetch, "GET", "manifest", "now")  # the container's start
    assert code == 200
    # After the start: one package from the real index, a wheel in /tmp, a wheel on the work
    # volume, and an apt package.
    pip(venv, "install", "six==1.16.0")
    outside = tmp_path / "outside"
    outside.mkdir()
    pip(venv, "install", "--no-deps", str(make_wheel(outside, "mstest-tmp", "1.0")))
    (work / "wheels").mkdir()
    on_work = make_wheel(work / "wheels", "mstest-work", "2.0")
    pip(venv, "install", "--no-deps", str(on_work))
    dpkg_status.write_text(
        dpkg_status.read_text() + "Package: htop\nStatus: install ok installed\nVersion: 3.0.5\n\n"
    )

    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    requirements = await rebuild(jp_fetch, job["id"], "requirements.txt")
    lines = requirements.splitlines()
    assert "six==1.16.0" in lines
    assert f"mstest-work @ {on_work.as_uri()}" in lines
    assert not any(line.startswith("mstest-tmp") for line in lines)
    assert any(
        line.startswith("# not installable elsewhere: mstest-tmp 1.0, installed from /tmp/")
        for line in lines
    ), requirements
    # It resolves in another fresh venv, against the real index.
    (tmp_path / "requirements.txt").write_text(requirements)
    other = new_venv(tmp_path / "other")
    resolved = pip(
        other, "install", "--dry-run", "-r", str(tmp_path / "requirements.txt"), check=False
    )
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert "six-1.16.0" in resolved.stdout and "mstest-work-2.0" in resolved.stdout
    for name in ("Dockerfile", "environment.yml"):
        text = await rebuild(jp_fetch, job["id"], name)
        assert "mstest-tmp 1.0" in text and "mstest-tmp==" not in text

    # The restore script, on the work volume.
    code, script = await call(jp_fetch, "POST", "restore-script", body={})
    assert code == 200, script
    path = Path(script["path"])
    assert path.parent == work / ".modelarts-snapshot" and path.is_file()
    assert script["command"] == f"bash {path}"
    assert script["pip"] == 2 and script["conda"] == 0
    assert {(item["manager"], item["name"]) for item in script["not_restorable"]} == {
        ("pip", "mstest-tmp"),
        ("apt", "htop"),
    }

    # The stop: the venv is gone, and comes back empty.
    shutil.rmtree(tmp_path / "venv")
    new_venv(tmp_path / "venv")
    assert not {"six", "mstest-work"} & installed(tmp_path / "venv")
    first = subprocess.run(["bash", str(path)], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert {"six", "mstest-work"} <= installed(tmp_path / "venv")
    assert "mstest-tmp" not in installed(tmp_path / "venv")
    assert "Not restored here:" in first.stdout
    assert "pip mstest-tmp 1.0: installed from /tmp/" in first.stdout
    assert "apt htop 3.0.5: apt packages need root" in first.stdout
    # A second run installs nothing.
    second = subprocess.run(["bash", str(path)], capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "pip: nothing to install" in second.stdout
    assert "installing" not in second.stdout


def conda_record(prefix: Path, name: str, channel: str) -> None:
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / f"{name}-1.0-0.json").write_text(
        json.dumps({"name": name, "version": "1.0", "build": "0", "channel": channel})
    )


async def test_index_and_channel_credentials_are_marked_and_never_written(
    jp_fetch: Any,
    modelarts_env: Emulator,
    venv: Path,
    tmp_path: Path,
    work: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    # pip's configuration in the environment, as a mirror and a private index give it.
    planted_pip = tmp_path / "venv" / "pip.conf"
    planted_pip.write_text(
        f"[global]\nindex-url = https://user:{SECRET}@mirror.example/simple\n"
        f"extra-index-url = https://download.example/whl/cu118\n"
    )
    conda = tmp_path / "conda"
    conda_record(conda, "basepkg", "https://repo.anaconda.com/pkgs/main/linux-64")
    code, _now = await call(jp_fetch, "GET", "manifest", "now")
    assert code == 200
    conda_record(conda, "mainpkg", "https://repo.anaconda.com/pkgs/main/linux-64")
    conda_record(conda, "forgepkg", "https://conda.anaconda.org/conda-forge/noarch")
    conda_record(conda, "privpkg", f"https://conda.example.com/t/{SECRET}/private/linux-64")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "torchlike", "2.1.0+cu118")
    # By name from a local folder (no index reached): pip records no direct URL.
    pip(venv, "install", "--no-index", "--no-deps", "--find-links", str(wheels), "torchlike")

    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    texts = {
        name: await rebuild(jp_fetch, job["id"], name)
        for name in ("requirements.txt", "Dockerfile", "environment.yml")
    }
    requirements = texts["requirements.txt"].splitlines()
    assert "--index-url https://<credentials>@mirror.example/simple" in requirements
    assert "--extra-index-url https://download.example/whl/cu118" in requirements
    assert "torchlike==2.1.0+cu118" in requirements  # the local version label is kept
    assert any("<credentials> and <token> stand for credentials" in line for line in requirements)
    environment = texts["environment.yml"].splitlines()
    for channel in (
        "https://repo.anaconda.com/pkgs/main",
        "https://conda.anaconda.org/conda-forge",
        "https://conda.example.com/t/<token>/private",
    ):
        assert f"  - {channel}" in environment
    assert "      - --index-url https://<credentials>@mirror.example/simple" in environment
    # Shell words in the Dockerfile, quoted ("<" would be a redirection).
    assert "--index-url 'https://<credentials>@mirror.example/simple'" in texts["Dockerfile"]
    assert "-c 'https://conda.example.com/t/<token>/private'" in texts["Dockerfile"]

    answers = [json.dumps(await call(jp_fetch, "GET", "manifest", "now"))]
    for part in ("manifest", "changes"):
        answers.append(json.dumps(await call(jp_fetch, "GET", "jobs", job["id"], part)))
    code, script = await call(jp_fetch, "POST", "restore-script", body={"after_each_save": True})
    assert code == 200 and script["after_each_save"]
    answers.append(json.dumps(script))
    planted = {planted_pip, *conda.rglob("*.json")}
    files = [
        path
        for path in tmp_path.rglob("*")
        if path.is_file() and path not in planted and "site-packages" not in path.parts
    ]
    assert any(path.name == "restore.sh" for path in files)
    written = [path.read_text(errors="replace") for path in files]
    for text in [*texts.values(), *answers, *written, caplog.text]:
        assert SECRET not in text


def test_the_cli_writes_the_script_and_turns_after_each_save_on(
    modelarts_env: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    result = run_cli(state, "restore-script")
    assert result.returncode == 0, result.stderr
    script = state / "restore.sh"
    assert f"Restore script written: {script}" in result.stdout
    assert f"    bash {script}" in result.stdout
    assert "Written again after each save: no" in result.stdout
    # A second run of the script itself changes nothing, and says so.
    ran = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr

    turned_on = as_json(run_cli(state, "restore-script", "--after-each-save", "on", "--json"))
    assert turned_on["after_each_save"] is True and turned_on["path"] == str(script)
    refused = run_cli(state, "restore-script", "--after-each-save", "maybe")
    assert refused.returncode == 2
