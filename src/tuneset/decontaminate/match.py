"""Matching: which training texts share what with which benchmark texts.

Training texts (one per message) are tokenized and mapped onto the index vocabulary in one
vectorized pass; their n-grams of every indexed size are looked up in the sorted index keys. Main
hits are counted per (row, item) against the benchmark's ``min_matches``; probe hits are verified
by :func:`similarity` over word ids, at most a few alignments per (text, benchmark text); whole
texts are looked up directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Indel

from tuneset.decontaminate.index import Index, distinct_rows
from tuneset.decontaminate.ngrams import chunk_grams, chunks
from tuneset.decontaminate.words import words

KIND_RANK = {"ngram": 0, "whole": 1, "fuzzy": 2}
MAX_ALIGNMENTS = 4  # probe alignments verified per (training text, benchmark text)


@dataclass(frozen=True)
class Hit:
    row: int  # row of the scanned batch
    text: int  # benchmark text
    kind: str  # ngram, whole or fuzzy
    pos: int  # where the shared n-gram starts in the benchmark text
    size: int  # its length in words
    matches: int  # distinct n-grams the row shares with the item (ngram), else 1
    similarity: float  # fuzzy: the aligned similarity; else 1.0
    message: int  # which of the row's scanned texts

    def order(self) -> tuple[int, int, int]:
        return (self.text, KIND_RANK[self.kind], self.pos)


@dataclass
class Matches:
    hits: dict[int, list[Hit]]  # per contaminated row: its best hit per benchmark group, best first
    stats: dict[str, int] = field(default_factory=dict)


def _slack(length: int) -> int:
    return max(2, length // 4)


def similarity(bench: np.ndarray, window: np.ndarray, threshold: float) -> float:
    """How closely a stretch of ``window`` copies the benchmark text ``bench`` (0..1; 0: no stretch).

    Candidate stretches start with the benchmark text's first word and end with its last word, and
    are within ``max(1, L // 8)`` words of its length ``L``: the edits that count are inside the
    text, so a message that merely shares the opening of a short question ("what is the most
    popular sport in ...") is not a copy of it. A stretch counts when its word-level Indel
    similarity reaches ``threshold`` (one word dropped or inserted, or two edits in a longer text)
    or when it holds exactly the text's words with two of them swapped. The best such similarity is
    returned, else 0.
    """
    b, w = bench.tolist(), window.tolist()
    length = len(b)
    if length == 0 or not w:
        return 0.0
    d = max(1, length // 8)
    first, last = b[0], b[-1]
    ends = [j for j, x in enumerate(w) if x == last]
    best = 0.0
    for i, x in enumerate(w):
        if x != first:
            continue
        for j in ends:
            n = j - i + 1
            if n < length - d or n > length + d:
                continue
            stretch = w[i:j + 1]
            sim = Indel.normalized_similarity(b, stretch)
            if sim >= threshold or (n == length and Indel.distance(b, stretch) == 2 and sorted(stretch) == sorted(b)):
                best = max(best, sim)
    return best


def scan(index: Index, texts: Sequence[str], rows: Sequence[int] | np.ndarray, every: bool = False,
         skip_own: bool = False) -> Matches:
    """Contamination of the rows that own ``texts`` (``rows[i]`` owns ``texts[i]``).

    Each contaminated row gets its best hit per benchmark; with ``every``, every hit (one per
    benchmark text), in the same order. ``skip_own`` ignores a row's hits on the item of the same
    number (when the rows scanned are the benchmark's own items).
    """
    if index.empty or not len(texts):
        return Matches({}, {"texts": len(texts), "probe_candidates": 0, "probe_verified": 0, "probe_confirmed": 0})
    w = words(list(texts))
    return scan_ids(index, index.vocab.ids(w.hashes), w.offsets, rows, every, skip_own)


def scan_ids(index: Index, ids: np.ndarray, offsets: np.ndarray, rows: Sequence[int] | np.ndarray,
             every: bool = False, skip_own: bool = False) -> Matches:
    """:func:`scan` of texts given as word ids of the index vocabulary (CSR: ``ids``, ``offsets``)."""
    rows = np.asarray(rows, dtype=np.int64)
    stats = {"texts": len(offsets) - 1, "probe_candidates": 0, "probe_verified": 0, "probe_confirmed": 0}
    if index.empty or len(offsets) < 2:
        return Matches({}, stats)
    found: list[Hit] = []
    main_cols: list[tuple[np.ndarray, ...]] = []
    probe_cols: list[tuple[np.ndarray, ...]] = []
    whole_cols: list[tuple[np.ndarray, ...]] = []
    counts = np.diff(offsets)
    for lo, hi in chunks(offsets):
        g, base, first = chunk_grams(ids, offsets, lo, hi)
        for k, si in index.sizes.items():
            h, starts = g.grams(k)
            q, e = si.lookup(h)
            if not len(q):
                continue
            st = starts[q]
            msg = g.text[st] + first
            bt = si.text[e]
            if skip_own:
                other = index.item_of[bt] != rows[msg]
                st, msg, bt, e, q = st[other], msg[other], bt[other], e[other], q[other]
            tpos = st + base - offsets[msg]
            bpos, pr = si.pos[e], si.probe[e]
            sizes = np.full(len(q), k, dtype=np.int64)
            main_cols.append(tuple(x[~pr] for x in (msg, bt, bpos, sizes)))
            probe_cols.append(tuple(x[pr] for x in (msg, bt, tpos - bpos, bpos, sizes)))
        wh, wt = g.whole(index.min_words)
        q, e = index.whole.lookup(wh)
        whole_cols.append((wt[q] + first, index.whole.text[e]))
        del g

    # Main n-grams: distinct shared n-grams per (row, benchmark text) against what the text needs.
    if main_cols:
        msg, bt, bpos, sizes = (np.concatenate([c[i] for c in main_cols]) for i in range(4))
        row = rows[msg]
        if skip_own and len(msg):
            other = index.item_of[bt] != row
            msg, bt, bpos, sizes, row = msg[other], bt[other], bpos[other], sizes[other], row[other]
        if len(msg):
            first = distinct_rows(row, bt, bpos)  # sorted by (row, bt, bpos): the first of a pair has its lowest bpos
            r1, t1 = row[first], bt[first]
            start = np.r_[True, (r1[1:] != r1[:-1]) | (t1[1:] != t1[:-1])]
            heads = np.flatnonzero(start)
            n_shared = np.diff(np.r_[heads, len(first)])
            ok = n_shared >= index.need[t1[heads]]
            for j, c in zip(first[heads[ok]].tolist(), n_shared[ok].tolist()):
                found.append(Hit(int(row[j]), int(bt[j]), "ngram", int(bpos[j]), int(sizes[j]), int(c), 1.0, int(msg[j])))

    # Whole texts.
    for wm, wb in whole_cols:
        for m, t in zip(wm.tolist(), wb.tolist()):
            if not (skip_own and int(index.item_of[t]) == int(rows[m])):
                found.append(Hit(int(rows[m]), int(t), "whole", 0, int(counts[m]), 1, 1.0, int(m)))

    # Probes: verify the aligned stretch against the whole benchmark text.
    decided = {(h.row, int(index.item_of[h.text])) for h in found}
    if probe_cols:
        msg, bt, off, bpos, sizes = (np.concatenate([c[i] for c in probe_cols]) for i in range(5))
        if len(msg):
            first = distinct_rows(msg, bt, off, bpos)
            cand = np.stack([msg[first], bt[first], off[first], bpos[first], sizes[first]], axis=1)
            stats["probe_candidates"] = int(len(cand))
            tried: dict[tuple[int, int], int] = {}
            for m, t, o, p, k in cand.tolist():
                r = int(rows[m])
                if (r, int(index.item_of[t])) in decided or tried.get((m, t), 0) >= MAX_ALIGNMENTS \
                        or (skip_own and int(index.item_of[t]) == r):
                    continue
                tried[(m, t)] = tried.get((m, t), 0) + 1
                bench = index.text_ids(t)
                length = len(bench)
                lo_t, hi_t = int(offsets[m]), int(offsets[m + 1])
                lo = max(lo_t, lo_t + o - _slack(length))
                hi = min(hi_t, lo_t + o + length + _slack(length))
                stats["probe_verified"] += 1
                score = similarity(bench, ids[lo:hi], index.fuzzy_threshold)
                if score > 0.0:
                    stats["probe_confirmed"] += 1
                    found.append(Hit(r, int(t), "fuzzy", int(p), int(k), 1, round(score, 4), int(m)))
                    decided.add((r, int(index.item_of[t])))

    hits: dict[int, list[Hit]] = {}
    for h in sorted(found, key=lambda x: (x.row, *x.order())):
        per_row = hits.setdefault(h.row, [])
        if every or all(index.group_of[x.text] != index.group_of[h.text] for x in per_row):
            per_row.append(h)
    stats["rows_hit"] = len(hits)
    return Matches(hits, stats)
