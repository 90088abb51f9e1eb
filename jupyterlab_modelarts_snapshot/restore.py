"""The restore script: a lighter way back than an image, kept on the work volume.

After a stop, ``bash restore.sh`` reinstalls in place, with the same tools, the pip and conda
packages installed since the container started: each pip package from the index pip used or as
the direct reference pip recorded (see ``rebuild``), each conda package into its prefix. It
installs only what is missing, so a second run changes nothing. It names what it cannot bring
back: packages from files a new instance does not have, editable installs, and apt packages
(they need root, which ModelArts does not give: an image keeps them).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from .i18n import _
from .models import NotRestorable
from .rebuild import (
    conda_channels,
    index_options,
    installs_of,
    pip_installs,
    python_of,
    shell_words,
)
from .redaction import needs_credentials

SCRIPT_NAME = "restore.sh"

# Which of the wanted distributions a Python lacks at that version: read from the dist-info
# folders on its path (any Python 3, with or without pip), printed one requirement per line.
_MISSING = """import os, re, sys
WANTED = {wanted!r}
def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()
have = set()
for folder in sys.path:
    try:
        names = os.listdir(folder or ".")
    except OSError:
        continue
    for entry in names:
        found = re.match(r"^(.+?)-([^-]+)\\.(?:dist-info|egg-info)$", entry)
        if found:
            have.add((canonical(found.group(1)), found.group(2)))
for name, version, requirement in WANTED:
    if (canonical(name), version) not in have:
        print(requirement)
"""


@dataclass
class RestorePlan:
    """What the script reinstalls, per manager, and what it cannot."""

    script: str
    pip: int = 0
    conda: int = 0
    not_restorable: list[NotRestorable] = field(default_factory=list)


def _echo(text: str) -> str:
    return "echo " + shlex.quote(text)


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())  # a path with a newline stays inside the comment


def _pip_part(python: str, installs: list[Any], options: list[str]) -> list[str]:
    wanted = [(item.name, item.version, item.requirement) for item in installs if item.requirement]
    if not wanted:
        return []
    quoted = shlex.quote(python)
    return [
        _comment(f"pip, for {python}"),
        f"if [ ! -x {quoted} ]; then",
        "  " + _echo(f"pip: {python} is gone (an environment made since the start): not restored"),
        "else",
        "  missing=$(" + quoted + " - <<'PY'",
        _MISSING.format(wanted=wanted).rstrip("\n"),
        "PY",
        "  )",
        '  if [ -n "$missing" ]; then',
        '    mapfile -t wanted <<< "$missing"',
        "    " + _echo(f"pip: installing into {python}:") + ' "${wanted[@]}"',
        f'    {quoted} -m pip install --no-input {" ".join(shell_words(options))} "${{wanted[@]}}"',
        "  else",
        "    " + _echo(f"pip: nothing to install for {python}"),
        "  fi",
        "fi",
        "",
    ]


def _conda_part(prefix: str, pairs: list[tuple[str, str]], channels: list[str]) -> list[str]:
    quoted = shlex.quote(prefix)
    specs = " ".join(shlex.quote(f"{name}={version}") for name, version in pairs)
    channel_options = " ".join(f"-c {shlex.quote(channel)}" for channel in channels)
    return [
        _comment(f"conda, for {prefix}"),
        "needed=()",
        f"for spec in {specs}; do",
        f'  ls {quoted}/conda-meta/"${{spec%%=*}}-${{spec#*=}}-"*.json >/dev/null 2>&1 '
        '|| needed+=("$spec")',
        "done",
        'if [ "${#needed[@]}" -gt 0 ]; then',
        "  " + _echo(f"conda: installing into {prefix}:") + ' "${needed[@]}"',
        f'  conda install --yes --prefix {quoted} {channel_options} "${{needed[@]}}"',
        "else",
        "  " + _echo(f"conda: nothing to install into {prefix}"),
        "fi",
        "",
    ]


def restore_plan(
    manifest: dict[str, Any], diff: dict[str, Any], work_dir: str, written_at: str, path: str
) -> RestorePlan:
    """The script for these changes (since the container started), and what it covers."""
    plan = RestorePlan(script="")
    since = "the image it started from" if diff.get("parent") == "lineage" else "its start"
    lines = [
        "#!/usr/bin/env bash",
        "# Reinstalls, in place, the pip and conda packages installed in this ModelArts instance",
        f"# since {since}, after a stop erased them. Written by jupyterlab-modelarts-snapshot",
        _comment(f"at {written_at}. Run it in a terminal: bash {shlex.quote(path)}"),
        "# It installs only what is missing: a second run changes nothing.",
        "set -euo pipefail",
        "",
    ]
    # conda first: a conda install can replace what pip put in the same environment.
    channels = [channel for channel in conda_channels(manifest) if not needs_credentials(channel)]
    for prefix, pairs in installs_of(diff, "conda").items():
        lines += _conda_part(prefix, pairs, channels)
        plan.conda += len(pairs)
    installs = pip_installs(manifest, diff, work_dir)
    # An index whose credentials were removed is left to pip's own configuration.
    options = [
        option
        for option in index_options(manifest, list(installs))
        if not needs_credentials(option)
    ]
    for prefix, items in installs.items():
        python = python_of(manifest, prefix)
        restorable = []
        for item in items:
            if item.requirement and needs_credentials(item.requirement):
                reason = _("its URL needs credentials, which were removed from the script")
                plan.not_restorable.append(NotRestorable("pip", item.name, item.version, reason))
            elif item.requirement:
                restorable.append(item)
            else:
                plan.not_restorable.append(
                    NotRestorable("pip", item.name, item.version, item.reason or "")
                )
        lines += _pip_part(python, restorable, options)
        plan.pip += len(restorable)
    apt = installs_of(diff, "apt").get("", [])
    apt_reason = "apt packages need root, which ModelArts does not give: save an image to keep them"
    plan.not_restorable += [
        NotRestorable("apt", name, version, apt_reason) for name, version in apt
    ]
    if plan.not_restorable:
        lines.append(_echo("Not restored here:"))
        lines += [
            _echo(f"  - {item.manager} {item.name} {item.version}: {item.reason}")
            for item in plan.not_restorable
        ]
    plan.script = "\n".join(lines) + "\n"
    return plan
