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

from jupyterlab_modelarts_snapshot import exceptions, models
from jupyterlab_modelarts_snapshot.rules import RULES

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
    (models.InstanceReport, "Instance"),
    (models.ImagePage, "ImagePage"),
    (models.SaveRequest, "SaveRequest"),
    (models.Check, "Check"),
    (models.CheckItem, "CheckItem"),
    (models.ScanProgress, "ScanProgress"),
    (models.SizeEstimate, "SizeEstimate"),
    (models.PreflightReport, "PreflightReport"),
    (models.CleanupResult, "CleanupResult"),
    (models.ChangesSummary, "ChangesSummary"),
    (models.ManagerCounts, "ManagerCounts"),
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
    assert set(RULES) | {"force"} == set(schema["properties"])
    assert schema["properties"]["force"]["type"] == "boolean"
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


def test_status_vocabulary() -> None:
    assert models.FAILED < models.FINISHED <= set(models.STATUSES)
    described = SCHEMAS["Job"]["properties"]["status"]["description"]
    assert all(status in described for status in models.STATUSES)


def test_the_version_has_one_source() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert DOCUMENT["info"]["version"] == package["version"]
