"""The pre-flight report through the REST API, on a prepared tree standing in for the container:
what a save adds, the caches and credential files it would carry, cleanup, and the checks that
refuse a save before anything reaches ModelArts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import GOOD, SAVE, as_json, call, finished_report, run_cli, run_cli_command

# Shaped like a Huawei Cloud key pair; made up, and must never appear in an answer or a log.
ACCESS_KEY = "HPUAZ7QK3M9WX2TB5R8N"
SECRET_KEY = "qK8vN2mX7pL4wR9tY3zB6cF1hJ5dS0aGeUiOoPlM"
PRIVATE_KEY_LINE = "MIIEowIBAAKCAQEAsecretmaterialthatmustneverleak"


@dataclass
class Tree:
    root: Path
    work: Path
    since: float
    added: list[Path]  # every file the save would add
    pip_cache: Path
    tmp: Path
    secrets: dict[str, str]  # path -> kind


def write(path: Path, size: int = 0, text: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text)
    else:
        path.write_bytes(os.urandom(size))
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    root = tmp_path / "container"
    home = root / "home" / "ma-user"
    work = home / "work"
    # What the instance's image already held: older than the container's start.
    write(root / "usr" / "lib" / "libbase.so", 200_000)
    write(home / ".bashrc", text="export PATH=$PATH:/opt/tools\n")
    since = time.time()
    time.sleep(0.05)
    added = [
        write(root / "opt" / "tools" / "tool.bin", 2_000_000),
        write(root / "etc" / "tool.conf", text="threads = 4\n"),
        write(root / "usr" / "lib" / "python3" / "site-packages" / "certifi" / "cacert.pem",
              text="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
        write(home / ".cache" / "pip" / "http-v2" / "a" / "b" / "blob.body", 3_000_000),
        write(home / ".cache" / "pip" / "wheels" / "ab" / "torch-2.3.1-cp39-none-any.whl", 1_000_000),
        write(root / "tmp" / "scratch" / "download.part", 500_000),
    ]  # fmt: skip
    secrets = {
        home / ".huaweicloud" / "credentials": (
            "huaweicloud-credentials",
            f"[default]\nak = {ACCESS_KEY}\nsk = {SECRET_KEY}\n",
        ),
        home / ".ssh" / "id_ed25519": (
            "private-key",
            f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PRIVATE_KEY_LINE}\n",
        ),
        home / "deploy" / "server.pem": (
            "private-key",
            f"-----BEGIN RSA PRIVATE KEY-----\n{PRIVATE_KEY_LINE}\n",
        ),
        home / ".bash_history": ("shell-history", f"export HUAWEICLOUD_SDK_SK={SECRET_KEY}\n"),
        home / ".git-credentials": ("git-credentials", "https://me:token@example.com\n"),
        home / "notes" / "keys.txt": ("access-key-pair", f"AK {ACCESS_KEY}\nSK {SECRET_KEY}\n"),
    }
    for path, (_, text) in secrets.items():
        added.append(write(path, text=text))
    added.append(write(home / ".ssh" / "id_ed25519.pub", text="ssh-ed25519 AAAA me\n"))
    # The work volume is never part of an image: none of this counts.
    write(work / "dataset.bin", 4_000_000)
    write(work / ".env", text=f"HUAWEICLOUD_SDK_AK={ACCESS_KEY}\n")
    return Tree(
        root=root, work=work, since=since, added=added,
        pip_cache=home / ".cache" / "pip", tmp=root / "tmp",
        secrets={str(path): kind for path, (kind, _) in secrets.items()},
    )  # fmt: skip


def allocated(paths: list[Path]) -> int:
    return sum(path.lstat().st_blocks * 512 for path in paths)


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], tree: Tree) -> dict[str, Any]:
    # The server walks the prepared tree as the container's filesystem.
    jp_server_config["ModelArtsSnapshot"].update(
        scan_root=str(tree.root), work_dir=str(tree.work), changes_since=tree.since
    )
    return jp_server_config


def check(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(item for item in report["checks"] if item["id"] == check_id)


async def test_the_estimate_counts_what_the_image_adds(
    jp_fetch: Any, tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    report = await finished_report(jp_fetch)
    assert report["state"] == "done" and report["partial"] is False
    assert report["estimate"] == {
        "files": len(tree.added),
        "bytes": allocated(tree.added),
        "limit_bytes": 35 * 1024**3,
    }
    assert report["progress"] == {"files": len(tree.added), "bytes": allocated(tree.added)}
    assert report["finished_at"] >= report["started_at"]
    # The biggest contributors are named by directory, most first.
    largest = [entry["path"] for entry in report["largest"]]
    assert largest[:2] == [str(tree.pip_cache), str(tree.root / "opt" / "tools")]
    assert not any(str(tree.work) in path for path in largest)
    assert str(tree.root / "usr" / "lib") not in largest  # only older files and a small pem
    assert [c["id"] for c in report["checks"]] == [
        "instance", "tag", "size", "caches", "secrets", "layers", "processes", "kernels",
    ]  # fmt: skip
    assert check(report, "size")["level"] == "ok"
    assert check(report, "instance")["level"] == "ok"
    assert check(report, "kernels")["level"] == "ok"
    assert check(report, "layers")["level"] == "ok"  # the first save in its lineage


async def test_caches_and_credentials_are_reported_by_path_and_kind_only(
    jp_fetch: Any, tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    report = await finished_report(jp_fetch)
    caches = check(report, "caches")
    assert caches["level"] == "info"  # 4.5 MB: worth knowing, not worth a warning
    listed = {item["path"]: item for item in caches["items"]}
    assert set(listed) == {str(tree.pip_cache), str(tree.tmp)}
    assert listed[str(tree.pip_cache)]["kind"] == "pip"
    assert listed[str(tree.pip_cache)]["bytes"] == allocated(
        [p for p in tree.added if tree.pip_cache in p.parents]
    )
    assert listed[str(tree.tmp)]["kind"] == "tmp"
    secrets = check(report, "secrets")
    assert secrets["level"] == "warn"
    assert "anyone who can pull the image can read them" in secrets["message"]
    assert {item["path"]: item["kind"] for item in secrets["items"]} == tree.secrets
    # Neither the certificate bundle, the public key nor anything in the work volume is listed.
    _, latest = await call(jp_fetch, "GET", "preflight")
    for text in (json.dumps(report), json.dumps(latest), caplog.text):
        for secret in (ACCESS_KEY, SECRET_KEY, PRIVATE_KEY_LINE, "token@example"):
            assert secret not in text


async def test_cleanup_frees_a_listed_cache_and_refuses_anything_else(
    jp_fetch: Any, tree: Tree
) -> None:
    report = await finished_report(jp_fetch)
    before = report["estimate"]["bytes"]
    everything = sorted(str(path) for path in tree.root.rglob("*"))
    for paths in (
        [str(tree.work)],
        [str(tree.work / "dataset.bin")],
        [str(tree.root / "etc")],
        ["/etc"],
        [str(tree.pip_cache / "wheels")],  # inside a listed cache, but not listed itself
        [str(tree.pip_cache), "/etc"],  # one bad path refuses the whole request
        [],
    ):
        code, answer = await call(jp_fetch, "POST", "preflight", "cleanup", body={"paths": paths})
        assert code == 400, paths
        assert answer["field"] == "paths"
        assert "Nothing was deleted" in answer["message"] or not paths
    assert sorted(str(path) for path in tree.root.rglob("*")) == everything

    pip_bytes = allocated([p for p in tree.added if tree.pip_cache in p.parents])
    code, result = await call(
        jp_fetch, "POST", "preflight", "cleanup", body={"paths": [str(tree.pip_cache)]}
    )
    assert code == 200, result
    assert result["freed_bytes"] == pip_bytes
    assert result["cleaned"][0]["path"] == str(tree.pip_cache)
    assert not [path for path in tree.pip_cache.rglob("*") if path.is_file()]
    assert (tree.work / "dataset.bin").exists() and (tree.root / "etc" / "tool.conf").exists()
    _, after = await call(jp_fetch, "GET", "preflight")
    assert after["estimate"]["bytes"] == before - pip_bytes
    remaining = check(after, "caches")["items"]
    assert [item["path"] for item in remaining] == [str(tree.tmp)]

    # /tmp has no tool of its own: its content is deleted, the directory stays.
    code, result = await call(
        jp_fetch, "POST", "preflight", "cleanup", body={"paths": [str(tree.tmp)]}
    )
    assert code == 200 and result["freed_bytes"] > 0
    assert tree.tmp.is_dir() and not list(tree.tmp.iterdir())
    _, after = await call(jp_fetch, "GET", "preflight")
    assert check(after, "caches")["level"] == "ok"


async def test_an_existing_tag_is_refused_with_409_and_nothing_is_sent(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.seed_image(name=GOOD["name"], namespace=GOOD["namespace"], tag=GOOD["tag"])
    modelarts_env.seed_image(name=GOOD["name"], namespace=GOOD["namespace"], tag="20261127-2")
    report = await finished_report(
        jp_fetch, {key: GOOD[key] for key in ("name", "namespace", "tag")}
    )
    tag = check(report, "tag")
    assert tag["level"] == "block"
    assert tag["items"][0]["kind"] == "proposed-tag"
    assert tag["items"][0]["name"] == "20261127-3"
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 409
    assert answer["check"] == "tag" and answer["field"] == "tag"
    assert "20261127-3" in answer["message"]
    assert modelarts_env.count("create_image") == 0
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "tag": "20261127-3"})
    assert code == 201, job


async def test_an_instance_not_running_blocks_the_report_and_the_save(
    jp_fetch: Any, modelarts_env: Emulator
) -> None:
    modelarts_env.configure(notebook_status="STOPPED")
    report = await finished_report(jp_fetch)
    assert check(report, "instance")["level"] == "block"
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert (code, answer["check"], answer["field"]) == (409, "instance", None)
    assert "STOPPED" in answer["message"]
    assert modelarts_env.count("create_image") == 0


@pytest.fixture
def tiny_limit(jp_server_config: dict[str, Any]) -> None:
    jp_server_config["ModelArtsSnapshot"]["image_size_limit_gb"] = 0.005  # about 5.4 MB


async def test_a_size_block_refuses_the_save_unless_forced(
    tiny_limit: None, jp_fetch: Any, modelarts_env: Emulator
) -> None:
    report = await finished_report(jp_fetch)
    size = check(report, "size")
    assert size["level"] == "block", size
    # The lighter way back is offered for the pip and conda part.
    assert "restore script on the work volume" in size["message"]
    code, answer = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert (code, answer["check"]) == (409, "size")
    assert "force" in answer["message"]
    assert modelarts_env.count("create_image") == 0
    code, answer = await call(jp_fetch, "POST", "jobs", body={**GOOD, "force": "yes"})
    assert (code, answer["field"]) == (400, "force")
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "force": True})
    assert code == 201, job
    sent = modelarts_env.images()[-1]
    assert "force" not in json.dumps(sent)


async def test_tabs_share_one_walk_and_a_finished_one_is_reused(jp_fetch: Any) -> None:
    answers = await asyncio.gather(
        *(call(jp_fetch, "POST", "preflight", body={}) for _ in range(5))
    )
    assert {code for code, _ in answers} == {202}
    assert len({report["started_at"] for _, report in answers}) == 1
    first = await finished_report(jp_fetch)
    again = await finished_report(jp_fetch)
    assert again["started_at"] == first["started_at"] and again["state"] == "done"


async def test_no_report_yet_is_404_and_bad_bodies_are_400(jp_fetch: Any) -> None:
    code, answer = await call(jp_fetch, "GET", "preflight")
    assert code == 404 and "POST modelarts-snapshot/preflight" in answer["message"]
    code, answer = await call(jp_fetch, "POST", "preflight", body={"name": "Bad Name"})
    assert (code, answer["field"]) == (400, "name")
    code, answer = await call(jp_fetch, "POST", "preflight", body={"size": 1})
    assert (code, answer["field"]) == (400, "size")
    code, answer = await call(jp_fetch, "POST", "preflight", raw=b"null")
    assert (code, answer["field"]) == (400, "body")
    code, answer = await call(jp_fetch, "POST", "preflight", "cleanup", body={"paths": ["/tmp"]})
    assert code == 400 and "POST modelarts-snapshot/preflight" in answer["message"]


@pytest.fixture
def slow_walk(jp_server_config: dict[str, Any]) -> None:
    # A big real tree and a time limit far below what walking it takes.
    jp_server_config["ModelArtsSnapshot"].update(scan_root="/usr", scan_timeout=0.1)


async def test_a_walk_that_hits_the_time_limit_ends_done_and_partial(
    slow_walk: None, jp_fetch: Any
) -> None:
    report = await finished_report(jp_fetch)
    assert report["state"] == "done" and report["partial"] is True
    assert "lower bound" in check(report, "size")["message"]


@dataclass
class Gate:
    """While ``path`` exists, every ``find`` the walk starts waits: a walk as slow as a big
    container's, held open for as long as a test needs it."""

    path: Path

    def open(self) -> None:
        self.path.unlink()


@pytest.fixture
def held_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Gate:
    gate = tmp_path / "walk-gate"
    gate.touch()
    shims = tmp_path / "bin"
    shims.mkdir()
    find = shims / "find"
    real = subprocess.run(["sh", "-c", "command -v find"], capture_output=True, text=True)
    find.write_text(
        f"#!/bin/sh\nwhile [ -e '{gate}' ]; do sleep 0.05; done\nexec {real.stdout.strip()} \"$@\"\n"
    )
    find.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    return Gate(gate)


async def test_save_now_skips_the_size_check_while_the_walk_runs(
    held_walk: Gate, tiny_limit: None, jp_fetch: Any, modelarts_env: Emulator
) -> None:
    code, report = await call(jp_fetch, "POST", "preflight", body={})
    assert (code, report["state"]) == (202, "running")
    # A true/false switch, like force.
    code, answer = await call(jp_fetch, "POST", "jobs", body={**GOOD, "skip_size_check": 1})
    assert (code, answer["field"]) == (400, "skip_size_check")
    # The instance is still checked first.
    modelarts_env.configure(notebook_status="STOPPED")
    code, answer = await call(jp_fetch, "POST", "jobs", body={**GOOD, "skip_size_check": True})
    assert (code, answer["check"]) == (409, "instance")
    modelarts_env.configure(notebook_status="RUNNING")
    assert modelarts_env.count("create_image") == 0
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "skip_size_check": True})
    assert code == 201, job
    assert job["size_check_skipped"] is True
    assert modelarts_env.count("create_image") == 1
    assert "skip_size_check" not in json.dumps(modelarts_env.images()[-1])
    code, report = await call(jp_fetch, "GET", "preflight")
    assert report["state"] == "running"  # the save did not wait for it
    code, recorded = await call(jp_fetch, "GET", "jobs", job["id"])
    assert recorded["size_check_skipped"] is True
    held_walk.open()
    report = await finished_report(jp_fetch)
    assert check(report, "size")["level"] == "block"  # what the save did not wait for


async def test_save_now_passes_a_size_block_but_not_a_taken_tag(
    tiny_limit: None, jp_fetch: Any, modelarts_env: Emulator
) -> None:
    report = await finished_report(jp_fetch)
    assert check(report, "size")["level"] == "block"
    modelarts_env.seed_image(name=GOOD["name"], namespace=GOOD["namespace"], tag="taken")
    code, answer = await call(
        jp_fetch, "POST", "jobs", body={**GOOD, "tag": "taken", "skip_size_check": True}
    )
    assert (code, answer["check"]) == (409, "tag")
    assert modelarts_env.count("create_image") == 0
    code, job = await call(jp_fetch, "POST", "jobs", body={**GOOD, "skip_size_check": True})
    assert code == 201 and job["size_check_skipped"] is True, job


# -- the CLI ----------------------------------------------------------------------------------
def tree_args(tree: Tree) -> list[str]:
    return [
        f"--ModelArtsSnapshot.scan_root={tree.root}",
        f"--ModelArtsSnapshot.work_dir={tree.work}",
        f"--ModelArtsSnapshot.changes_since={tree.since}",
    ]


def test_cli_check_prints_the_report(modelarts_env: Emulator, state_dir: Path, tree: Tree) -> None:
    result = run_cli(state_dir, "preflight", *tree_args(tree))
    assert result.returncode == 0, result.stderr
    assert f"{tree.pip_cache}  (pip," in result.stdout
    for path, kind in tree.secrets.items():
        assert f"{path}  ({kind})" in result.stdout
    answer = as_json(run_cli(state_dir, "preflight", "--json", *tree_args(tree)))
    assert answer["estimate"]["files"] == len(tree.added)
    for text in (result.stdout, result.stderr, json.dumps(answer)):
        assert ACCESS_KEY not in text and SECRET_KEY not in text


def test_cli_save_stops_on_a_block_unless_forced(
    modelarts_env: Emulator, state_dir: Path, tree: Tree
) -> None:
    modelarts_env.seed_image(name="cli-env", namespace="atelier-auto", tag="v1.0")
    result = run_cli(state_dir, *SAVE, *tree_args(tree))
    assert result.returncode == 8
    assert "[block] tag" in result.stderr and "'v1.0-2'" in result.stderr
    tiny = "--ModelArtsSnapshot.image_size_limit_gb=0.005"
    save = [*SAVE[:-1], "v1.0-2", *tree_args(tree), tiny]
    result = run_cli(state_dir, *save)
    assert result.returncode == 8 and "[block] size" in result.stderr
    assert modelarts_env.count("create_image") == 0
    result = run_cli(state_dir, *save, "--force")
    assert result.returncode == 0, result.stderr
    assert modelarts_env.count("create_image") == 1


def test_cli_clean_asks_first(modelarts_env: Emulator, state_dir: Path, tree: Tree) -> None:
    before = sorted(tree.root.rglob("*"))
    command = [*run_cli_command(state_dir, "cleanup", *tree_args(tree))]
    refused = subprocess.run(command, input="n\n", capture_output=True, text=True, timeout=60)
    assert refused.returncode == 0 and "Nothing was deleted." in refused.stdout
    assert str(tree.pip_cache) in refused.stdout and str(tree.tmp) in refused.stdout
    assert sorted(tree.root.rglob("*")) == before
    result = run_cli(state_dir, "cleanup", "--yes", *tree_args(tree))
    assert result.returncode == 0, result.stderr
    assert "Cleaned" in result.stdout
    assert not [path for path in tree.pip_cache.rglob("*") if path.is_file()]
    assert not list(tree.tmp.iterdir())
    assert (tree.work / "dataset.bin").exists()
    assert all(Path(path).exists() for path in tree.secrets)  # credentials are the user's to move


def test_cli_save_now_does_not_wait_for_the_walk(
    modelarts_env: Emulator, state_dir: Path, tree: Tree, held_walk: Gate
) -> None:
    tiny = "--ModelArtsSnapshot.image_size_limit_gb=0.005"
    result = run_cli(state_dir, *SAVE, *tree_args(tree), tiny, "--now", timeout=30)
    assert result.returncode == 0, result.stderr
    assert "The size check is skipped (--now)" in result.stderr
    assert "size:     not checked" in result.stdout
    assert modelarts_env.count("create_image") == 1
    answer = as_json(run_cli(state_dir, "list", "--json"))
    assert answer["jobs"][0]["size_check_skipped"] is True
