"""From what a user types to one example: full ids or unique prefixes, as in git.

An ID is an ``example_id`` or an ``origin_id`` (64 hex characters), or a prefix of at least 8.
:func:`find` looks the prefix up in one or more indexes (several dataset versions at once for
``models which``); no match, or more than one distinct id, is an error that lists the candidates.
:func:`pick` then chooses among the units carrying an id: an ``example_id`` shared by a kept row
and dropped exact duplicates resolves to the kept row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneset import schema as col
from tuneset.audit import AuditError
from tuneset.audit.index import KEPT, STATUS, IndexReader

MIN_PREFIX = 8
MAX_CANDIDATES = 10
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class Match:
    """A resolved id: which column it is (``example_id`` or ``origin_id``) and its full value."""

    kind: str
    id: str


def normalize_id(raw: str) -> str:
    value = raw.strip().lower()
    if not _HEX.match(value) or not MIN_PREFIX <= len(value) <= 64:
        raise AuditError(f"{raw!r} is not an id: give an example_id or origin_id, or a unique prefix of at least "
                         f"{MIN_PREFIX} hex characters")
    return value


def find(readers: Sequence[IndexReader], raw: str, where: str = "data/final") -> Match:
    """The one id (example or origin) that ``raw`` names across ``readers``; errors list candidates."""
    prefix = normalize_id(raw)
    found: set[tuple[str, str]] = set()
    for reader in readers:
        found.update((col.ORIGIN_ID, i) for i in reader.origin_prefix(prefix, MAX_CANDIDATES + 1))
        found.update((col.EXAMPLE_ID, i) for i in reader.example_prefix(prefix, MAX_CANDIDATES + 1))
    if not found:
        near = closest(readers, prefix)
        hint = ("; the closest ids:\n  " + "\n  ".join(describe_candidate(readers, k, v) for k, v in near)) if near else ""
        raise AuditError(f"no example_id or origin_id starts with {prefix} in {where}{hint}")
    if len(found) > 1:
        lines = [describe_candidate(readers, kind, value) for kind, value in sorted(found, key=lambda t: t[1])]
        more = "" if len(found) <= MAX_CANDIDATES else "\n  ... and more"
        raise AuditError(f"{prefix} is ambiguous; give more characters. Candidates:\n  "
                         + "\n  ".join(lines[:MAX_CANDIDATES]) + more)
    kind, value = found.pop()
    return Match(kind, value)


def closest(readers: Sequence[IndexReader], prefix: str, shortest: int = 4) -> list[tuple[str, str]]:
    """Ids sharing the longest part of ``prefix`` (at least ``shortest`` characters): a mistyped id's neighbours."""
    for n in range(len(prefix) - 1, shortest - 1, -1):
        near: set[tuple[str, str]] = set()
        for reader in readers:
            near.update((col.ORIGIN_ID, i) for i in reader.origin_prefix(prefix[:n], MAX_CANDIDATES))
            near.update((col.EXAMPLE_ID, i) for i in reader.example_prefix(prefix[:n], MAX_CANDIDATES))
        if near:
            return sorted(near, key=lambda t: t[1])[:MAX_CANDIDATES]
    return []


def describe_candidate(readers: Sequence[IndexReader], kind: str, value: str) -> str:
    for reader in readers:
        units = units_for(reader, Match(kind, value))
        if units:
            u = units[0]
            return f"{kind:<10} {value}  {status_text(u)}  {u.get(col.SOURCE_FILE)} {u.get(col.LOCATOR)}"
    return f"{kind:<10} {value}"


def status_text(unit: Mapping[str, Any]) -> str:
    if unit.get(STATUS) == KEPT:
        return f"kept in {unit.get(col.SPLIT)}"
    return f"dropped at {unit.get(col.STAGE)} ({unit.get(col.RULE)})"


def units_for(reader: IndexReader, match: Match) -> list[dict[str, Any]]:
    """Every unit of one version carrying the id, kept first, then by origin_id."""
    if match.kind == col.ORIGIN_ID:
        units = reader.units_by_origin([match.id])
    else:
        origins = [r[col.ORIGIN_ID] for r in reader.rows_by_example([match.id])]
        units = reader.units_by_origin(origins)
    return sorted(units, key=lambda u: (u.get(STATUS) != KEPT, u[col.ORIGIN_ID]))


def pick(units: Sequence[dict[str, Any]], match: Match) -> dict[str, Any]:
    """The unit an id means: the kept row when there is one, else the only dropped row."""
    if not units:
        raise AuditError(f"{match.kind} {match.id} is not in this version")
    if units[0].get(STATUS) == KEPT or len(units) == 1:
        return units[0]
    lines = [f"origin_id {u[col.ORIGIN_ID]}  {status_text(u)}  {u.get(col.SOURCE_FILE)} {u.get(col.LOCATOR)}"
             for u in units[:MAX_CANDIDATES]]
    raise AuditError(f"example_id {match.id} was dropped {len(units)} times and kept nowhere; "
                     f"explain one of its units by origin_id:\n  " + "\n  ".join(lines))
