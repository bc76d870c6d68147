"""Quarantine rules of the ingest stage: why a unit as read could not become an example.

Each rule carries ``fix``, the sentence a reason ends with, so every quarantine row tells the user
what to do about it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

from tuneset.rules import REGISTRY, Rule, register

STAGE = "ingest"


@dataclass(frozen=True)
class IngestRule(Rule):
    """A reason a unit could not be read (base class, not registered)."""

    stage: ClassVar[str] = STAGE
    fix: ClassVar[str] = ""


@register
@dataclass(frozen=True)
class InvalidUtf8(IngestRule):
    """The unit's bytes are not valid UTF-8 (or hold an unpaired UTF-16 surrogate escape), so its text
    cannot be read without guessing."""

    name: ClassVar[str] = "invalid_utf8"
    fix: ClassVar[str] = "re-save the file as UTF-8, or set the source's `encoding`"


@register
@dataclass(frozen=True)
class InvalidJson(IngestRule):
    """The unit (a JSONL line, or a whole .json file) is not valid JSON."""

    name: ClassVar[str] = "invalid_json"
    fix: ClassVar[str] = "fix the JSON or remove it"


@register
@dataclass(frozen=True)
class NotAnObject(IngestRule):
    """The unit is valid JSON but not an object (a string, number or list), so it has no fields."""

    name: ClassVar[str] = "not_an_object"
    fix: ClassVar[str] = "make each record a JSON object"


@register
@dataclass(frozen=True)
class UnrecognizedShape(IngestRule):
    """No known record shape (openai, sharegpt, alpaca, prompt_completion, preference, openai_dpo,
    oasst, self_instruct, or a transcript with speaker labels) matches the unit."""

    name: ClassVar[str] = "unrecognized_shape"
    fix: ClassVar[str] = ("declare the source in conf/sources with `format`, and `fields` to map "
                          "its columns (e.g. prompt: <question column>, completion: <answer column>)")


@register
@dataclass(frozen=True)
class InvalidRecord(IngestRule):
    """The unit has the file's shape but a field is missing or of the wrong type for it."""

    name: ClassVar[str] = "invalid_record"
    fix: ClassVar[str] = "fix the record, or map the right field with the source's `fields`"


@register
@dataclass(frozen=True)
class UnreadableFile(IngestRule):
    """The whole file could not be read: corrupt gzip or Parquet, binary content, an unsupported
    extension, or text in none of the declared/detected encodings. The file counts as one unit."""

    name: ClassVar[str] = "unreadable_file"
    fix: ClassVar[str] = ("replace the file with a readable .jsonl/.json/.csv/.tsv/.parquet/.txt "
                          "(optionally .gz), or remove it")


@register
@dataclass(frozen=True)
class CsvRowWidth(IngestRule):
    """A CSV/TSV data row has a different number of fields than the header (often an unquoted
    delimiter or a stray quote)."""

    name: ClassVar[str] = "csv_row_width"
    fix: ClassVar[str] = "quote fields that contain the delimiter, or set the source's `delimiter`"


@functools.lru_cache(maxsize=None)
def get(name: str) -> IngestRule:
    rule = REGISTRY[name]()
    assert isinstance(rule, IngestRule), name
    return rule


class UnitError(Exception):
    """A unit that cannot become an example: the rule that quarantines it and a value-free message."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
