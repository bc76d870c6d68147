"""Units as read: what a container hands to the reader, before any record shape is known."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tuneset import hashing

WHOLE_FILE = "file"


class RawUnit:
    """One unit as read. ``rule``/``error`` are set when the container could not read it."""

    __slots__ = ("locator", "raw", "value", "rule", "error")

    def __init__(self, locator: str, raw: bytes, value: Any = None, rule: str | None = None,
                 error: str | None = None) -> None:
        self.locator = locator
        self.raw = raw
        self.value = value
        self.rule = rule
        self.error = error


@dataclass
class Opened:
    container: str
    units: Iterable[RawUnit]
    empty: bool = False
    notes: list[str] = field(default_factory=list)


def whole(container: str, raw: bytes, rule: str, error: str, notes: list[str]) -> Opened:
    """The whole file as one quarantined unit (locator ``file``)."""
    return Opened(container, [RawUnit(WHOLE_FILE, raw, rule=rule, error=error)], notes=notes)


def canonical_bytes(obj: Any) -> bytes:
    """The bytes that identify a structured unit: its canonical JSON, UTF-8 (surrogates passed through)."""
    try:
        text = hashing.canonical_json(obj)
    except ValueError:  # NaN/Infinity: valid for Python's json, not for canonical JSON
        text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")
