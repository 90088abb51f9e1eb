"""One contract: the typed models, the input rules and the error table against the OpenAPI
document the package ships (the front end's types are generated from that document, and jest
checks them)."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_modelarts_snapshot import cli, exceptions, models, preflight
from jupyterlab_modelarts_snapshot.rebuild import REBUILD_FILES
from jupyterlab_modelarts_snapshot.rules import RULES, SWITCHES
from jupyterlab_modelarts_snapshot.sizes import human_bytes

ROOT = Path(__file__).parent.parent
DOCUMENT = json.loads(
    (ROOT / "jupyterlab_modelarts_snapshot" / "openapi.json").read_text(encoding="utf-8")
)
SCHEMAS = DOCUMENT["components"]["schemas"]
SIMPLE = {"str": "string", "int": "integer", "bool": "boolean"}
# Each model and the schema that describes it; response models have every field required.
MODELS = [
    (models.Job, "Job"),
    (models.LastError, "LastError"),
    (models.Readiness, "Readiness"),
    (models.JobPage, "JobPage"),
    (models.SaveRequest, "SaveRequest"),
    (models.Check, "Check"),
    (models.CheckItem, "CheckItem"),
    (models.ScanProgress, "ScanProgress"),
    (models.SizeEstimate, "SizeEstimate"),
    (models.PreflightReport, "PreflightReport"),
    (models.CleanupResult, "CleanupResult"),
    (models.ChangesSummary, "ChangesSummary"),
    (models.ManagerCounts, "ManagerCounts"),
    (models.StopAfterSave, "StopAfterSave"),
    (models.Lease, "Lease"),
    (models.LeaseWarning, "LeaseWarning"),
    (models.AtRisk, "AtRisk"),
    (models.RestoreScript, "RestoreScript"),
    (models.NotRestorable, "NotRestorable"),
    (models.SavedImage, "SavedImage"),
    (models.ImageGroup, "ImageGroup"),
    (models.Library, "Library"),
    (models.DeletedImage, "DeletedImage"),
    (models.RefusedImage, "RefusedImage"),
    (models.PruneResult, "PruneResult"),
]
SCHEMA_OF = {model.__name__: name for model, name in MODELS}


def resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the schema behind $ref/allOf wrappers, whether null is allowed)."""
    nullable = bool(schema.get("nullable"))
    while True:
        if "$ref" in schema:
            schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema, nullable


def assert_type_matches(annotation: str, schema: dict[str, Any], where: str) -> None:
    optional = annotation.endswith(" | None")
    base = re.sub(r" \| None$", "", annotation)
    target, nullable = resolve(schema)
    assert nullable == optional, f"{where}: nullable is {nullable}, the model says {annotation}"
    listed = re.fullmatch(r"list\[(\w+)\]", base)
    if listed:
        assert target["type"] == "array", where
        assert_type_matches(listed.group(1), target["items"], f"{where}[]")
    elif base in SIMPLE:
        assert target["type"] == SIMPLE[base], f"{where}: {target.get('type')} is not {base}"
    else:
        assert target is SCHEMAS[SCHEMA_OF[base]], f"{where}: not the {base} schema"


@pytest.mark.parametrize(("model", "name"), MODELS, ids=[name for _, name in MODELS])
def test_each_model_is_its_openapi_schema(model: type, name: str) -> None:
    schema = SCHEMAS[name]
    fields = {item.name: item for item in dataclasses.fields(model)}
    assert set(schema["properties"]) == set(fields), name
    if model is models.SaveRequest:  # a request: what has no default is required
        required = {
            key
            for key, item in fields.items()
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        }
    else:  # an answer always has every field
        required = set(fields)
    assert set(schema["required"]) == required, name
    for key, item in fields.items():
        assert_type_matches(str(item.type), schema["properties"][key], f"{name}.{key}")


def test_the_input_rules_are_the_documents() -> None:
    schema = SCHEMAS["SaveRequest"]
    assert set(RULES) | set(SWITCHES) == set(schema["properties"])
    for switch in SWITCHES:
        assert schema["properties"][switch]["type"] == "boolean", switch
    for field, rule in RULES.items():
        documented = schema["properties"][field]
        assert documented["maxLength"] == rule["max_length"], field
        assert (field in schema["required"]) == rule["required"], field
        pattern = documented.get("pattern")
        # Optional fields also accept "" (meaning "the default") in the document.
        assert (pattern.replace("^$|", "", 1) if pattern else None) == rule["pattern"], field


def test_every_error_has_one_http_status_and_exit_code() -> None:
    errors = [
        cls
        for _, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, exceptions.SnapshotError) and cls is not exceptions.SnapshotError
    ]
    documented = {
        code
        for path in DOCUMENT["paths"].values()
        for operation in path.values()
        for code in operation["responses"]
    }
    exit_codes: dict[int, int] = {}
    for cls in errors:
        row = exceptions.OUTCOMES.get(cls) or next(
            exceptions.OUTCOMES[parent] for parent in cls.__mro__ if parent in exceptions.OUTCOMES
        )
        assert str(row.http_status) in documented, cls.__name__
        assert row.exit_code not in (exceptions.EXIT_OK, exceptions.EXIT_SAVE_FAILED)
        # One exit code means one kind of answer.
        assert (
            exit_codes.setdefault(row.exit_code, row.http_status) // 100 == row.http_status // 100
        )


def test_status_vocabulary_comes_from_the_document() -> None:
    status = SCHEMAS["Job"]["properties"]["status"]
    assert tuple(status["enum"]) == models.STATUSES
    assert set(status["x-finished"]) == models.FINISHED and set(status["x-failed"]) == models.FAILED
    # A failure ends a job; INIT and CREATING do not.
    assert models.FAILED < models.FINISHED < set(models.STATUSES)
    assert {"INIT", "CREATING"}.isdisjoint(models.FINISHED)
    assert tuple(SCHEMAS["Check"]["properties"]["level"]["enum"]) == models.LEVELS
    assert tuple(SCHEMAS["Check"]["properties"]["id"]["enum"]) == preflight.ORDER


def test_every_level_has_one_word_in_the_cli() -> None:
    assert list(cli.LEVEL_WORDS) == list(reversed(models.LEVELS))


def test_rebuild_files_are_the_documents() -> None:
    parameter = next(
        item
        for item in DOCUMENT["paths"]["/modelarts-snapshot/jobs/{id}/rebuild/{file}"]["get"][
            "parameters"
        ]
        if item["name"] == "file"
    )
    assert list(REBUILD_FILES) == parameter["schema"]["enum"]
    assert {word: name for name, word in REBUILD_FILES.items()} == cli.REBUILD_FORMATS


# Each list has one home: openapi.json (statuses, levels, check IDs) or rebuild.py (rebuild files).
# A list, tuple, set or array literal elsewhere that holds two or more of its words is a copy that
# would drift. (Tables of words for people map each code to its words: they are not lists.)
WORD_LISTS = {
    "job statuses": models.STATUSES,
    "check levels": models.LEVELS,
    "rebuild files": tuple(REBUILD_FILES),
}
INNERMOST_BRACKETS = re.compile(r"[\[({]([^\[\](){}]*)[\])}]", re.S)
LITERAL = re.compile(r"[\"'`]([A-Za-z_.]+)[\"'`]")


def copies(path: Path, words: tuple[str, ...]) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for group in INNERMOST_BRACKETS.finditer(text):
        if len(set(LITERAL.findall(group.group(1))) & set(words)) >= 2:
            line = text.count("\n", 0, group.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {group.group(0)[:80]!r}")
    return found


def test_each_word_list_has_one_source() -> None:
    package = ROOT / "jupyterlab_modelarts_snapshot"
    sources = [
        path
        for path in [*package.rglob("*.py"), *(ROOT / "src").rglob("*.ts*")]
        # rebuild.py is the rebuild files' home; src/generated/ is made from openapi.json and
        # rules.json by scripts/api-types.mjs, and jest checks it is current. The emulator is
        # ModelArts' side, with statuses of its own.
        if path.name != "rebuild.py"
        and not {"generated", "emulator", "labextension", "__tests__"} & set(path.parts)
    ]
    found = [
        f"{name}: {place}"
        for name, words in WORD_LISTS.items()
        for path in sources
        for place in copies(path, words)
    ]
    assert not found, "\n".join(found)


def test_bytes_read_the_same_in_python_and_typescript() -> None:
    """tests/byte-cases.json is run by jest against format.ts's humanBytes too."""
    table = json.loads((ROOT / "tests" / "byte-cases.json").read_text(encoding="utf-8"))
    assert len(table["cases"]) >= 10
    for size, text in table["cases"]:
        assert human_bytes(size) == text, size


def test_the_version_has_one_source() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert DOCUMENT["info"]["version"] == package["version"]
