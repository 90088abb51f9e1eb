"""What must never be deleted, never hang, never be lost and never leak, through the REST API
against the emulator on a planted tree: cleanup and links, mounts, sockets and pipes; a pipe in a
home folder; records of the wrong type; a full state directory; credentials in channel URLs."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_modelarts_snapshot import cleanup
from jupyterlab_modelarts_snapshot.models import Job
from jupyterlab_modelarts_snapshot.store import JobStore

from conftest import Emulator
from helpers import GOOD, call, finished_report, run_cli, wait_for_status, wait_until
from server_process import JupyterServer


@dataclass
class Home:
    root: Path  # the container's /
    home: Path  # /home/ma-user
    work: Path  # the work volume
    since: float


def plant(path: Path, text: str = "x" * 5000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def files_under(folder: Path) -> list[str]:
    return sorted(str(path) for path in folder.rglob("*") if not path.is_dir())


@pytest.fixture
def planted(tmp_path: Path) -> Home:
    root = tmp_path / "c"
    home = root / "home" / "ma-user"
    work = home / "work"
    plant(work / "notebook.ipynb")
    since = time.time()
    time.sleep(0.05)
    return Home(root=root, home=home, work=work, since=since)


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], planted: Home) -> dict[str, Any]:
    jp_server_config["ModelArtsSnapshot"].update(
        scan_root=str(planted.root), work_dir=str(planted.work), changes_since=planted.since
    )
    return jp_server_config


def caches(report: dict[str, Any]) -> dict[str, str]:
    check = next(item for item in report["checks"] if item["id"] == "caches")
    return {item["path"]: item["kind"] for item in check["items"]}


async def clean(jp_fetch: Any, *paths: Path) -> tuple[int, dict[str, Any]]:
    return await call(
        jp_fetch, "POST", "preflight", "cleanup", body={"paths": [str(path) for path in paths]}
    )


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str = "1m") -> Iterator[None]:
    """A real mount for the test (root only); the test is skipped where mounting is refused."""
    mount_point.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "none", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root: " + mounted.stderr.decode(errors="replace"))
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


# -- 1. a link above the listed folder ---------------------------------------------------------
async def test_a_link_above_the_listed_folder_is_refused(jp_fetch: Any, planted: Home) -> None:
    hub = planted.home / ".cache" / "huggingface"
    plant(hub / "hub" / "model.bin")
    kept = plant(planted.work / ".cache" / "huggingface" / "hub" / "precious.bin")
    report = await finished_report(jp_fetch)
    assert caches(report) == {str(hub): "huggingface"}
    # The user moves the caches to the work volume and links them back, as many do on ModelArts.
    (planted.home / ".cache").rename(planted.work / ".cache-old")
    (planted.home / ".cache").symlink_to(planted.work / ".cache")
    code, answer = await clean(jp_fetch, hub)
    assert (code, answer["field"]) == (400, "paths"), answer
    assert "no longer the folder the report listed" in answer["message"]
    assert "Nothing was deleted" in answer["message"]
    assert kept.exists() and kept.stat().st_size == 5000


# -- 2. a swap while the cleanup runs ----------------------------------------------------------
async def test_a_folder_swapped_for_a_link_during_the_cleanup_is_not_followed(
    jp_fetch: Any, planted: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip_cache = planted.home / ".cache" / "pip"
    plant(pip_cache / "wheels" / "ab" / "torch-2.3.1-py3-none-any.whl")
    plant(pip_cache / "http-v2" / "a" / "blob.body")
    # What pip cache purge would delete, on the work volume.
    precious = [
        plant(planted.work / "pip" / "wheels" / "cd" / "mine-1.0-py3-none-any.whl"),
        plant(planted.work / "pip" / "http-v2" / "b" / "mine.body"),
    ]
    report = await finished_report(jp_fetch)
    assert caches(report) == {str(pip_cache): "pip"}
    moved = planted.home / ".cache" / "pip-moved"
    swapped: list[str] = []

    def swap(path: str) -> None:  # the delete is paused here, after the checks
        pip_cache.rename(moved)
        pip_cache.symlink_to(planted.work / "pip")
        swapped.append(path)

    monkeypatch.setattr(cleanup, "paused_before_delete", swap)
    code, result = await clean(jp_fetch, pip_cache)
    assert code == 200, result
    assert swapped == [str(pip_cache)]
    assert all(path.exists() and path.stat().st_size == 5000 for path in precious)
    assert pip_cache.is_symlink()
    # The folder that was checked is the one emptied, wherever it went.
    assert files_under(moved) == []
    assert result["freed_bytes"] > 0


# -- 3. a cache folder that holds the work volume ----------------------------------------------
@pytest.fixture
def hf_home_is_home(planted: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    # A container path, as the environment gives it.
    monkeypatch.setenv("HF_HOME", "/home/ma-user")


async def test_a_cache_that_holds_the_work_volume_is_never_listed_nor_cleaned(
    hf_home_is_home: None, jp_fetch: Any, planted: Home
) -> None:
    plant(planted.home / "hub" / "models--x" / "blob")
    before = files_under(planted.home)
    report = await finished_report(jp_fetch)
    assert str(planted.home) not in caches(report)
    code, answer = await clean(jp_fetch, planted.home)
    assert (code, answer["field"]) == (400, "paths")
    assert "Nothing was deleted" in answer["message"]
    assert files_under(planted.home) == before


# -- 4 and 5. mounts, sockets and pipes below a listed folder ----------------------------------
async def test_the_cleanup_leaves_mounts_sockets_and_pipes(jp_fetch: Any, planted: Home) -> None:
    tmp = planted.root / "tmp"
    scratch = plant(tmp / "scratch" / "download.part")
    log = plant(tmp / "t" / "log")
    fifo = tmp / "t" / "fifo"
    os.mkfifo(fifo)
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(str(tmp / "t" / "s"))
    listening.listen()
    mount = tmp / "m"
    try:
        with tmpfs(mount):
            on_mount = plant(mount / "data.bin")
            report = await finished_report(jp_fetch)
            assert caches(report) == {str(tmp): "tmp"}
            code, result = await clean(jp_fetch, tmp)
            assert code == 200, result
            assert not scratch.exists() and not log.exists()
            assert on_mount.exists() and on_mount.stat().st_size == 5000
            assert fifo.exists() and (tmp / "t" / "s").exists()
            listening.settimeout(2)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(str(tmp / "t" / "s"))  # still the live socket
    finally:
        listening.close()


async def test_a_listed_folder_now_on_another_mount_is_refused(
    jp_fetch: Any, planted: Home
) -> None:
    torch = planted.home / ".cache" / "torch"
    plant(torch / "hub" / "checkpoints" / "model.pt")
    report = await finished_report(jp_fetch)
    assert caches(report) == {str(torch): "torch-hub"}
    with tmpfs(torch):  # the folder is now a mount point: never part of an image
        on_mount = plant(torch / "mine.pt")
        code, answer = await clean(jp_fetch, torch)
        assert (code, answer["field"]) == (400, "paths"), answer
        assert "another mount" in answer["message"]
        assert on_mount.exists()


# -- 6. a FIFO in a home folder ----------------------------------------------------------------
def test_a_pipe_in_a_home_folder_neither_hangs_the_report_nor_the_server(
    modelarts_env: Emulator, tmp_path: Path, state_dir: Path, planted: Home
) -> None:
    for path in (planted.home / "notes" / "pipe.txt", planted.home / "deploy" / "server.pem"):
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)  # opened for reading, it would wait for a writer forever
    plant(planted.home / "notes" / "todo.txt")
    scan_timeout = 5.0
    server = JupyterServer(
        tmp_path / "server",
        state_dir,
        extra_args=[
            f"--ModelArtsSnapshot.scan_root={planted.root}",
            f"--ModelArtsSnapshot.work_dir={planted.work}",
            f"--ModelArtsSnapshot.changes_since={planted.since}",
            f"--ModelArtsSnapshot.scan_timeout={scan_timeout}",
        ],
    ).start()
    try:
        assert server.api("POST", "preflight", json={}).status_code == 202
        report = wait_until(
            lambda: (
                (answer := server.api("GET", "preflight").json())["state"] != "running" and answer
            ),
            timeout=scan_timeout + 5,
        )
        assert report["state"] == "done" and report["partial"] is False
        cleaned = server.api("POST", "preflight/cleanup", json={"paths": ["/nowhere"]})
        assert cleaned.status_code == 400 and "not a cache listed" in cleaned.json()["message"]
    finally:
        assert server.process is not None
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail("the server did not stop on SIGTERM")
    result = run_cli(
        state_dir,
        "preflight",
        f"--ModelArtsSnapshot.scan_root={planted.root}",
        f"--ModelArtsSnapshot.work_dir={planted.work}",
        f"--ModelArtsSnapshot.changes_since={planted.since}",
        timeout=scan_timeout + 30,
    )
    assert result.returncode == 0, result.stderr
    assert "pipe.txt" not in result.stdout and "server.pem" not in result.stdout


# -- 7. records of valid JSON and the wrong type -----------------------------------------------
BAD_ID = "6b0f3c5e-1d2a-4c8b-9e7f-{:012d}"


def good_record(job_id: str, notebook_id: str) -> dict[str, Any]:
    return {
        "id": job_id, "name": "old-env", "namespace": "atelier-auto", "tag": "v1",
        "description": "", "status": "ACTIVE", "status_message": "", "swr_path": None,
        "size_kb": 10, "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:05:00Z",
        "finished_at": "2026-11-01T10:05:00Z", "notebook_id": notebook_id, "last_error": None,
        "changes_summary": None,
    }  # fmt: skip


ILL_TYPED = [
    {"created_at": None},
    {"created_at": 1764000000},
    {"status": ["ACTIVE"]},
    {"notebook_id": {"id": "x"}},
    {"changes_summary": {"pip": {"added": 1, "removed": 0, "changed": 0},
                         "conda": {"added": 0, "removed": 0, "changed": 0}}},
    {"status_message": {"$text": "Image {label} is {status}.", "params": {"label": "a:b"}}},
    {"status_message": {"$text": "Image was saved."}},
    {"last_error": {"message": "x", "at": 5, "request_id": None}},
]  # fmt: skip


async def test_ill_typed_records_are_moved_aside_and_the_rest_is_served(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from jupyterlab_modelarts_snapshot.emulator import DEMO_NOTEBOOK_ID

    jobs = state_dir / "jobs"
    jobs.mkdir(parents=True)
    good_id = BAD_ID.format(999)
    (jobs / f"{good_id}.json").write_text(json.dumps(good_record(good_id, DEMO_NOTEBOOK_ID)))
    bad = []
    for number, change in enumerate(ILL_TYPED):
        job_id = BAD_ID.format(number)
        path = jobs / f"{job_id}.json"
        path.write_text(json.dumps({**good_record(job_id, DEMO_NOTEBOOK_ID), **change}))
        bad.append(path)
    code, page = await call(jp_fetch, "GET", "jobs")
    assert code == 200, page
    assert [job["id"] for job in page["jobs"]] == [good_id]
    for path in bad:
        assert not path.exists()
        assert len(list(jobs.glob(path.name + ".corrupt-*"))) == 1
        # Logged once, with its path.
        assert sum(f"record {path} " in line for line in caplog.text.splitlines()) == 1
    code, answer = await call(jp_fetch, "GET", "jobs", BAD_ID.format(0))
    assert code == 404 and "No save with ID" in answer["message"]
    code, job = await call(jp_fetch, "GET", "jobs", good_id)
    assert code == 200 and job["name"] == "old-env"
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    listed = run_cli(state_dir, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {item["id"] for item in json.loads(listed.stdout)["jobs"]} == {good_id, job["id"]}


# -- 8. a state directory with no room ---------------------------------------------------------
def leftovers(state_dir: Path) -> list[str]:
    """Temporary files a write left behind."""
    return [
        str(path)
        for path in state_dir.rglob("*")
        if (path.name.startswith(".") and path.name != ".changes") or path.parent.name == "tmp"
    ]


async def test_a_full_state_dir_refuses_the_save_before_create_image(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path
) -> None:
    with tmpfs(state_dir, size="1m"):
        filler = state_dir / "filler"
        with open(filler, "wb") as handle:
            handle.write(b"\1" * (1024 - 32) * 1024)  # 32 KB left
        code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
        assert code == 507, answer
        assert str(state_dir) in answer["message"] and "Free some space" in answer["message"]
        assert modelarts_env.count("create_image") == 0
        assert leftovers(state_dir) == []
        filler.unlink()
        code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
        assert code == 201, job
        await wait_for_status(jp_fetch, job["id"], {"ACTIVE"})
        assert modelarts_env.count("create_image") == 1


async def test_a_manifest_copy_that_fails_after_create_image_loses_nothing(
    jp_fetch: Any, modelarts_env: Emulator, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code, _now = await call(jp_fetch, "GET", "manifest", "now")  # the baseline is recorded
    assert code == 200
    manifests = state_dir / "manifests"
    baseline = (manifests / "baseline.json").read_bytes()
    with tmpfs(manifests, size="256k"):
        (manifests / "baseline.json").write_bytes(baseline)
        with contextlib.suppress(OSError), open(manifests / "filler", "wb") as handle:
            while True:  # until the disk is full (ENOSPC)
                handle.write(b"\1" * 4096)
                handle.flush()
        code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
        assert code == 201, job
        assert f"The manifest of image {job['id']} could not be kept" in caplog.text
        finished = await wait_for_status(jp_fetch, job["id"], {"ACTIVE"})
        assert finished["id"] == job["id"]
        assert JobStore(str(state_dir)).get(job["id"]) is not None  # on disk, not only in memory
        assert modelarts_env.count("create_image") == 1
        assert sorted(path.name for path in manifests.iterdir()) == ["baseline.json", "filler"]
    assert leftovers(state_dir) == []


# -- 9. credentials in conda channel URLs ------------------------------------------------------
SECRETS = ("SECRETPW", "SECRETTOKEN", "SECRETTOKEN2")


def conda_record(prefix: Path, name: str, channel: str) -> None:
    plant(
        prefix / "conda-meta" / f"{name}-1.0-0.json",
        json.dumps({"name": name, "version": "1.0", "build": "0", "channel": channel}),
    )


@pytest.fixture
def conda_root(tmp_path: Path) -> Path:
    root = tmp_path / "conda"
    conda_record(root, "privpkg", "https://user:SECRETPW@conda.example.com")
    conda_record(root, "tokpkg", "https://conda.example.com/t/SECRETTOKEN")
    conda_record(root, "mainpkg", "https://repo.anaconda.com/pkgs/main/linux-64")
    return root


@pytest.fixture
def conda_config(jp_server_config: dict[str, Any], conda_root: Path, tmp_path: Path) -> None:
    dpkg = plant(tmp_path / "dpkg-status", "")
    jp_server_config["ModelArtsSnapshot"].update(
        conda_roots=[str(conda_root)], dpkg_status=str(dpkg), changes_since=1_700_000_000.0
    )


async def test_channel_credentials_reach_no_answer_file_or_log(
    conda_config: None,
    jp_fetch: Any,
    conda_root: Path,
    state_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    code, now = await call(jp_fetch, "GET", "manifest", "now")  # records the baseline
    assert code == 200
    # Installed after the start: in the changes and the rebuild files.
    conda_record(conda_root, "newpkg", "https://conda.example.com/t/SECRETTOKEN2/extra/noarch")
    code, now = await call(jp_fetch, "GET", "manifest", "now")
    channels = {
        package["name"]: package["channel"]
        for env in now["manifest"]["conda"]
        for package in env["packages"]
    }
    # The secret goes, a mark says one is needed, and the URL still names the same channel.
    assert channels == {
        "privpkg": "https://<credentials>@conda.example.com",
        "tokpkg": "https://conda.example.com/t/<token>",
        "mainpkg": "https://repo.anaconda.com/pkgs/main",
        "newpkg": "https://conda.example.com/t/<token>/extra",
    }
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    texts = [json.dumps(now)]
    for part in ("manifest", "changes"):
        code, answer = await call(jp_fetch, "GET", "jobs", job["id"], part)
        assert code == 200
        texts.append(json.dumps(answer))
    response = await jp_fetch("modelarts-snapshot", "jobs", job["id"], "rebuild", "environment.yml")
    environment = response.body.decode()
    assert "  - https://conda.example.com/t/<token>/extra" in environment
    assert "<token> stand for credentials that were removed" in environment
    assert "  - newpkg=1.0" in environment
    texts.append(environment)
    for form in ("json", "conda"):
        result = run_cli(state_dir, "manifest", job["id"], "--format", form)
        assert result.returncode == 0, result.stderr
        texts += [result.stdout, result.stderr]
    files = [
        path for path in tmp_path.rglob("*") if path.is_file() and conda_root not in path.parents
    ]
    assert any(path.name == "baseline.json" for path in files)
    texts += [path.read_text(errors="replace") for path in files]
    texts.append(caplog.text)
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- 10. the smaller ones ----------------------------------------------------------------------
async def test_tool_configs_with_credentials_are_flagged(jp_fetch: Any, planted: Home) -> None:
    flagged = {
        plant(planted.home / ".config" / "pip" / "pip.conf",
              "[global]\nindex-url = https://user:SECRET@mirror.example/simple\n"): "pip-config",
        plant(planted.home / ".condarc",
              "channels:\n  - https://conda.example.com/t/SECRET/main\n"): "conda-config",
        plant(planted.home / ".npmrc",
              "//registry.example/:_authToken=SECRET\n"): "npm-config",
    }  # fmt: skip
    plant(
        planted.root / "etc" / "pip.conf", "[global]\nindex-url = https://mirror.example/simple\n"
    )
    report = await finished_report(jp_fetch)
    check = next(item for item in report["checks"] if item["id"] == "secrets")
    assert {item["path"]: item["kind"] for item in check["items"]} == {
        str(path): kind for path, kind in flagged.items()
    }
    assert "SECRET" not in json.dumps(report)


async def test_a_pip_cache_that_pip_does_not_empty_is_emptied(jp_fetch: Any, planted: Home) -> None:
    pip_cache = planted.home / ".cache" / "pip"
    # Not pip's layout: pip cache purge removes none of it.
    plant(pip_cache / "other-layout" / "a" / "entry.body")
    report = await finished_report(jp_fetch)
    assert caches(report) == {str(pip_cache): "pip"}
    code, result = await clean(jp_fetch, pip_cache)
    assert code == 200, result
    assert result["freed_bytes"] > 0 and files_under(pip_cache) == []
    _, after = await call(jp_fetch, "GET", "preflight")
    assert caches(after) == {}


async def test_an_image_id_in_any_case_finds_the_same_records(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    upper = job["id"].upper()
    for path in ((upper,), (upper, "manifest"), (upper, "changes")):
        code, answer = await call(jp_fetch, "GET", "jobs", *path)
        assert code == 200, (path, answer)
    response = await jp_fetch("modelarts-snapshot", "jobs", upper, "rebuild", "Dockerfile")
    assert response.code == 200 and "FROM " in response.body.decode()


def test_doctor_warns_of_credentials_in_the_config(
    modelarts_env: Emulator, state_dir: Path
) -> None:
    result = run_cli(state_dir, "doctor", "--ModelArtsSnapshot.secret_key=SECRETVALUE")
    assert "c.ModelArtsSnapshot.secret_key is set in a Jupyter config file" in result.stdout
    assert "SECRETVALUE" not in result.stdout + result.stderr
    answer = json.loads(
        run_cli(state_dir, "doctor", "--json", "--ModelArtsSnapshot.access_key=AK1").stdout
    )
    assert answer["credentials_in_config"] == ["access_key"]
    quiet = run_cli(state_dir, "doctor")
    assert "is set in a Jupyter config file" not in quiet.stdout


def test_store_reads_a_record_it_wrote(state_dir: Path) -> None:
    """The strict read accepts every record the store writes, messages included."""
    from jupyterlab_modelarts_snapshot.i18n import _
    from jupyterlab_modelarts_snapshot.models import ChangesSummary, LastError, ManagerCounts

    counts = ManagerCounts(added=1, removed=0, changed=2)
    job = Job(
        **{**good_record(BAD_ID.format(7), "nb"), "status": "CREATING",
           "finished_at": None, "status_message": _("Image {label} is {status}.", label="a:b", status="x")},
    )  # fmt: skip
    job.last_error = LastError(
        message=_("ModelArts did not answer in time."), at="t", request_id=None
    )
    job.changes_summary = ChangesSummary(pip=counts, conda=counts, apt=counts)
    JobStore(str(state_dir)).save(job)
    again = JobStore(str(state_dir)).get(job.id)
    assert again == job
