"""JSON Schema validation with reasons that never quote the data (it may hold PII)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError


class BadSchema(ValueError):
    """The schema itself is not a valid JSON Schema."""


@lru_cache(maxsize=512)
def _validator(schema_text: str) -> Any:
    # Memo of a pure function: the same schema text always compiles to the same validator.
    schema = json.loads(schema_text)
    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise BadSchema(f"at {exc.json_path}: {_cut(exc.message)}") from None
    return cls(schema)


def check_schema(schema: Any) -> str | None:
    """None when ``schema`` is a valid JSON Schema, else why not."""
    if not isinstance(schema, (dict, bool)):
        return f"is {type(schema).__name__}, expected an object"
    try:
        _validator(json.dumps(schema, sort_keys=True))
    except BadSchema as exc:
        return f"is not a valid JSON Schema ({exc})"
    return None


def first_error(schema: Any, instance: Any) -> str | None:
    """None when ``instance`` validates against ``schema``; else the first failure (by path, then
    keyword), naming the path and the schema keyword, never the instance value."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(instance), key=lambda e: (e.json_path, str(e.validator)))
    if not errors:
        return None
    e = errors[0]
    return f"at {e.json_path}: fails {e.validator}={_short(e.validator_value)}"


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
