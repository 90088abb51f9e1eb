"""The zh_CN catalogs are complete: every string of the front end and of the settings schema, as
jupyterlab-translate extracts them from the code now, and every message of the server and the
CLI, as Babel extracts them, has a translation; the compiled catalogs say the same as the .po."""

from __future__ import annotations

import gettext
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from jupyterlab_modelarts_snapshot import i18n

ROOT = Path(__file__).parent.parent
MESSAGES = ROOT / "jupyterlab_modelarts_snapshot" / "locale" / "zh_CN" / "LC_MESSAGES"
FIX = "Run scripts/translations.sh, translate the new msgstr in the .po, and run it again."


def key(message: object) -> tuple[str | None, str]:
    identifier = message.id  # type: ignore[attr-defined]
    return message.context, identifier[0] if isinstance(identifier, tuple) else identifier  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str | None, str]]:
    """The strings in the code now, extracted from a copy of src/ and schema/."""
    work = tmp_path_factory.mktemp("extract")
    for name in ("package.json", "src", "schema"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    (work / "jupyterlab_modelarts_snapshot").mkdir()  # where the extractor writes its .pot
    binaries = str(Path(sys.executable).parent)
    subprocess.run(
        [
            os.path.join(binaries, "jupyterlab-translate"),
            "extract",
            ".",
            "jupyterlab_modelarts_snapshot",
        ],
        cwd=work,
        env={**os.environ, "PATH": f"{binaries}{os.pathsep}{os.environ['PATH']}"},
        check=True,
        capture_output=True,
    )
    pot = work / "jupyterlab_modelarts_snapshot" / "locale" / "jupyterlab_modelarts_snapshot.pot"
    with pot.open("rb") as handle:
        return {key(message) for message in read_po(handle) if message.id}


def catalog() -> dict[tuple[str | None, str], object]:
    with (MESSAGES / "jupyterlab_modelarts_snapshot.po").open("rb") as handle:
        return {key(message): message for message in read_po(handle, locale="zh_CN") if message.id}


def test_every_string_of_the_code_has_a_chinese_translation(
    extracted: set[tuple[str | None, str]],
) -> None:
    translated = catalog()
    missing = sorted(entry[1] for entry in extracted - set(translated))
    assert not missing, f"Not in the zh_CN catalog: {missing}. {FIX}"
    empty = sorted(
        entry[1]
        for entry in extracted
        if not (
            translated[entry].string[0]  # type: ignore[attr-defined]
            if isinstance(translated[entry].string, tuple)  # type: ignore[attr-defined]
            else translated[entry].string  # type: ignore[attr-defined]
        )
    )
    assert not empty, f"No Chinese for: {empty}. {FIX}"
    # jupyterlab-translate guesses a new message from a near one and marks it fuzzy: a guess is
    # not a translation, and the page shows the English.
    guessed = sorted(entry[1] for entry in extracted if translated[entry].fuzzy)  # type: ignore[attr-defined]
    assert not guessed, f"Fuzzy (guessed) translations: {guessed}. {FIX}"


def test_the_compiled_catalog_is_the_po(extracted: set[tuple[str | None, str]]) -> None:
    compiled = json.loads((MESSAGES / "jupyterlab_modelarts_snapshot.json").read_text("utf-8"))
    assert compiled[""]["domain"] == "jupyterlab_modelarts_snapshot"
    assert compiled[""]["language"] == "zh-CN"  # JupyterLab loads a catalog by this exact name
    for (context, msgid), message in catalog().items():
        if (context, msgid) not in extracted:
            continue
        name = f"{context}\u0004{msgid}" if context else msgid
        string = message.string  # type: ignore[attr-defined]
        expected = string[0] if isinstance(string, tuple) else string
        assert compiled.get(name, [None])[0] == expected, f"{msgid!r} is stale. {FIX}"


# -- the server's and the CLI's messages -----------------------------------------------------


@pytest.fixture(scope="module")
def server_messages() -> set[str]:
    """Every ``_()`` and ``tr()`` message in the Python package now."""
    found = extract_from_dir(
        str(ROOT / "jupyterlab_modelarts_snapshot"),
        method_map=[("**.py", "python")],
        keywords={"_": None, "tr": None},
    )
    return {message for _file, _line, message, _comments, _context in found}


def server_catalog() -> dict[str, str]:
    with (MESSAGES / f"{i18n.DOMAIN}.po").open("rb") as handle:
        return {
            message.id: "" if message.fuzzy else message.string
            for message in read_po(handle, locale="zh_CN")
            if message.id
        }


def fields(text: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}", text))


def test_the_server_messages_are_found(server_messages: set[str]) -> None:
    # The extraction itself works: a few messages we know are among them.
    assert "The instance is running." in server_messages
    assert "The {label} is required. {hint}" in server_messages
    assert "Ready to save an image." in server_messages  # the CLI's own


def test_every_server_message_has_a_chinese_translation(server_messages: set[str]) -> None:
    translated = server_catalog()
    missing = sorted(server_messages - set(translated))
    assert not missing, f"Not in the server's zh_CN catalog: {missing}. {FIX}"
    empty = sorted(message for message in server_messages if not translated[message])
    assert not empty, f"No Chinese for: {empty}. {FIX}"
    # A translation keeps every {field} of its message, or rendering it fails.
    broken = sorted(m for m in server_messages if fields(m) != fields(translated[m]))
    assert not broken, f"These translations lose or add a {{field}}: {broken}"


def test_the_compiled_server_catalog_is_the_po(server_messages: set[str]) -> None:
    with (MESSAGES / f"{i18n.DOMAIN}.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message, string in server_catalog().items():
        if message in server_messages:
            assert compiled.gettext(message) == string, f"{message!r} is stale. {FIX}"
