from __future__ import annotations

from typing import Any

import pytest

from jupyterlab_modelarts_snapshot.models import SaveRequest
from jupyterlab_modelarts_snapshot.rules import (
    HINTS,
    LABELS,
    InvalidInput,
    check_field,
    validate_save_request,
)

from conftest import CASES


def case_value(case: dict[str, Any]) -> str:
    return str(case["value"]) * int(case.get("repeat", 1))


@pytest.mark.parametrize(
    "case",
    CASES["cases"],
    ids=lambda case: f"{case['field']}-{case['value'][:12]!r}-{case.get('repeat', 1)}",
)
def test_shared_validation_table(case: dict[str, Any]) -> None:
    problem = check_field(case["field"], case_value(case))
    if case["valid"]:
        assert problem is None
    else:
        assert problem is not None
        # The message names the field and says how to fix it.
        assert LABELS[case["field"]] in problem
        assert HINTS[case["field"]] in problem


def test_every_field_has_valid_and_invalid_cases() -> None:
    for field in ("name", "namespace", "tag", "description"):
        outcomes = {case["valid"] for case in CASES["cases"] if case["field"] == field}
        assert outcomes == {True, False}, field


def test_request_keeps_only_given_fields() -> None:
    request = validate_save_request({"name": "env", "namespace": "team", "tag": ""})
    assert request == SaveRequest(name="env", namespace="team")
    assert request.upstream_body() == {"name": "env", "namespace": "team"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (None, "body"),
        ([], "body"),
        ("name", "body"),
        ({}, "name"),
        ({"name": "env"}, "namespace"),
        ({"name": 5, "namespace": "team"}, "name"),
        ({"name": "env", "namespace": "team", "tag": ["v1"]}, "tag"),
        ({"name": "env", "namespace": "team", "endpoint": "http://evil"}, "endpoint"),
        ({"name": "env", "namespace": "team", "workspace_id": "../x"}, "workspace_id"),
    ],
)
def test_invalid_requests_name_the_field(body: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_save_request(body)
    assert caught.value.field == field
    # The message names what is wrong and how to fix it.
    message = caught.value.message
    assert field in message.replace(" ID", "_id").replace("workspace ", "workspace_").lower()
    assert any(fix in message for fix in ("Use ", "Allowed fields:", "must be a JSON object with"))
