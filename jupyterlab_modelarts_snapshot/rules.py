"""Input rules for a save, shared with the front end through ``rules.json``.

The rules live in one JSON file so that the server, the CLI and the browser form apply exactly
the same checks: nothing invalid is ever sent to ModelArts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .exceptions import InvalidInput
from .models import SaveRequest

RULES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("rules.json")).read_text(encoding="utf-8")
)
FIELDS = tuple(RULES)

# Identifiers placed in upstream URLs: checked before use so no input can change the path.
UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
PROJECT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_field(field: str, value: Any) -> str | None:
    """Return what is wrong with ``value`` for ``field`` in words, or None when it is valid."""
    rule = RULES[field]
    label = field.replace("_", " ")
    if value is None or value == "":
        return f"The {label} is required. {rule['hint']}" if rule["required"] else None
    if not isinstance(value, str):
        return f"The {label} must be text, not {type(value).__name__}. {rule['hint']}"
    if len(value) > rule["max_length"]:
        return (
            f"The {label} is {len(value)} characters long; the limit is "
            f"{rule['max_length']}. {rule['hint']}"
        )
    if rule["pattern"] and not re.fullmatch(rule["pattern"], value):
        return f"The {label} '{_shorten(value)}' is not allowed. {rule['hint']}"
    return None


def validate_save_request(body: Any) -> SaveRequest:
    """Check a save request and return it, with empty optional fields as None.

    Raises :class:`InvalidInput` for the first problem found, naming the field.
    """
    if not isinstance(body, dict):
        raise InvalidInput(
            "body", "The request body must be a JSON object with 'name' and 'namespace'."
        )
    unknown = sorted(str(key) for key in body if key not in RULES and key != "force")
    if unknown:
        raise InvalidInput(
            unknown[0],
            f"Unknown field '{_shorten(unknown[0])}'. Allowed fields: {', '.join(FIELDS)}, force.",
        )
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise InvalidInput("force", "'force' must be true or false.")
    for field in FIELDS:
        problem = check_field(field, body.get(field))
        if problem:
            raise InvalidInput(field, problem)
    given = {field: body.get(field) or None for field in FIELDS}
    return SaveRequest(
        name=body["name"], namespace=body["namespace"], tag=given["tag"],
        description=given["description"], workspace_id=given["workspace_id"], force=force,
    )  # fmt: skip


def is_uuid(value: str) -> bool:
    return bool(UUID_PATTERN.fullmatch(value))


def _shorten(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
