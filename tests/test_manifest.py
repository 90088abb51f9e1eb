"""What an image holds, through the REST API: a real venv changed after the baseline, a dpkg
status file, a lineage left by an earlier save, and the rebuild files made from them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyterlab_modelarts_snapshot.emulator.models import BUILT_IN_IMAGES

from conftest import Emulator
from helpers import GOOD, call, run_cli

DPKG_BEFORE = """Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.81.0-1ubuntu1.15

Package: git
Status: install ok installed
Architecture: amd64
Version: 1:2.34.1-1ubuntu1.10

Package: removed-long-ago
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
"""
DPKG_AFTER = (
    DPKG_BEFORE.replace("1:2.34.1-1ubuntu1.10", "1:2.34.1-1ubuntu1.11")
    + """
Package: htop
Status: install ok installed
Architecture: amd64
Version: 3.0.5-7build2
"""
)


def make_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel, so that pip installs it with no index."""
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@dataclass
class Venv:
    python: Path
    prefix: Path
    wheels: Path

    def pip(self, *args: str) -> None:
        subprocess.run(
            [str(self.python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
            check=True,
            capture_output=True,
        )

    @classmethod
    def create(cls, folder: Path) -> Venv:
        """A new venv in ``folder``/venv, with a folder of wheels beside it."""
        prefix = folder / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
        wheels = folder / "wheels"
        wheels.mkdir()
        return cls(python=prefix / "bin" / "python", prefix=prefix, wheels=wheels)

    def install(self, name: str, version: str) -> None:
        """Install by name from a folder of wheels (as from an index: pip records no direct
        URL for it, so the rebuild files pin it)."""
        make_wheel(self.wheels, name, version)
        self.pip(
            "install", "--no-index", "--no-deps", "--find-links", str(self.wheels),
            f"{name}=={version}",
        )  # fmt: skip


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    env = Venv.create(tmp_path)
    for name in ("mstest-alpha", "mstest-beta", "mstest-gamma"):
        env.install(name, "1.0")
    return env


@pytest.fixture
def dpkg_status(tmp_path: Path) -> Path:
    path = tmp_path / "dpkg-status"
    path.write_text(DPKG_BEFORE)
    return path


@pytest.fixture
def manifest_dir(tmp_path: Path) -> Path:
    return tmp_path / "container" / "home" / "ma-user" / ".modelarts-snapshot"


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], venv: Venv, dpkg_status: Path, manifest_dir: Path
) -> dict[str, Any]:
    jp_server_config["ModelArtsSnapshot"].update(
        python_envs=[str(venv.python)],
        dpkg_status=str(dpkg_status),
        manifest_dir=str(manifest_dir),
        conda_roots=[],
        changes_since=1_700_000_000.0,
    )
    return jp_server_config


def pip_changes(changes: dict[str, Any], venv: Venv) -> dict[str, list[Any]]:
    """The pip part of the changes for the test's venv only."""
    prefix = str(venv.prefix)
    return {
        kind: [
            {key: value for key, value in item.items() if key != "env"}
            for item in items
            if item["env"] == prefix
        ]
        for kind, items in changes["pip"].items()
    }


async def test_changes_since_the_baseline_and_the_rebuild_files(
    jp_fetch: Any,
    venv: Venv,
    dpkg_status: Path,
    manifest_dir: Path,
    modelarts_env: Emulator,
    state_dir: Path,
) -> None:
    code, now = await call(jp_fetch, "GET", "manifest", "now")  # waits for the baseline
    assert code == 200
    assert now["changes"]["parent"] == "baseline" and now["depth"] == 1
    assert pip_changes(now["changes"], venv) == {"added": [], "removed": [], "changed": []}

    venv.install("mstest-delta", "1.0")
    venv.install("mstest-alpha", "2.0")
    venv.pip("uninstall", "-y", "mstest-gamma")
    dpkg_status.write_text(DPKG_AFTER)

    code, now = await call(jp_fetch, "GET", "manifest", "now")
    assert pip_changes(now["changes"], venv) == {
        "added": [{"name": "mstest-delta", "version": "1.0"}],
        "removed": [{"name": "mstest-gamma", "version": "1.0"}],
        "changed": [{"name": "mstest-alpha", "old": "1.0", "new": "2.0"}],
    }
    apt = now["changes"]["apt"]
    assert apt["added"] == [{"env": "", "name": "htop", "version": "3.0.5-7build2"}]
    assert apt["changed"] == [
        {"env": "", "name": "git", "old": "1:2.34.1-1ubuntu1.10", "new": "1:2.34.1-1ubuntu1.11"}
    ]
    assert apt["removed"] == []
    env = next(e for e in now["manifest"]["python"] if e["prefix"] == str(venv.prefix))
    assert env["version"] == ".".join(str(part) for part in sys.version_info[:3])

    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    summary = job["changes_summary"]
    assert summary["apt"] == {"added": 1, "removed": 0, "changed": 1}
    assert summary["conda"] == {"added": 0, "removed": 0, "changed": 0}
    assert summary["pip"]["added"] >= 1 and summary["pip"]["changed"] >= 1

    # In the container, outside the work volume: the image holds them.
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    lineage = json.loads((manifest_dir / "lineage.json").read_text())
    assert lineage[-1]["image_id"] == job["id"]
    assert lineage[-1]["label"] == f"{GOOD['name']}:{GOOD['tag']}"
    # The image the instance runs on, as ShowNotebook gives it (the emulator's first built-in).
    assert manifest["image"]["id"] == BUILT_IN_IMAGES[0][0]
    assert BUILT_IN_IMAGES[0][1] in manifest["image"]["swr_path"]

    code, kept = await call(jp_fetch, "GET", "jobs", job["id"], "manifest")
    assert code == 200 and kept == manifest
    code, diff = await call(jp_fetch, "GET", "jobs", job["id"], "changes")
    assert pip_changes(diff, venv)["changed"] == [
        {"name": "mstest-alpha", "old": "1.0", "new": "2.0"}
    ]
    assert diff["lineage"] == lineage

    requirements = await download(jp_fetch, job["id"], "requirements.txt")
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert "mstest-alpha==2.0" in pins and "mstest-delta==1.0" in pins
    assert not any(pin.startswith("mstest-gamma") or pin.startswith("mstest-beta") for pin in pins)

    dockerfile = await download(jp_fetch, job["id"], "Dockerfile")
    assert_dockerfile_pins_only_real_versions(dockerfile, manifest)
    assert f"FROM {manifest['image']['swr_path']}" in dockerfile
    assert "htop=3.0.5-7build2" in dockerfile and "git=1:2.34.1-1ubuntu1.11" in dockerfile
    assert f"{venv.python} -m pip install" in dockerfile

    environment = await download(jp_fetch, job["id"], "environment.yml")
    assert "      - mstest-alpha==2.0" in environment.splitlines()

    # The CLI gives the same files and the changes in words.
    cli = run_cli(state_dir, "manifest", job["id"], "--format", "dockerfile")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == dockerfile
    cli = run_cli(state_dir, "manifest", job["id"], "--changes")
    assert "pip ~ mstest-alpha 1.0 -> 2.0" in cli.stdout
    assert "apt + htop 3.0.5-7build2" in cli.stdout


async def download(jp_fetch: Any, image_id: str, name: str) -> str:
    response = await jp_fetch("modelarts-snapshot", "jobs", image_id, "rebuild", name)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.headers["Content-Type"].startswith("text/plain")
    text: str = response.body.decode()
    return text


def assert_dockerfile_pins_only_real_versions(dockerfile: str, manifest: dict[str, Any]) -> None:
    """Parse the Dockerfile without Docker: every package a RUN line installs is pinned to a
    version the manifest records for that manager and environment."""
    apt = {(p["name"], p["version"]) for p in manifest["apt"]}
    pythons = {
        env["python"]: {(p["name"], p["version"]) for p in env["packages"]}
        for env in manifest["python"]
    }
    lines = [line for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert lines, dockerfile
    for line in lines:
        if "apt-get install" in line:
            packages = line.split("--no-install-recommends", 1)[1].split("&&", 1)[0].split()
            for package in packages:
                name, _, version = package.partition("=")
                assert (name, version) in apt, package
        elif " -m pip install " in line:
            python = line.split()[1]
            packages = line.split("--no-cache-dir", 1)[1].split()
            for package in packages:
                name, _, version = package.partition("==")
                assert (name, version) in pythons[python], package
        else:
            raise AssertionError(f"unexpected RUN line: {line}")


PARENT_LINEAGE = [
    {
        "image_id": f"{index:08x}-0000-4000-8000-000000000000",
        "label": f"pytorch-env:v{index}",
        "created_at": "2026-11-01T00:00:00Z",
        "swr_path": f"swr.cn-north-4.myhuaweicloud.com/atelier-auto/pytorch-env:v{index}",
        "parent": None,
        "packages": {"pip": 3, "conda": 0, "apt": 2},
    }
    for index in range(1, 10)
]


def installed(venv: Venv) -> list[tuple[str, str]]:
    """(name, version) of each distribution in the venv, read from its dist-info folders."""
    found = []
    for folder in venv.prefix.glob("lib/python*/site-packages/*.dist-info"):
        name, version = folder.name[: -len(".dist-info")].rsplit("-", 1)
        found.append((re.sub(r"[-_.]+", "-", name).lower(), version))
    return found


@pytest.fixture
def earlier_save(manifest_dir: Path, venv: Venv) -> None:
    """What an earlier save left in the image this instance started from."""
    manifest_dir.mkdir(parents=True)
    parent = {
        "schema": 1,
        "python": [
            {
                "python": str(venv.python),
                "prefix": str(venv.prefix),
                "version": "3",
                "kernels": [],
                # The venv as it is, but with an older alpha and without gamma.
                "packages": [
                    {
                        "name": name,
                        "version": "0.9" if name == "mstest-alpha" else version,
                        "installer": "pip",
                    }
                    for name, version in installed(venv)
                    if name != "mstest-gamma"
                ],
            }
        ],
        "conda": [],
        "apt": [{"name": "curl", "version": "7.81.0-1ubuntu1.15", "arch": "amd64"}],
        "image": None,
    }
    (manifest_dir / "manifest.json").write_text(json.dumps(parent))
    (manifest_dir / "lineage.json").write_text(json.dumps(PARENT_LINEAGE))


async def test_a_lineage_gives_the_parent_and_the_depth(
    earlier_save: None, jp_fetch: Any, venv: Venv, manifest_dir: Path
) -> None:
    code, now = await call(jp_fetch, "GET", "manifest", "now")
    assert code == 200
    assert now["changes"]["parent"] == "lineage"
    assert now["lineage"] == PARENT_LINEAGE and now["depth"] == 10
    assert pip_changes(now["changes"], venv) == {
        "added": [{"name": "mstest-gamma", "version": "1.0"}],
        "removed": [],
        "changed": [{"name": "mstest-alpha", "old": "0.9", "new": "1.0"}],
    }
    assert [item["name"] for item in now["changes"]["apt"]["added"]] == ["git"]

    code, report = await call(jp_fetch, "POST", "preflight", body={})
    layers = next(check for check in report["checks"] if check["id"] == "layers")
    assert layers["level"] == "warn"
    assert "number 10" in layers["message"] and "Dockerfile" in layers["message"]

    code, job = await call(jp_fetch, "POST", "jobs", body=GOOD)
    assert code == 201, job
    lineage = json.loads((manifest_dir / "lineage.json").read_text())
    assert lineage[:-1] == PARENT_LINEAGE and lineage[-1]["image_id"] == job["id"]


async def test_a_save_without_a_record_has_no_manifest(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("modelarts-snapshot", "jobs", "not-a-save", "manifest")
    assert raised.value.code == 404
    assert raised.value.response is not None
    assert "GET modelarts-snapshot/jobs" in json.loads(raised.value.response.body)["message"]
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("modelarts-snapshot", "jobs", "x", "rebuild", "Makefile")
    assert raised.value.code == 404
