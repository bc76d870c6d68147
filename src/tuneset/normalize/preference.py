"""Preference pairs: chosen and rejected must be two different answers to one prompt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import schema as col
from tuneset.normalize.base import StructureRule
from tuneset.rules import register


def side_key(turns: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[Any, ...], ...]:
    """Turns as comparable tuples, whitespace runs collapsed (what "the same answer" means)."""
    return tuple((m.get("role"), " ".join(m["content"].split()) if isinstance(m.get("content"), str) else None,
                  m.get("tool_calls") if isinstance(m.get("tool_calls"), str) else repr(m.get("tool_calls")))
                 for m in turns or ())


@register
@dataclass(frozen=True)
class DistinctResponses(StructureRule):
    """``chosen`` and ``rejected`` differ after normalization (whitespace runs collapsed): an identical
    pair teaches no preference."""

    name: ClassVar[str] = "distinct_responses"
    kinds: ClassVar[tuple[str, ...]] = ("preference",)

    def check(self, record):
        if side_key(record.get(col.CHOSEN)) == side_key(record.get(col.REJECTED)):
            return "chosen and rejected are the same answer"
        return None


def swapped_pairs(df: pd.DataFrame, limit: int = 10) -> dict[str, Any]:
    """Kept preference pairs whose swapped twin (same prompt, chosen and rejected exchanged) is also
    kept: contradictory labels. Reported, not dropped: which side is right is a human decision."""
    if df.empty:
        return {"pairs": 0, "swapped_duplicates": 0, "examples": []}
    seen: dict[tuple[Any, Any, Any], str] = {}
    pairs = 0
    for kind, oid, messages, chosen, rejected in zip(df[col.KIND].tolist(), df[col.ORIGIN_ID].tolist(),
                                                     df[col.MESSAGES].tolist(), df[col.CHOSEN].tolist(),
                                                     df[col.REJECTED].tolist()):
        if kind != "preference":
            continue
        pairs += 1
        prompt = tuple((m.get("role"), m.get("content"), m.get("tool_calls")) for m in messages or ())
        seen.setdefault((prompt, side_key(chosen), side_key(rejected)), oid)
    found = sorted({tuple(sorted((oid, seen[(p, r, c)]))) for (p, c, r), oid in seen.items()
                    if (p, r, c) in seen and (p, r, c) != (p, c, r)})
    return {"pairs": pairs, "swapped_duplicates": len(found),
            "examples": [list(pair) for pair in found[:limit]]}
