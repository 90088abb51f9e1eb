"""The files that rebuild an image without its stack of saved layers: a Dockerfile, a pip
requirements file and a conda environment file, made from a save's manifest and changes.

Each package is written so that a new instance can install it: from the index pip used (its
URLs kept, credentials marked), as a PEP 508 direct reference when pip recorded one that a new
instance can reach (an https or VCS URL, a file on the work volume), and otherwise as a comment
that names it and says why it cannot be installed there.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from .i18n import _
from .manifest import MANAGERS
from .redaction import CREDENTIALS_MARK, TOKEN_MARK, needs_credentials


@dataclass(frozen=True)
class PipInstall:
    """One pip package to install again: its requirement, or why there is none."""

    name: str
    version: str
    requirement: str | None  # "name==version" or "name @ url"
    local_file: str | None = None  # a file on the work volume (the Dockerfile cannot reach it)
    reason: str | None = None  # why a new instance cannot install it


def _within(path: str, folder: str) -> bool:
    return PurePosixPath(path).is_relative_to(PurePosixPath(folder))


def pip_install(package: dict[str, Any], work_dir: str) -> PipInstall:
    """How a new instance installs this package again, from what pip recorded of it."""
    name, version = package["name"], package["version"]
    source = package.get("source")
    if not source:
        return PipInstall(name, version, f"{name}=={version}")
    url = str(source.get("url", ""))
    if source.get("kind") == "vcs":
        reference = f"{source.get('vcs', 'git')}+{url}"
        if source.get("commit"):
            reference += f"@{source['commit']}"
        if source.get("subdirectory"):
            reference += f"#subdirectory={source['subdirectory']}"
        return PipInstall(name, version, f"{name} @ {reference}")
    local = unquote(urlparse(url).path) if url.startswith("file:") else None
    if source.get("editable"):
        return PipInstall(
            name, version, None,
            reason=_(
                "an editable install of {path}: install it again with pip install -e",
                path=local or url,
            ),
        )  # fmt: skip
    if source.get("subdirectory"):
        url += f"#subdirectory={source['subdirectory']}"
    if local is None:
        return PipInstall(name, version, f"{name} @ {url}")
    if _within(local, work_dir):
        return PipInstall(name, version, f"{name} @ {url}", local_file=local)
    return PipInstall(
        name, version, None,
        reason=_(
            "installed from {path}, outside the work volume: a new instance does not have it",
            path=local,
        ),
    )  # fmt: skip


def installs_of(diff: dict[str, Any], manager: str) -> dict[str, list[tuple[str, str]]]:
    """Per environment, the (name, version) pairs to install: added and changed."""
    by_env: dict[str, list[tuple[str, str]]] = {}
    for item in diff[manager]["added"]:
        by_env.setdefault(item["env"], []).append((item["name"], item["version"]))
    for item in diff[manager]["changed"]:
        by_env.setdefault(item["env"], []).append((item["name"], item["new"]))
    return {env: sorted(pairs) for env, pairs in by_env.items()}


def _environment(manifest: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next((env for env in manifest.get("python", []) if env["prefix"] == prefix), {})


def python_of(manifest: dict[str, Any], prefix: str) -> str:
    return str(_environment(manifest, prefix).get("python") or f"{prefix}/bin/python")


def pip_installs(
    manifest: dict[str, Any], diff: dict[str, Any], work_dir: str
) -> dict[str, list[PipInstall]]:
    """Per environment prefix, each pip package added or changed, as it can be installed."""
    result: dict[str, list[PipInstall]] = {}
    for prefix, pairs in installs_of(diff, "pip").items():
        recorded = {
            package["name"]: package
            for package in _environment(manifest, prefix).get("packages", [])
        }
        result[prefix] = [
            pip_install(recorded.get(name, {"name": name, "version": version}), work_dir)
            for name, version in pairs
        ]
    return result


def index_options(manifest: dict[str, Any], prefixes: list[str]) -> list[str]:
    """pip's ``--index-url`` / ``--extra-index-url`` for these environments (the first that has
    an index configured), or none when they use pip's default."""
    for prefix in prefixes:
        index = _environment(manifest, prefix).get("pip_index")
        if index:
            options = [f"--index-url {index['index_url']}"] if index.get("index_url") else []
            options += [f"--extra-index-url {url}" for url in index.get("extra_index_urls", [])]
            return options
    return []


def shell_words(options: list[str]) -> list[str]:
    """``--index-url URL`` options as shell words, each quoted (a marked URL holds "<")."""
    return [shlex.quote(word) for option in options for word in option.split(" ", 1)]


def credentials_note(urls: list[str]) -> list[str]:
    """A comment for a file whose URLs had credentials: they were removed, and one is needed."""
    if not any(needs_credentials(url) for url in urls):
        return []
    return [
        f"# {CREDENTIALS_MARK} and {TOKEN_MARK} stand for credentials that were removed from "
        "these URLs: put yours there before installing."
    ]


def _not_installable(installs: list[PipInstall]) -> list[str]:
    return [
        f"# not installable elsewhere: {item.name} {item.version}, {item.reason}"
        for item in installs
        if item.requirement is None
    ]


def dockerfile(manifest: dict[str, Any], diff: dict[str, Any], label: str, work_dir: str) -> str:
    image = manifest.get("image") or {}
    base = image.get("swr_path") or image.get("name") or "REPLACE-WITH-THE-BASE-IMAGE"
    lines = [
        f"# Rebuilds {label} without its stack of saved layers: the image it started from, then",
        "# what was installed since, each pinned. Made by jupyterlab-modelarts-snapshot.",
        f"FROM {base}",
    ]
    apt = installs_of(diff, "apt").get("", [])
    if apt:
        apt_pins = " ".join(f"{name}={version}" for name, version in apt)
        lines += [
            "USER root",
            "RUN apt-get update && apt-get install -y --no-install-recommends "
            f"{apt_pins} && rm -rf /var/lib/apt/lists/*",
            "USER ma-user",
        ]
    channels = conda_channels(manifest)
    channel_options = "".join(f" -c {shlex.quote(channel)}" for channel in channels)
    for prefix, pairs in installs_of(diff, "conda").items():
        conda_pins = " ".join(shlex.quote(f"{name}={version}") for name, version in pairs)
        lines.append(
            f"RUN conda install --yes --prefix {shlex.quote(prefix)}{channel_options} {conda_pins}"
        )
    options = index_options(manifest, list(pip_installs(manifest, diff, work_dir)))
    lines[2:2] = credentials_note([*channels, *options])
    for prefix, installs in pip_installs(manifest, diff, work_dir).items():
        # A file on the work volume is not in the build context: copy it there first.
        pins = [
            shlex.quote(item.requirement)
            for item in installs
            if item.requirement and not item.local_file
        ]
        if pins:
            python = shlex.quote(python_of(manifest, prefix))
            command = " ".join(
                [f"{python} -m pip install --no-cache-dir", *shell_words(options), *pins]
            )
            lines.append(f"RUN {command}")
        lines += [
            f"# {item.name} {item.version} is {item.local_file} on the work volume: copy it into "
            f"the build context, then COPY it and pip install it."
            for item in installs
            if item.local_file
        ]
        lines += _not_installable(installs)
    removed = [item["name"] for manager in MANAGERS for item in diff[manager]["removed"]]
    if removed:
        lines.append(f"# Removed since the parent, not undone here: {', '.join(removed)}")
    return "\n".join(lines) + "\n"


def requirements(manifest: dict[str, Any], diff: dict[str, Any], work_dir: str) -> str:
    installs = pip_installs(manifest, diff, work_dir)
    options = index_options(manifest, list(installs))
    lines = [
        "# pip packages added or upgraded since the parent image, pinned, from the index pip used.",
        *credentials_note(options),
        *options,
    ]
    for prefix, items in installs.items():
        lines.append(f"# {python_of(manifest, prefix)}")
        lines += [item.requirement for item in items if item.requirement]
        lines += _not_installable(items)
    return "\n".join(lines) + "\n"


def conda_channels(manifest: dict[str, Any]) -> list[str]:
    """The channels the conda packages came from, as URLs (or names) that conda resolves to the
    same place, credentials marked."""
    return sorted(
        {
            package["channel"]
            for env in manifest.get("conda", [])
            for package in env["packages"]
            if package.get("channel")
        }
    )


def environment_yml(
    manifest: dict[str, Any], diff: dict[str, Any], name: str, work_dir: str
) -> str:
    conda = installs_of(diff, "conda")
    pip = pip_installs(manifest, diff, work_dir)
    channels = conda_channels(manifest) or ["defaults"]
    options = index_options(manifest, list(pip))
    lines = [*credentials_note([*channels, *options]), f"name: {name}", "channels:"]
    lines += [f"  - {channel}" for channel in channels]
    lines.append("dependencies:")
    for conda_pairs in conda.values():
        lines += [f"  - {package}={version}" for package, version in conda_pairs]
    if pip:
        lines += ["  - pip", "  - pip:"]
        lines += [f"      - {option}" for option in options]
        for items in pip.values():
            lines += [f"      - {item.requirement}" for item in items if item.requirement]
            lines += [f"      {comment}" for comment in _not_installable(items)]
    return "\n".join(lines) + "\n"


# Each rebuild file by its name (the REST API's) and the CLI's --format word for it. openapi.json's
# enum of rebuild files is checked against this (tests/test_contract.py).
REBUILD_FILES = {
    "Dockerfile": "dockerfile",
    "requirements.txt": "requirements",
    "environment.yml": "conda",
}


def rebuild_file(
    kind: str, manifest: dict[str, Any], diff: dict[str, Any], label: str, work_dir: str
) -> str:
    if kind == "Dockerfile":
        return dockerfile(manifest, diff, label, work_dir)
    if kind == "requirements.txt":
        return requirements(manifest, diff, work_dir)
    if kind == "environment.yml":
        return environment_yml(manifest, diff, label.split(":", 1)[0], work_dir)
    raise KeyError(kind)
