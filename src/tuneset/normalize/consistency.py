"""Consistency across the dataset: ragged system prompts and turn counts teach noise."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.preview import make_preview


def consistency(df: pd.DataFrame, top: int = 10, system_policy: str = "keep") -> dict[str, Any]:
    """Share of examples with a system prompt (overall and per source), the distinct system prompts
    with counts (the ``top`` most common shown as scrubbed previews with a short hash), the mixture
    of user+assistant turn counts per kind, and advice when system prompts are ragged."""
    if df.empty:
        return {"examples": 0, "with_system_prompt": 0.0, "system_prompts": [], "distinct_system_prompts": 0,
                "turns": {}, "turns_by_kind": {}, "by_source": {}, "advice": []}
    systems: Counter[str] = Counter()
    turns: Counter[int] = Counter()
    by_kind: dict[str, Counter[int]] = {}
    per_source: dict[str, dict[str, Any]] = {}
    with_system = 0
    for kind, source, messages in zip(df[col.KIND], df[col.SOURCE], df[col.MESSAGES]):
        sys_texts = [m.get("content") or "" for m in messages if m.get("role") == "system"]
        s = per_source.setdefault(str(source), {"examples": 0, "with_system_prompt": 0, "prompts": set()})
        s["examples"] += 1
        if sys_texts:
            with_system += 1
            systems[sys_texts[0]] += 1
            s["with_system_prompt"] += 1
            s["prompts"].add(sys_texts[0])
        n = sum(1 for m in messages if m.get("role") in ("user", "assistant"))
        turns[n] += 1
        by_kind.setdefault(str(kind), Counter())[n] += 1
    common = sorted(systems.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    share = with_system / len(df)
    advice = []
    if 0 < with_system < len(df) and system_policy == "keep":
        advice.append(f"{with_system} of {len(df)} examples have a system prompt and {len(df) - with_system} do not: "
                      "set normalize.system_prompt to require, forbid or inject:<text> to make them consistent")
    if len(systems) > 1:
        advice.append(f"{len(systems)} distinct system prompts: check that the differences are intended")
    return {
        "examples": int(len(df)),
        "with_system_prompt": round(share, 4),
        "distinct_system_prompts": len(systems),
        "system_prompts": [{"prompt": make_preview(p, 120), "sha256": hashing.sha256_text(p)[:12], "count": n}
                           for p, n in common],
        "other_system_prompt_examples": int(sum(systems.values()) - sum(n for _, n in common)),
        "turns": {str(k): turns[k] for k in sorted(turns)},
        "turns_by_kind": {k: {str(t): c[t] for t in sorted(c)} for k, c in sorted(by_kind.items())},
        "by_source": {name: {"examples": s["examples"],
                             "with_system_prompt": round(s["with_system_prompt"] / s["examples"], 4),
                             "distinct_system_prompts": len(s["prompts"])}
                      for name, s in sorted(per_source.items())},
        "advice": advice,
    }
