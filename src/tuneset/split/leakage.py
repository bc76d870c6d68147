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

import bisect
import hashlib
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tuneset import schema as col
from tuneset.config import DecontaminateConfig, DedupConfig
from tuneset.split.links import CONTAINS, prompt_links

MAX_SHOWN = 20  # violations listed per check
SPLIT_CODES = {s: i for i, s in enumerate(col.SPLITS)}
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
    where: Sequence[str] = field(default_factory=list)  # "split source_file locator" per row
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


def _hashes(values: Sequence[Any]) -> np.ndarray:
    """A 64-bit fingerprint (blake2b) of each value's text: equal texts, equal fingerprints, on every run."""
    return np.fromiter((int.from_bytes(hashlib.blake2b(str(v).encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                       "little") for v in values), dtype=np.uint64, count=len(values))


class _Where(Sequence[str]):
    """``split source_file locator`` of a row, built when asked (only the leaks shown need it)."""

    def __init__(self, splits: list[str], file_of: np.ndarray, names: dict[int, str], locators: list[str]) -> None:
        self.splits, self.file_of, self.names, self.locators = splits, file_of, names, locators

    def __len__(self) -> int:
        return len(self.splits)

    def __getitem__(self, i):  # type: ignore[override]
        return f"{self.splits[i]} {self.names[int(self.file_of[i])]} {self.locators[i]}"


def _straddling(keys: np.ndarray, splits: Sequence[str], check: str) -> tuple[int, list[Leak]]:
    """Keys with rows in more than one split: how many, and one pair of rows for the first few."""
    if not len(keys):
        return 0, []
    code = np.asarray([SPLIT_CODES[s] for s in splits], dtype=np.int8)
    order = np.lexsort((np.arange(len(keys)), keys))
    k, c = keys[order], code[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    lo = np.minimum.reduceat(c, starts)
    hi = np.maximum.reduceat(c, starts)
    bad = np.flatnonzero(lo != hi)
    leaks = []
    ends = np.append(starts, len(k))
    for b in bad[:MAX_SHOWN].tolist():
        rows = order[starts[b]:ends[b + 1]]
        first = int(rows[0])
        other = next(int(r) for r in rows if code[r] != code[first])
        leaks.append(Leak(check, first, other))
    return int(len(bad)), leaks


class PackedTexts(Sequence[str]):
    """Many texts kept zlib-compressed in blocks (the key texts of a million examples take a third of
    the memory); reading them in order decompresses each block once."""

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._starts: list[int] = [0]
        self._cache: tuple[int, list[str]] = (-1, [])

    def extend(self, texts: Sequence[str]) -> None:
        if texts:
            joined = "\0".join(t.replace("\0", " ") for t in texts)
            self._blocks.append(zlib.compress(joined.encode("utf-8", "surrogatepass"), 1))
            self._starts.append(self._starts[-1] + len(texts))

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, i):  # type: ignore[override]
        b = bisect.bisect_right(self._starts, i) - 1
        if self._cache[0] != b:
            self._cache = (b, zlib.decompress(self._blocks[b]).decode("utf-8", "surrogatepass").split("\0"))
        return self._cache[1][i - self._starts[b]]


def near_leaks(texts: Sequence[str], splits: Sequence[str], kinds: Sequence[str], cfg: DedupConfig) -> tuple[int, list[Leak]]:
    """Near-duplicate pairs across splits, by dedup's own candidate search and verification.

    LSH candidates come from every text, in order; only the candidates across splits are then
    verified (by :func:`tuneset.dedup.verify.near_duplicate_pairs` on just their texts: a pair's
    band keys, hence its candidacy, do not depend on the other texts).
    """
    from tuneset.dedup import near_params
    from tuneset.dedup.verify import candidates, near_duplicate_pairs

    if len(texts) < 2:
        return 0, []
    params = near_params(cfg)
    cand, _ = candidates(texts, np.arange(len(texts), dtype=np.int64), params)
    code = np.asarray([SPLIT_CODES[s] for s in splits], dtype=np.int8)
    cand = cand[code[cand[:, 0]] != code[cand[:, 1]]] if len(cand) else cand
    if not len(cand):
        return 0, []
    rows = np.unique(cand)
    found = near_duplicate_pairs([texts[r] for r in rows.tolist()], np.arange(len(rows), dtype=np.int64), params,
                                 groups=[kinds[r] for r in rows.tolist()])
    leaks = []
    count = 0
    for (a, b), jv, rv in zip(found.pairs.tolist(), found.jaccard.tolist(), found.ratio.tolist()):
        i, j = int(rows[a]), int(rows[b])
        if code[i] != code[j]:
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
    wanted = set() if links is None else set(links[col.ORIGIN_ID]) | set(links[CONTAINS])
    row_of: dict[str, int] = {}
    splits: list[str] = []
    keys: dict[str, list[np.ndarray]] = {"group": [], "cluster": [], "exact": []}
    kinds: list[str] = []
    key_text = PackedTexts()
    files: dict[str, int] = {}
    where_file: list[np.ndarray] = []
    locators: list[str] = []
    for df in frames():
        if not len(df):
            continue
        split = [str(s) for s in df[col.SPLIT].tolist()]
        if links is None or wanted:  # rows named by a prompt link (all of them when links come later)
            for i, o in enumerate(df[col.ORIGIN_ID].tolist()):
                if links is None or o in wanted:
                    row_of[str(o)] = len(splits) + i
        splits += split
        keys["group"].append(_hashes(df[col.GROUP_ID].tolist()))
        keys["cluster"].append(_hashes(df[col.CLUSTER_ID].tolist()))
        where_file.append(np.asarray([files.setdefault(str(f), len(files)) for f in df[col.SOURCE_FILE].tolist()],
                                     dtype=np.int32))
        locators += [str(x) for x in df[col.LOCATOR].tolist()]
        t = extract(df, dedup.key, dedup.include_system, dedup.fold_case, dedup.fold_whitespace)
        kinds += t.kinds
        key_text.extend(t.key_text)
        keys["exact"].append(_hashes([f"{k}\t{e}" for k, e in zip(t.kinds, t.exact)]))
    names = {v: k for k, v in files.items()}
    file_of = np.concatenate(where_file) if where_file else np.zeros(0, dtype=np.int32)
    out.where = _Where(splits, file_of, names, locators)

    for check in ("group", "cluster", "exact"):
        column = np.concatenate(keys.pop(check)) if splits else np.zeros(0, dtype=np.uint64)
        out.counts[check], leaks = _straddling(column, splits, check)
        out.leaks += leaks
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
    count = 0
    for a, b in zip(links[col.ORIGIN_ID].tolist(), links[CONTAINS].tolist()):
        i, j = row_of.get(a), row_of.get(b)
        if i is None or j is None or splits[i] == splits[j]:
            continue
        count += 1
        if count <= MAX_SHOWN:
            out.leaks.append(Leak("ngram", i, j, (("relation", "a user message of the first holds one of the second"),)))
    out.counts["ngram"] = count
    return out
