"""The leakage gate: nothing of val or test may be in train, or in the other held-out split.

Checks, over the split's output:

- ``group`` / ``cluster``: no ``group_id`` and no ``cluster_id`` has rows in two splits.
- ``exact``: no two rows of different splits have the same dedup exact key (the compared turns,
  case- and whitespace-folded, as ``dedup`` computes it with its ``key`` settings).
- ``near``: no two rows of different splits are near duplicates by dedup's own test (MinHash + LSH
  candidates verified by exact Jaccard >= ``dedup.jaccard_threshold`` or rapidfuzz ratio >=
  ``dedup.ratio_threshold``, numbers must match), through :func:`tuneset.dedup.verify.near_duplicate_pairs`.
- ``ngram`` (``decontaminate.self_check``): no example holds, in a user message, the whole user
  message of an example of another split (a val or test question copied into train with a
  greeting): the decontaminate method with the held-out prompts as the benchmark, at the threshold
  "every n-gram" (:mod:`~tuneset.split.links`). Shared canned answers and template sentences are the
  norm in support data, so they do not count; n-grams in more than ``max_item_frequency`` messages
  are boilerplate. It is a gate, not a drop: ``gate`` fails the run, ``report`` only reports,
  ``off`` skips it. With ``split.link_prompts`` (default) the split already keeps such pairs together.

Every violation names the pair by source file and locator (never by content) and the splits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tuneset import schema as col
from tuneset.config import DecontaminateConfig, DedupConfig
from tuneset.split.links import CONTAINS, prompt_links

MAX_SHOWN = 20  # violations listed per check
CHECKS = ("group", "cluster", "exact", "near", "ngram")
COLUMNS = (col.ORIGIN_ID, col.SPLIT, col.GROUP_ID, col.CLUSTER_ID, col.KIND, col.MESSAGES, col.CHOSEN, col.REJECTED,
           col.SOURCE_FILE, col.LOCATOR)


@dataclass(frozen=True)
class Leak:
    check: str
    a: int  # row numbers in the order the frames were read
    b: int
    details: tuple[tuple[str, Any], ...] = ()


@dataclass
class Leakage:
    """What each check found; ``gating`` lists the checks whose violations fail the run."""

    counts: dict[str, int | None] = field(default_factory=dict)  # None: not run
    leaks: list[Leak] = field(default_factory=list)  # at most MAX_SHOWN per check
    where: list[str] = field(default_factory=list)  # "split source_file locator" per row
    gating: tuple[str, ...] = ("group", "cluster", "exact", "near", "ngram")
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.counts.get(c) for c in self.gating)

    def describe(self, leak: Leak) -> str:
        extra = "".join(f", {k} {v}" for k, v in leak.details)
        return f"{leak.check}: {self.where[leak.a]}  <->  {self.where[leak.b]}{extra}"

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "gating": list(self.gating),
            "violations": {c: self.counts.get(c) for c in CHECKS},
            "examples": [{"check": x.check, "a": self.where[x.a], "b": self.where[x.b], **dict(x.details)}
                         for x in self.leaks],
            "notes": list(self.notes),
        }


def _straddling(keys: Sequence[str], splits: Sequence[str], check: str) -> tuple[int, list[Leak]]:
    """Keys with rows in more than one split: how many, and one pair of rows for the first few."""
    frame = pd.DataFrame({"k": keys, "s": splits, "r": np.arange(len(keys))})
    per = frame.groupby("k", sort=True)["s"].nunique()
    bad = per.index[per > 1]
    leaks = []
    if len(bad):
        sub = frame[frame["k"].isin(bad[:MAX_SHOWN])].sort_values(["k", "r"])
        for _, g in sub.groupby("k", sort=True):
            first = g.iloc[0]
            other = g[g["s"] != first["s"]].iloc[0]
            leaks.append(Leak(check, int(first["r"]), int(other["r"])))
    return int(len(bad)), leaks


def near_leaks(texts: Sequence[str], splits: Sequence[str], kinds: Sequence[str], cfg: DedupConfig) -> tuple[int, list[Leak]]:
    """Near-duplicate pairs across splits, by dedup's own candidate search and verification."""
    from tuneset.dedup import near_params
    from tuneset.dedup.verify import near_duplicate_pairs

    if len(texts) < 2:
        return 0, []
    found = near_duplicate_pairs(texts, np.arange(len(texts), dtype=np.int64), near_params(cfg), groups=kinds)
    leaks = []
    count = 0
    for (i, j), jv, rv in zip(found.pairs.tolist(), found.jaccard.tolist(), found.ratio.tolist()):
        if splits[i] != splits[j]:
            count += 1
            if len(leaks) < MAX_SHOWN:
                leaks.append(Leak("near", i, j, (("jaccard", round(jv, 4)), ("ratio", round(rv, 4)))))
    return count, leaks


def check_leakage(frames: Callable[[], Iterable[pd.DataFrame]], dedup: DedupConfig,
                  decontaminate: DecontaminateConfig, links: pd.DataFrame | None = None) -> Leakage:
    """Run every check over the frames ``frames()`` yields. ``links`` are the prompt links of these
    rows when already computed (:func:`~tuneset.split.links.prompt_links`), else they are computed."""
    from tuneset.dedup.text import extract

    out = Leakage(gating=tuple(c for c in CHECKS if c != "ngram" or decontaminate.self_check == "gate"))
    oids: list[str] = []
    splits: list[str] = []
    gids: list[str] = []
    cids: list[str] = []
    kinds: list[str] = []
    key_text: list[str] = []
    exact: list[str] = []
    for df in frames():
        if not len(df):
            continue
        split = [str(s) for s in df[col.SPLIT].tolist()]
        oids += [str(o) for o in df[col.ORIGIN_ID].tolist()]
        splits += split
        gids += [str(x) for x in df[col.GROUP_ID].tolist()]
        cids += [str(x) for x in df[col.CLUSTER_ID].tolist()]
        out.where += [f"{s} {f} {loc}" for s, f, loc in zip(split, df[col.SOURCE_FILE].tolist(), df[col.LOCATOR].tolist())]
        t = extract(df, dedup.key, dedup.include_system, dedup.fold_case, dedup.fold_whitespace)
        kinds += t.kinds
        key_text += t.key_text
        exact += [f"{k}\t{e}" for k, e in zip(t.kinds, t.exact)]

    for check, keys in (("group", gids), ("cluster", cids), ("exact", exact)):
        out.counts[check], leaks = _straddling(keys, splits, check)
        out.leaks += leaks
    del exact
    if dedup.near:
        out.counts["near"], leaks = near_leaks(key_text, splits, kinds, dedup)
        out.leaks += leaks
    else:
        out.counts["near"] = None
        out.notes.append("near-duplicate check off (dedup.near: false)")
    del key_text

    if decontaminate.self_check == "off":
        out.counts["ngram"] = None
        out.notes.append("n-gram check of val/test against train off (decontaminate.self_check: off)")
        return out
    if links is None:
        links = prompt_links(frames, decontaminate)
    row = {o: i for i, o in enumerate(oids)}
    count = 0
    for a, b in zip(links[col.ORIGIN_ID].tolist(), links[CONTAINS].tolist()):
        i, j = row.get(a), row.get(b)
        if i is None or j is None or splits[i] == splits[j]:
            continue
        count += 1
        if count <= MAX_SHOWN:
            out.leaks.append(Leak("ngram", i, j, (("relation", "a user message of the first holds one of the second"),)))
    out.counts["ngram"] = count
    return out
