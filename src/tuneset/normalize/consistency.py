"""Consistency across the dataset: ragged system prompts and turn counts teach noise.

The figures are whole-dataset ones, yet the stage reads its input in batches: :class:`ConsistencyStats`
holds only counters (each distinct system prompt once, with its count; turn-count tallies; per-source
counts and distinct prompts), so its memory grows with the distinct values, not with the rows, and
two of them merge into the stats of both batches. :func:`consistency` is the one-frame shortcut.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.preview import make_preview


@dataclass
class SourceStats:
    examples: int = 0
    with_system_prompt: int = 0
    prompts: set[str] = field(default_factory=set)


@dataclass
class ConsistencyStats:
    """Mergeable counts behind the consistency report; :meth:`add` a frame, :meth:`merge` another's."""

    examples: int = 0
    with_system_prompt: int = 0
    systems: Counter[str] = field(default_factory=Counter)
    turns: Counter[int] = field(default_factory=Counter)
    by_kind: dict[str, Counter[int]] = field(default_factory=dict)
    by_source: dict[str, SourceStats] = field(default_factory=dict)

    def add(self, df: pd.DataFrame) -> ConsistencyStats:
        """Count the rows of ``df`` (kept examples: kind, source, messages); returns self."""
        if df.empty:
            return self
        for kind, source, messages in zip(df[col.KIND].tolist(), df[col.SOURCE].tolist(), df[col.MESSAGES].tolist()):
            sys_texts = [m.get("content") or "" for m in messages if m.get("role") == "system"]
            s = self.by_source.get(str(source))
            if s is None:
                s = self.by_source[str(source)] = SourceStats()
            s.examples += 1
            if sys_texts:
                self.with_system_prompt += 1
                self.systems[sys_texts[0]] += 1
                s.with_system_prompt += 1
                s.prompts.add(sys_texts[0])
            n = sum(1 for m in messages if m.get("role") in ("user", "assistant"))
            self.turns[n] += 1
            by_kind = self.by_kind.get(str(kind))
            if by_kind is None:
                by_kind = self.by_kind[str(kind)] = Counter()
            by_kind[n] += 1
        self.examples += len(df)
        return self

    def merge(self, other: ConsistencyStats) -> ConsistencyStats:
        """Add ``other``'s counts to these; returns self (the order of merging does not matter)."""
        self.examples += other.examples
        self.with_system_prompt += other.with_system_prompt
        self.systems.update(other.systems)
        self.turns.update(other.turns)
        for kind, counts in other.by_kind.items():
            self.by_kind.setdefault(kind, Counter()).update(counts)
        for name, theirs in other.by_source.items():
            mine = self.by_source.setdefault(name, SourceStats())
            mine.examples += theirs.examples
            mine.with_system_prompt += theirs.with_system_prompt
            mine.prompts |= theirs.prompts
        return self

    def report(self, top: int = 10, system_policy: str = "keep") -> dict[str, Any]:
        """The report section (see :func:`consistency`)."""
        n = self.examples
        if n == 0:
            return {"examples": 0, "with_system_prompt": 0.0, "system_prompts": [], "distinct_system_prompts": 0,
                    "turns": {}, "turns_by_kind": {}, "by_source": {}, "advice": []}
        with_system, systems = self.with_system_prompt, self.systems
        common = sorted(systems.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        advice = []
        if 0 < with_system < n and system_policy == "keep":
            advice.append(f"{with_system} of {n} examples have a system prompt and {n - with_system} do not: "
                          "set normalize.system_prompt to require, forbid or inject:<text> to make them consistent")
        if len(systems) > 1:
            advice.append(f"{len(systems)} distinct system prompts: check that the differences are intended")
        return {
            "examples": int(n),
            "with_system_prompt": round(with_system / n, 4),
            "distinct_system_prompts": len(systems),
            "system_prompts": [{"prompt": make_preview(p, 120), "sha256": hashing.sha256_text(p)[:12], "count": c}
                               for p, c in common],
            "other_system_prompt_examples": int(sum(systems.values()) - sum(c for _, c in common)),
            "turns": {str(k): self.turns[k] for k in sorted(self.turns)},
            "turns_by_kind": {k: {str(t): c[t] for t in sorted(c)} for k, c in sorted(self.by_kind.items())},
            "by_source": {name: {"examples": s.examples,
                                 "with_system_prompt": round(s.with_system_prompt / s.examples, 4),
                                 "distinct_system_prompts": len(s.prompts)}
                          for name, s in sorted(self.by_source.items())},
            "advice": advice,
        }


def consistency(df: pd.DataFrame, top: int = 10, system_policy: str = "keep") -> dict[str, Any]:
    """Share of examples with a system prompt (overall and per source), the distinct system prompts
    with counts (the ``top`` most common shown as scrubbed previews with a short hash), the mixture
    of user+assistant turn counts per kind, and advice when system prompts are ragged."""
    return ConsistencyStats().add(df).report(top, system_policy)
