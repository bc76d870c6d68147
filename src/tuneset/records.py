"""The canonical record: what every reader produces and every stage passes on.

A reader turns one unit as read (a JSONL line, an array element, a CSV row, or an expanded piece
of a row) into a :class:`Unit`: either a :class:`Parsed` example or an error. :func:`build_record`
adds the identities and the provenance that come from the source configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tuneset import hashing
from tuneset import schema as col


@dataclass(frozen=True)
class SourceInfo:
    """Provenance shared by every unit of one file."""

    source: str
    source_file: str  # path relative to the repo root, '/'-separated
    origin: str = "unknown"
    license: str = "unknown"


@dataclass
class Parsed:
    """One example in canonical shape, before identities are attached."""

    kind: str
    messages: list[dict[str, Any]]
    chosen: list[dict[str, Any]] | None = None
    rejected: list[dict[str, Any]] | None = None
    tools: str | None = None  # canonical JSON text of the function schemas
    group_id: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Unit:
    """One unit as read. Exactly one of ``parsed`` and ``error`` is set.

    ``raw`` is the bytes hashed into ``origin_id``: the line as read, or the canonical JSON of an
    array element / Parquet row / CSV row. ``group_hint`` groups the expanded pieces of one row
    (all threads of an OpenAssistant tree) when the source names no group key.
    """

    locator: str
    raw: bytes
    parsed: Parsed | None = None
    error: str | None = None
    rule: str | None = None  # the quarantine rule name when ``error`` is set
    group_hint: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def message(role: str, content: str | None, *, name: str | None = None, tool_calls: Any = None,
            tool_call_id: str | None = None) -> dict[str, Any]:
    """A canonical message; ``tool_calls`` given as a list is stored as canonical JSON text."""
    if tool_calls is not None and not isinstance(tool_calls, str):
        tool_calls = hashing.canonical_json(tool_calls)
    return {"role": role, "content": content, "name": name, "tool_calls": tool_calls,
            "tool_call_id": tool_call_id}


def full_message(m: Mapping[str, Any]) -> dict[str, Any]:
    """Every message field present (null when absent), as the Parquet struct expects."""
    return {k: m.get(k) for k in col.MESSAGE_FIELDS}


def full_messages(ms: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if ms is None else [full_message(m) for m in ms]


def compute_example_id(row: Mapping[str, Any]) -> str:
    return hashing.example_id(row[col.KIND], row[col.MESSAGES], row.get(col.CHOSEN),
                              row.get(col.REJECTED), row.get(col.TOOLS))


def build_record(unit: Unit, info: SourceInfo) -> dict[str, Any]:
    """The canonical record of a parsed unit, with ``origin_id`` and ``example_id`` attached."""
    p = unit.parsed
    if p is None:
        raise ValueError(f"unit {info.source_file}:{unit.locator} has no parsed example")
    oid = hashing.origin_id(info.source_file, unit.locator, unit.raw)
    rec = {
        col.ORIGIN_ID: oid,
        col.KIND: p.kind,
        col.MESSAGES: full_messages(p.messages),
        col.CHOSEN: full_messages(p.chosen),
        col.REJECTED: full_messages(p.rejected),
        col.TOOLS: p.tools,
        col.SOURCE: info.source,
        col.SOURCE_FILE: info.source_file,
        col.LOCATOR: unit.locator,
        col.LICENSE: info.license,
        col.ORIGIN: info.origin,
        col.GROUP_ID: hashing.group_id(info.source, p.group_id) if p.group_id else (unit.group_hint or oid),
        col.LABELS: {str(k): str(v) for k, v in sorted(p.labels.items())},
        col.META: hashing.canonical_json(p.meta),
    }
    rec[col.EXAMPLE_ID] = compute_example_id(rec)
    return rec
