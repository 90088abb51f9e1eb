"""The files that rebuild an image without its stack of saved layers: a Dockerfile, a pip
requirements file and a conda environment file, made from a save's manifest and changes."""

from __future__ import annotations

from typing import Any

from .manifest import MANAGERS


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


# Each rebuild file by its name (the REST API's) and the CLI's --format word for it. openapi.json's
# enum of rebuild files is checked against this (tests/test_contract.py).
REBUILD_FILES = {
    "Dockerfile": "dockerfile",
    "requirements.txt": "requirements",
    "environment.yml": "conda",
}


def rebuild_file(kind: str, manifest: dict[str, Any], diff: dict[str, Any], label: str) -> str:
    if kind == "Dockerfile":
        return dockerfile(manifest, diff, label)
    if kind == "requirements.txt":
        return requirements(manifest, diff)
    if kind == "environment.yml":
        return environment_yml(manifest, diff, label.split(":", 1)[0])
    raise KeyError(kind)
