"""Contradictions: the same prompt (exact or near) with materially different answers.

Kept examples are grouped by prompt: rows whose prompts have the same exact key (the dedup key
folding), or whose prompts are verified near duplicates (the same MinHash/LSH and Jaccard/ratio
tests as the dedup itself, on word shingles only: no short-text character index). In each prompt group the representative is the best row by the
survivor policy, and every other member is compared with it:

- SFT: the final answers *differ materially* when their similarity (the larger of word-shingle
  Jaccard and rapidfuzz ratio) is below ``answer_similarity``.
- Preference: the rows *contradict* when one row's chosen answer is the other's rejected one
  (similarity at least ``answer_similarity``) and not its chosen one (below it): reversed labels.
  Different answer pairs for one prompt are normal preference data and are not conflicts.

A prompt group with at least one such member is a conflict set, reported in
``reports/contradictions.json``. The policy then decides: ``report`` keeps everything,
``keep_one`` drops the members that conflict with the representative (the rule
``contradiction``), ``drop_all`` drops every member of the set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tuneset.dedup.clusters import components
from tuneset.dedup.text import Texts
from tuneset.dedup.verify import NearParams, SimilarityCache, near_duplicate_pairs

POLICIES = ("report", "keep_one", "drop_all")


@dataclass
class ConflictSet:
    representative: int  # row index
    members: list[int]  # row indices, best survivor first
    similarity: dict[int, float]  # member -> answer similarity to the representative
    conflicts: set[int]  # members whose answer conflicts with the representative's
    prompt_match: str  # "exact" when every member has the same folded prompt, else "near"


@dataclass
class PromptGroups:
    label: dict[int, int] = field(default_factory=dict)  # kept row -> smallest row of its prompt group
    groups: int = 0
    sets: list[ConflictSet] = field(default_factory=list)
    near: dict[str, object] = field(default_factory=dict)


def _similarity(cache: SimilarityCache, i: int, j: int) -> float:
    return max(cache.jaccard(i, j), cache.ratio(i, j))


def find(texts: Texts, rows: np.ndarray, rank: np.ndarray, near: NearParams, answer_similarity: float,
         near_prompts: bool = True) -> PromptGroups:
    """Prompt groups among ``rows`` (kept rows) and the conflict sets among them.

    ``rank[row]`` is the row's position in the survivor order (smaller is better).
    """
    out = PromptGroups()
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) < 2:
        return out
    local = {int(r): k for k, r in enumerate(rows.tolist())}
    codes, _ = pd.factorize(pd.Series([texts.prompt_exact[r] for r in rows], dtype=object))
    edges = []
    # Rows with the same folded prompt: chain each to the first of its key.
    first: dict[int, int] = {}
    for k, c in enumerate(codes.tolist()):
        if c in first:
            edges.append((first[c], k))
        else:
            first[c] = k
    if near_prompts:
        reps = rows[sorted(first.values())]
        pairs = near_duplicate_pairs(texts.prompt, reps, near, groups=texts.kinds)
        out.near = pairs.stats
        edges += [(local[int(a)], local[int(b)]) for a, b in pairs.pairs.tolist()]
    labels = components(len(rows), np.asarray(edges, dtype=np.int64).reshape(-1, 2))
    members: dict[int, list[int]] = {}
    for k, lab in enumerate(labels.tolist()):
        members.setdefault(lab, []).append(int(rows[k]))
    n = len(texts.kinds)
    both = list(texts.answer) + list(texts.rejected)  # row i's rejected answer is text n + i
    cache = SimilarityCache(both, near.shingle, near.ngram)
    groups = []
    for lab, group in sorted(members.items()):
        smallest = min(group)
        for r in group:
            out.label[r] = smallest
        if len(group) > 1:
            group.sort(key=lambda r: rank[r])
            groups.append(group)
    out.groups = len(groups)
    # One batch of shingles for every answer compared below.
    needed = [r for g in groups for r in g]
    cache.prepare(needed + [n + r for r in needed if texts.kinds[r] == "preference"])
    for group in groups:
        rep = group[0]
        sims: dict[int, float] = {}
        conflicts: set[int] = set()
        for m in group[1:]:
            if texts.kinds[m] == "preference":
                same = _similarity(cache, m, rep)
                crossed = max(_similarity(cache, m, n + rep), _similarity(cache, n + m, rep))
                sims[m] = round(same, 4)
                if crossed >= answer_similarity and same < answer_similarity:
                    conflicts.add(m)
            else:
                sims[m] = round(_similarity(cache, m, rep), 4)
                if sims[m] < answer_similarity:
                    conflicts.add(m)
        if conflicts:
            exact = len({texts.prompt_exact[r] for r in group}) == 1
            out.sets.append(ConflictSet(rep, group, sims, conflicts, "exact" if exact else "near"))
    return out


def to_drop(sets: Sequence[ConflictSet], policy: str) -> dict[int, ConflictSet]:
    """Rows the policy drops, each with its conflict set."""
    if policy not in POLICIES:
        raise ValueError(f"contradiction policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    drop: dict[int, ConflictSet] = {}
    for s in sets:
        if policy == "keep_one":
            drop.update({m: s for m in s.conflicts})
        elif policy == "drop_all":
            drop.update({m: s for m in s.members})
    return drop
