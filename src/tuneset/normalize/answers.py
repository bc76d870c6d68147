"""Structured answers: when a source's assistant answers in JSON, every answer must parse (and
validate against the source's JSON Schema when one is given)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tuneset import schema as col
from tuneset.normalize.base import Facts, StructureRule, located_messages
from tuneset.normalize.jsonschemas import check_schema, first_error
from tuneset.rules import register

ALL_SOURCES = "*"


@register
@dataclass(frozen=True)
class JsonAnswer(StructureRule):
    """For the sources named in ``normalize.json_answers`` (``"*"``: every source), each assistant
    answer with text is parsed as JSON (strictly: no code fences, no trailing text) and, when the
    source maps to a non-empty JSON Schema, validated against it. The reason is the parser's error
    or the failing schema path and keyword."""

    name: ClassVar[str] = "json_answer"
    schemas: dict[str, Any] = field(default_factory=dict)

    def needed(self, facts: Facts) -> bool:
        return bool(self.schemas)

    def check(self, record):
        if not self.schemas:
            return None
        source = record.get(col.SOURCE)
        if source in self.schemas:
            schema = self.schemas[source]
        elif ALL_SOURCES in self.schemas:
            schema = self.schemas[ALL_SOURCES]
        else:
            return None
        for where, m in located_messages(record):
            content = m.get("content")
            if m.get("role") != "assistant" or not isinstance(content, str) or not content:
                continue
            try:
                answer = json.loads(content)
            except ValueError as exc:
                return f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"  # type: ignore[attr-defined]
            if schema:
                why = first_error(schema, answer)
                if why:
                    return f"{where} fails the source's JSON Schema {why}"
        return None

    def validate(self) -> str | None:
        """None when every configured schema is a valid JSON Schema, else the first problem."""
        for source in sorted(self.schemas):
            schema = self.schemas[source]
            if schema:
                why = check_schema(schema)
                if why:
                    return f"normalize.json_answers.{source}: the schema {why}"
        return None
