"""What an image holds, in text: the environment manifest, the changes since the image it
started from, the files that rebuild it, and its lineage of saves.

Everything here reads files (dist-info folders, ``conda-meta``, the dpkg status file); the only
process it starts asks each Python where its packages live. It runs off the event loop.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .models import ChangesSummary, ManagerCounts, iso_now
from .redaction import redact_url
from .rules import canonical_id

MANAGERS = ("pip", "conda", "apt")
# The platform subdirectories a conda channel URL can end in.
CONDA_SUBDIRS = frozenset(
    {"noarch", "linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "linux-32",
     "osx-64", "osx-arm64", "win-64", "win-32"}
)  # fmt: skip
# What a Python says about itself, in one short process (-I: no user site, no PYTHON* variables).
_ASK_PYTHON = (
    "import json, sys, sysconfig, site; "
    "paths = [sysconfig.get_paths()['purelib'], sysconfig.get_paths()['platlib']]; "
    "print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], 'prefix': sys.prefix, "
    "'paths': paths}))"
)
_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.(?:dist-info|egg-info)$")


def canonical(name: str) -> str:
    """A distribution's name as pip compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- reading the environment -------------------------------------------------------------------
def os_release(path: str) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for line in text.splitlines():
        key, _sep, value = line.partition("=")
        if key in ("ID", "VERSION_ID", "PRETTY_NAME"):
            values[key.lower()] = value.strip().strip('"')
    return values


def dpkg_packages(path: str) -> list[dict[str, str]]:
    """Installed Debian/Ubuntu packages from dpkg's status file."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    packages = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                key, _sep, value = line.partition(":")
                fields[key] = value.strip()
        if fields.get("Package") and fields.get("Status", "").endswith(" installed"):
            packages.append(
                {
                    "name": fields["Package"],
                    "version": fields.get("Version", ""),
                    "arch": fields.get("Architecture", ""),
                }
            )
    return sorted(packages, key=lambda package: package["name"])


def python_environment(python: str, kernels: list[str]) -> dict[str, Any] | None:
    """One Python's version and the distributions it has, with who installed each."""
    try:
        answer = subprocess.run(
            [python, "-I", "-c", _ASK_PYTHON], capture_output=True, text=True, timeout=30
        )
        about = json.loads(answer.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    packages: dict[str, dict[str, str]] = {}
    for folder in dict.fromkeys(about["paths"]):
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                found = _DIST_INFO.match(entry.name)
                if not found:
                    continue
                installer = _read(os.path.join(entry.path, "INSTALLER")).strip() or "pip"
                name = canonical(found.group("name"))
                packages.setdefault(
                    name,
                    {
                        "name": name,
                        "version": found.group("version"),
                        "installer": "conda" if installer == "conda" else "pip",
                    },
                )
    return {
        "python": python,
        "prefix": about["prefix"],
        "version": about["version"],
        "kernels": kernels,
        "packages": sorted(packages.values(), key=lambda package: package["name"]),
    }


def conda_environment(prefix: str) -> dict[str, Any] | None:
    """A conda env's packages, from its ``conda-meta`` records."""
    meta = Path(prefix) / "conda-meta"
    if not meta.is_dir():
        return None
    packages = []
    for record in meta.glob("*.json"):
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("name"):
            packages.append(
                {
                    "name": str(data["name"]),
                    "version": str(data.get("version", "")),
                    "build": str(data.get("build", "")),
                    "channel": channel_url(str(data.get("channel", ""))),
                }
            )
    return {"prefix": prefix, "packages": sorted(packages, key=lambda package: package["name"])}


def channel_url(channel: str) -> str:
    """A conda-meta channel as a channel to install from: its URL (or name) without the
    platform subdirectory and without any credential it carried."""
    channel = redact_url(channel).rstrip("/")
    head, _sep, last = channel.rpartition("/")
    return head if head and last in CONDA_SUBDIRS else channel


def redact_channels(manifest: Any) -> Any:
    """A stored manifest (an older version's may hold channel credentials) made safe to serve."""
    envs = manifest.get("conda") if isinstance(manifest, dict) else None
    for env in envs if isinstance(envs, list) else []:
        packages = env.get("packages") if isinstance(env, dict) else None
        for package in packages if isinstance(packages, list) else []:
            if isinstance(package, dict) and isinstance(package.get("channel"), str):
                package["channel"] = channel_url(package["channel"])
    return manifest


def conda_prefixes(roots: Iterable[str], pythons: Iterable[dict[str, Any]]) -> list[str]:
    """Every conda env: each root and its ``envs/*``, and the prefix of each Python seen."""
    found: list[str] = []
    for root in roots:
        if (Path(root) / "conda-meta").is_dir():
            found.append(root)
            found += sorted(str(env) for env in (Path(root) / "envs").glob("*") if env.is_dir())
    found += [env["prefix"] for env in pythons if (Path(env["prefix"]) / "conda-meta").is_dir()]
    return list(dict.fromkeys(found))


def gpu_versions(cuda_home: str) -> dict[str, str | None]:
    """CUDA, cuDNN and the NVIDIA driver, where present."""
    cuda = None
    version_json = _read(os.path.join(cuda_home, "version.json"))
    if version_json:
        try:
            cuda = json.loads(version_json).get("cuda", {}).get("version")
        except ValueError:
            cuda = None
    if cuda is None:
        found = re.search(r"CUDA Version ([\d.]+)", _read(os.path.join(cuda_home, "version.txt")))
        cuda = found.group(1) if found else None
    cudnn = None
    for header in (
        os.path.join(cuda_home, "include", "cudnn_version.h"),
        "/usr/include/cudnn_version.h",
        "/usr/include/x86_64-linux-gnu/cudnn_version.h",
    ):
        text = _read(header)
        parts = [
            re.search(rf"#define CUDNN_{key}\s+(\d+)", text)
            for key in ("MAJOR", "MINOR", "PATCHLEVEL")
        ]
        if all(parts):
            cudnn = ".".join(part.group(1) for part in parts if part)
            break
    driver = re.search(r"Kernel Module\s+([\d.]+)", _read("/proc/driver/nvidia/version"))
    return {"cuda": cuda, "cudnn": cudnn, "driver": driver.group(1) if driver else None}


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(1 << 20)
    except OSError:
        return ""


def collect(
    pythons: dict[str, list[str]],
    conda_roots: Iterable[str],
    dpkg_status: str,
    os_release_path: str,
    cuda_home: str,
    image: dict[str, Any] | None,
) -> dict[str, Any]:
    """The manifest: ``pythons`` maps each interpreter to the kernels that run on it."""
    environments = [
        env
        for env in (python_environment(python, kernels) for python, kernels in pythons.items())
        if env is not None
    ]
    conda = [
        env
        for env in (
            conda_environment(prefix) for prefix in conda_prefixes(conda_roots, environments)
        )
        if env is not None
    ]
    return {
        "schema": 1,
        "created_at": iso_now(),
        "os": os_release(os_release_path),
        "python": environments,
        "conda": conda,
        "apt": dpkg_packages(dpkg_status),
        "gpu": gpu_versions(cuda_home),
        "image": image,
    }


# -- comparing -----------------------------------------------------------------------------------
def _versions(manifest: dict[str, Any], manager: str) -> dict[tuple[str, str], str]:
    """(environment, name) -> version for one manager."""
    if manager == "apt":
        return {("", package["name"]): package["version"] for package in manifest.get("apt", [])}
    if manager == "conda":
        return {
            (env["prefix"], package["name"]): package["version"]
            for env in manifest.get("conda", [])
            for package in env["packages"]
        }
    return {
        (env["prefix"], package["name"]): package["version"]
        for env in manifest.get("python", [])
        for package in env["packages"]
        if package.get("installer") != "conda"  # conda's own are counted once, as conda's
    }


def changes(parent: dict[str, Any], current: dict[str, Any], parent_kind: str) -> dict[str, Any]:
    """Per manager, what was added, removed and changed (old -> new) since ``parent``."""
    result: dict[str, Any] = {"parent": parent_kind}
    for manager in MANAGERS:
        before, after = _versions(parent, manager), _versions(current, manager)
        result[manager] = {
            "added": [
                {"env": env, "name": name, "version": after[(env, name)]}
                for env, name in sorted(after.keys() - before.keys())
            ],
            "removed": [
                {"env": env, "name": name, "version": before[(env, name)]}
                for env, name in sorted(before.keys() - after.keys())
            ],
            "changed": [
                {"env": env, "name": name, "old": before[(env, name)], "new": after[(env, name)]}
                for env, name in sorted(before.keys() & after.keys())
                if before[(env, name)] != after[(env, name)]
            ],
        }
    return result


def summary(diff: dict[str, Any]) -> ChangesSummary:
    counts = {
        manager: ManagerCounts(
            added=len(diff[manager]["added"]),
            removed=len(diff[manager]["removed"]),
            changed=len(diff[manager]["changed"]),
        )
        for manager in MANAGERS
    }
    return ChangesSummary(**counts)


# -- rebuild files -------------------------------------------------------------------------------
def _installs(diff: dict[str, Any], manager: str) -> dict[str, list[tuple[str, str]]]:
    """Per environment, the (name, version) pairs to install: added and changed."""
    by_env: dict[str, list[tuple[str, str]]] = {}
    for item in diff[manager]["added"]:
        by_env.setdefault(item["env"], []).append((item["name"], item["version"]))
    for item in diff[manager]["changed"]:
        by_env.setdefault(item["env"], []).append((item["name"], item["new"]))
    return {env: sorted(pairs) for env, pairs in by_env.items()}


def _python_of(manifest: dict[str, Any], prefix: str) -> str:
    return next(
        (env["python"] for env in manifest.get("python", []) if env["prefix"] == prefix),
        f"{prefix}/bin/python",
    )


def dockerfile(manifest: dict[str, Any], diff: dict[str, Any], label: str) -> str:
    image = manifest.get("image") or {}
    base = image.get("swr_path") or image.get("name") or "REPLACE-WITH-THE-BASE-IMAGE"
    lines = [
        f"# Rebuilds {label} without its stack of saved layers: the image it started from, then",
        "# what was installed since, each pinned. Made by jupyterlab-modelarts-snapshot.",
        f"FROM {base}",
    ]
    apt = _installs(diff, "apt").get("", [])
    if apt:
        pins = " ".join(f"{name}={version}" for name, version in apt)
        lines += [
            "USER root",
            "RUN apt-get update && apt-get install -y --no-install-recommends "
            f"{pins} && rm -rf /var/lib/apt/lists/*",
            "USER ma-user",
        ]
    for prefix, pairs in _installs(diff, "conda").items():
        pins = " ".join(f"{name}={version}" for name, version in pairs)
        lines.append(f"RUN conda install --yes --prefix {prefix} {pins}")
    for prefix, pairs in _installs(diff, "pip").items():
        pins = " ".join(f"{name}=={version}" for name, version in pairs)
        lines.append(f"RUN {_python_of(manifest, prefix)} -m pip install --no-cache-dir {pins}")
    removed = [item["name"] for manager in MANAGERS for item in diff[manager]["removed"]]
    if removed:
        lines.append(f"# Removed since the parent, not undone here: {', '.join(removed)}")
    return "\n".join(lines) + "\n"


def requirements(manifest: dict[str, Any], diff: dict[str, Any]) -> str:
    lines = ["# pip packages added or upgraded since the parent image, pinned."]
    for prefix, pairs in _installs(diff, "pip").items():
        lines.append(f"# {_python_of(manifest, prefix)}")
        lines += [f"{name}=={version}" for name, version in pairs]
    return "\n".join(lines) + "\n"


def environment_yml(manifest: dict[str, Any], diff: dict[str, Any], name: str) -> str:
    conda = _installs(diff, "conda")
    pip = _installs(diff, "pip")
    channels = sorted(
        {
            package["channel"]
            for env in manifest.get("conda", [])
            for package in env["packages"]
            if package.get("channel")
        }
    ) or ["defaults"]
    lines = [f"name: {name}", "channels:"] + [f"  - {channel}" for channel in channels]
    lines.append("dependencies:")
    for pairs in conda.values():
        lines += [f"  - {package}={version}" for package, version in pairs]
    if pip:
        lines += ["  - pip", "  - pip:"]
        for pairs in pip.values():
            lines += [f"      - {package}=={version}" for package, version in pairs]
    return "\n".join(lines) + "\n"


REBUILD_FILES = ("Dockerfile", "requirements.txt", "environment.yml")


def rebuild_file(kind: str, manifest: dict[str, Any], diff: dict[str, Any], label: str) -> str:
    if kind == "Dockerfile":
        return dockerfile(manifest, diff, label)
    if kind == "requirements.txt":
        return requirements(manifest, diff)
    return environment_yml(manifest, diff, label.split(":", 1)[0])


# -- files ---------------------------------------------------------------------------------------
def write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=1)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # a full disk leaves no half-written file behind
        raise


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def server_python() -> str:
    return sys.executable


class ImageRecords:
    """The manifests of this container: its baseline and parent, each save's, and the lineage.

    ``manifest_dir`` is inside the container and outside the work volume, so what is written
    there before a save goes into the image; each save's copy also stays with its job record in
    the state directory, on the work volume.
    """

    def __init__(
        self,
        settings: Any,
        pythons: Callable[[], dict[str, list[str]]] | None = None,
    ) -> None:
        self.settings = settings
        self.pythons = pythons or (lambda: {})
        self.dir = Path(settings.manifest_dir)
        self.state = Path(settings.state_dir) / "manifests"

    # -- this container's start: the baseline and the parent's records ------------------------
    def _stamp(self) -> str:
        return f"{self.settings.changes_since:.3f}"

    def start(self) -> dict[str, Any]:
        """Record, once per container start, the environment as it started and the parent's
        manifest and lineage found in it. Later calls read what was recorded."""
        path = self.state / "baseline.json"
        recorded = read_json(path)
        if isinstance(recorded, dict) and recorded.get("stamp") == self._stamp():
            redact_channels(recorded.get("baseline"))
            redact_channels(recorded.get("parent"))
            return recorded
        parent = redact_channels(read_json(self.dir / "manifest.json"))
        lineage = read_json(self.dir / "lineage.json")
        recorded = {
            "stamp": self._stamp(),
            "baseline": self.collect(None),
            "parent": parent if isinstance(parent, dict) else None,
            "lineage": lineage if isinstance(lineage, list) else [],
        }
        write_json(path, recorded)
        return recorded

    def collect(self, image: dict[str, Any] | None) -> dict[str, Any]:
        pythons: dict[str, list[str]] = {server_python(): []}
        for python, kernels in self.pythons().items():
            pythons.setdefault(python, []).extend(kernels)
        for python in self.settings.python_envs:
            pythons.setdefault(python, [])
        return collect(
            pythons,
            self.settings.conda_roots,
            self.settings.dpkg_status,
            self.settings.os_release,
            self.settings.cuda_home,
            image,
        )

    def parent(self) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
        """(the manifest to compare with, "lineage" or "baseline", the lineage so far)."""
        started = self.start()
        lineage = started["lineage"]
        if lineage and started["parent"]:
            return started["parent"], "lineage", lineage
        return started["baseline"], "baseline", lineage

    def now(self, image: dict[str, Any] | None) -> dict[str, Any]:
        """The live environment, what it adds to its parent, and the lineage so far."""
        parent, kind, lineage = self.parent()
        manifest = self.collect(image)
        diff = changes(parent, manifest, kind)
        return {"manifest": manifest, "changes": diff, "lineage": lineage}

    # -- a save --------------------------------------------------------------------------------
    def before_save(self, label: str, image: dict[str, Any] | None) -> dict[str, Any]:
        """Write the manifest and the lineage with this save appended into the container, just
        before create-image, so that the image holds them. The image ID is not known yet."""
        record = self.now(image)
        entry = {
            "image_id": None,
            "label": label,
            "created_at": iso_now(),
            "swr_path": None,
            "parent": (image or {}).get("swr_path"),
            "packages": {
                "pip": sum(
                    1
                    for env in record["manifest"]["python"]
                    for package in env["packages"]
                    if package["installer"] != "conda"
                ),
                "conda": sum(len(env["packages"]) for env in record["manifest"]["conda"]),
                "apt": len(record["manifest"]["apt"]),
            },
        }
        record["lineage"] = [*record["lineage"], entry]
        write_json(self.dir / "manifest.json", record["manifest"])
        write_json(self.dir / "changes.json", record["changes"])
        write_json(self.dir / "lineage.json", record["lineage"])
        return record

    def after_save(self, image_id: str, swr_path: str | None, record: dict[str, Any]) -> None:
        """The save is accepted: its ID goes into the lineage, and a copy stays with the job."""
        record["lineage"][-1].update(image_id=image_id, swr_path=swr_path)
        write_json(self.state / f"{canonical_id(image_id)}.json", record)
        # Best effort: ModelArts may already be committing the container.
        write_json(self.dir / "lineage.json", record["lineage"])

    def of_image(self, image_id: str) -> dict[str, Any] | None:
        record = read_json(self.state / f"{canonical_id(Path(image_id).name)}.json")
        if not isinstance(record, dict):
            return None
        redact_channels(record.get("manifest"))
        return record
