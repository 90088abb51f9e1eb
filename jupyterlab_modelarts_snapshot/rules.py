"""Input rules for a save: the limits and patterns in ``rules.json``, their hints in words here.

The server and the CLI apply them; the browser form applies the same rules (``validation.ts``),
and ``tests/validation-cases.json`` is run against both: nothing invalid is sent to ModelArts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .exceptions import InvalidInput
from .i18n import Text, _
from .models import SaveRequest

RULES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("rules.json")).read_text(encoding="utf-8")
)
FIELDS = tuple(RULES)
# What each field may hold, in words; the form in the browser says the same (validation.ts).
HINTS = {
    "name": _(
        "Use 1 to 128 lowercase letters, digits, '-', '_' or '.', starting and ending with a "
        "lowercase letter or digit, for example 'pytorch-env'."
    ),
    "namespace": _(
        "Use your SWR organization: 1 to 64 characters, starting with a lowercase letter, then "
        "letters, digits, '-', '_' or '.'."
    ),
    "tag": _(
        "Use up to 64 letters, digits, '_', '.' or '-', not starting with '.' or '-', for example "
        "'20221223' or 'v1.0'."
    ),
    "description": _("Keep the description to 512 characters or fewer."),
    "workspace_id": _(
        "Use '0' for the default workspace, or the 32-character workspace ID (lowercase letters "
        "and digits) shown in the ModelArts console."
    ),
}
LABELS = {
    "name": _("name"),
    "namespace": _("namespace"),
    "tag": _("tag"),
    "description": _("description"),
    "workspace_id": _("workspace ID"),
}

# Identifiers placed in upstream URLs: checked before use so no input can change the path.
UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
PROJECT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_field(field: str, value: Any) -> Text | None:
    """Return what is wrong with ``value`` for ``field`` in words, or None when it is valid."""
    rule = RULES[field]
    words = {"label": LABELS[field], "hint": HINTS[field]}
    if value is None or value == "":
        return _("The {label} is required. {hint}", **words) if rule["required"] else None
    if not isinstance(value, str):
        return _("The {label} must be text, not {type}. {hint}", type=type(value).__name__, **words)
    if len(value) > rule["max_length"]:
        return _(
            "The {label} is {length} characters long; the limit is {limit}. {hint}",
            length=len(value),
            limit=rule["max_length"],
            **words,
        )
    if rule["pattern"] and not re.fullmatch(rule["pattern"], value):
        return _("The {label} '{value}' is not allowed. {hint}", value=_shorten(value), **words)
    return None


# The request's true/false fields, which are never sent to ModelArts: save although the
# pre-flight blocks, save without waiting for the size check, and stop the instance once saved.
SWITCHES = ("force", "skip_size_check", "stop_after_save")


def refuse_unknown(body: dict[Any, Any], allowed: Sequence[str]) -> None:
    """Refuse a request body with a field the call does not document, naming the allowed ones."""
    unknown = sorted(str(key) for key in body if key not in allowed)
    if unknown:
        raise InvalidInput(
            unknown[0],
            _(
                "Unknown field '{field}'. Allowed fields: {allowed}.",
                field=_shorten(unknown[0]),
                allowed=", ".join(allowed),
            ),
        )


def switch(body: dict[Any, Any], name: str) -> bool:
    """A request's true/false field (false when absent); anything else is refused."""
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(name, _("'{field}' must be true or false.", field=name))
    return value


def validate_save_request(body: Any) -> SaveRequest:
    """Check a save request and return it, with empty optional fields as None.

    Raises :class:`InvalidInput` for the first problem found, naming the field.
    """
    if not isinstance(body, dict):
        raise InvalidInput(
            "body", _("The request body must be a JSON object with 'name' and 'namespace'.")
        )
    refuse_unknown(body, (*FIELDS, *SWITCHES))
    for name in SWITCHES:
        switch(body, name)
    for field in FIELDS:
        problem = check_field(field, body.get(field))
        if problem:
            raise InvalidInput(field, problem)
    given = {field: body.get(field) or None for field in FIELDS}
    return SaveRequest(
        name=body["name"], namespace=body["namespace"], tag=given["tag"],
        description=given["description"], workspace_id=given["workspace_id"],
        force=body.get("force", False), skip_size_check=body.get("skip_size_check", False),
        stop_after_save=body.get("stop_after_save", False),
    )  # fmt: skip


def is_uuid(value: str) -> bool:
    return bool(UUID_PATTERN.fullmatch(value))


def canonical_id(image_id: str) -> str:
    """The one form an image ID is stored and compared in: ModelArts' lower case."""
    return image_id.lower()


def _shorten(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def next_free_tag(tag: str, taken: set[str]) -> str:
    """The first of ``tag-2``, ``tag-3``, ... (or the next number after a ``-N`` already there)
    that is not taken and fits the tag's length limit."""
    numbered = re.fullmatch(r"(.+)-(\d{1,4})", tag)
    base, number = (numbered.group(1), int(numbered.group(2)) + 1) if numbered else (tag, 2)
    limit = RULES["tag"]["max_length"]
    while True:
        suffix = f"-{number}"
        candidate = base[: limit - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1
