"""Preference pairs: chosen and rejected must be two different answers to one prompt."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


_DIGEST = 16


def _digest(value: Any) -> bytes:
    # repr is exact for these tuples of str/None (lone surrogates come out escaped), so equal digests
    # mean equal keys up to a 128-bit collision.
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=_DIGEST).digest()


@dataclass
class SwappedPairs:
    """Mergeable state behind :func:`swapped_pairs`: the number of preference pairs, and for each
    distinct (prompt, chosen, rejected) the ``origin_id`` of its first row, keyed by three 16-byte
    digests rather than the texts. :meth:`add` frames, and :meth:`merge` states, in row order (the
    first row of a key is the one named)."""

    pairs: int = 0
    seen: dict[bytes, str] = field(default_factory=dict)

    def add(self, df: pd.DataFrame) -> SwappedPairs:
        """Record the preference rows of ``df`` (kept examples); returns self."""
        if df.empty:
            return self
        seen = self.seen
        for kind, oid, messages, chosen, rejected in zip(df[col.KIND].tolist(), df[col.ORIGIN_ID].tolist(),
                                                         df[col.MESSAGES].tolist(), df[col.CHOSEN].tolist(),
                                                         df[col.REJECTED].tolist()):
            if kind != "preference":
                continue
            self.pairs += 1
            prompt = tuple((m.get("role"), m.get("content"), m.get("tool_calls")) for m in messages or ())
            key = _digest(prompt) + _digest(side_key(chosen)) + _digest(side_key(rejected))
            seen.setdefault(key, oid)
        return self

    def merge(self, other: SwappedPairs) -> SwappedPairs:
        """Append ``other`` (rows that come after these); returns self."""
        self.pairs += other.pairs
        for key, oid in other.seen.items():
            self.seen.setdefault(key, oid)
        return self

    def report(self, limit: int = 10) -> dict[str, Any]:
        """The report section (see :func:`swapped_pairs`)."""
        if not self.pairs:
            return {"pairs": 0, "swapped_duplicates": 0, "examples": []}
        d = _DIGEST
        found = set()
        for key, oid in self.seen.items():
            prompt, chosen, rejected = key[:d], key[d:2 * d], key[2 * d:]
            if chosen != rejected and (twin := self.seen.get(prompt + rejected + chosen)) is not None:
                found.add(tuple(sorted((oid, twin))))
        pairs = sorted(found)
        return {"pairs": self.pairs, "swapped_duplicates": len(pairs), "examples": [list(p) for p in pairs[:limit]]}


def swapped_pairs(df: pd.DataFrame, limit: int = 10) -> dict[str, Any]:
    """Kept preference pairs whose swapped twin (same prompt, chosen and rejected exchanged) is also
    kept: contradictory labels. Reported, not dropped: which side is right is a human decision."""
    return SwappedPairs().add(df).report(limit)
