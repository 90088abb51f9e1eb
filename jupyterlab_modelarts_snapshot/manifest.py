"""What an image holds, in text: the environment manifest, the changes since the image it
started from, the files that rebuild it, and its lineage of saves.

Everything here reads files (dist-info folders, ``conda-meta``, the dpkg status file); the only
process it starts asks each Python where its packages live. It runs off the event loop.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .models import ChangesSummary, ManagerCounts, iso_now
from .redaction import redact_url

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
                package: dict[str, Any] = {
                    "name": name,
                    "version": found.group("version"),
                    "installer": "conda" if installer == "conda" else "pip",
                }
                source = direct_url(os.path.join(entry.path, "direct_url.json"))
                if source:
                    package["source"] = source
                packages.setdefault(name, package)
    environment: dict[str, Any] = {
        "python": python,
        "prefix": about["prefix"],
        "version": about["version"],
        "kernels": kernels,
        "packages": sorted(packages.values(), key=lambda package: package["name"]),
    }
    index = pip_index(about["prefix"])
    if index:
        environment["pip_index"] = index
    return environment


def direct_url(path: str) -> dict[str, Any] | None:
    """Where pip installed a distribution from, when not from an index (PEP 610's
    ``direct_url.json``): its URL (credentials marked, see ``redaction``), the kind, and for
    VCS the commit, for a directory whether it is editable."""
    try:
        data = json.loads(_read(path) or "null")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    source: dict[str, Any] = {"url": redact_url(data["url"])}
    if isinstance(data.get("vcs_info"), dict):
        vcs = data["vcs_info"]
        source.update(
            kind="vcs", vcs=str(vcs.get("vcs", "git")), commit=str(vcs.get("commit_id", ""))
        )
    elif isinstance(data.get("dir_info"), dict):
        source.update(kind="dir", editable=bool(data["dir_info"].get("editable")))
    else:
        source["kind"] = "archive"
    if isinstance(data.get("subdirectory"), str):
        source["subdirectory"] = data["subdirectory"]
    return source


def pip_config_files(prefix: str) -> list[Path]:
    """pip's configuration files for an environment, in the order pip reads them (later ones
    win): global, user, then the environment's own; ``PIP_CONFIG_FILE`` first."""
    files: list[Path] = []
    given = os.environ.get("PIP_CONFIG_FILE")
    if given and given != os.devnull:
        files.append(Path(given))
    dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    files += [Path(folder) / "pip" / "pip.conf" for folder in reversed(dirs.split(":")) if folder]
    files.append(Path("/etc/pip.conf"))
    home = Path.home()
    files.append(home / ".pip" / "pip.conf")
    files.append(Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    files.append(Path(prefix) / "pip.conf")
    return files


def pip_index(prefix: str) -> dict[str, Any] | None:
    """The index pip installs from in an environment, as its configuration files and the
    ``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL`` variables say; None when it is pip's default."""
    index_url: str | None = None
    extra: list[str] = []
    for path in pip_config_files(prefix):
        if not path.is_file():  # a FIFO or a socket there would block the read
            continue
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(_read(str(path)))
        except configparser.Error:
            continue
        for section in ("global", "install"):
            if parser.has_option(section, "index-url"):
                index_url = parser.get(section, "index-url").strip() or index_url
            if parser.has_option(section, "extra-index-url"):
                extra = parser.get(section, "extra-index-url").split()
    index_url = os.environ.get("PIP_INDEX_URL") or index_url
    extra = os.environ.get("PIP_EXTRA_INDEX_URL", "").split() or extra
    if not index_url and not extra:
        return None
    return {
        "index_url": redact_url(index_url) if index_url else None,
        "extra_index_urls": [redact_url(url) for url in extra],
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
