"""Near-duplicate pairs: LSH candidates, each verified before it counts.

A candidate pair is a duplicate when the exact Jaccard similarity of the two shingle sets reaches
``jaccard_threshold``, or when rapidfuzz's normalized Indel similarity of the two texts
(lower-cased, whitespace collapsed) reaches ``ratio_threshold``, which catches typo-level edits of
short texts whose word n-grams all change, or when the smaller shingle set lies in the larger one
for at least ``containment_threshold`` of its shingles and the longer text is at most twice the
shorter (an added greeting or sign-off on a short text moves both Jaccard and ratio, not this;
0 turns the test off). Before either test, a pair is rejected when the rows
are of different kinds, or (``numbers_must_match``) when the texts hold different numbers: two
GSM8K problems that share a template but not their numbers are distinct examples.

Texts are read in batches (shingles, signatures, band keys, then the batch is dropped), so memory
grows with the number of rows only through the band keys. Texts of at most ``short_text_chars``
characters are also indexed by character 4-grams (LSH bands chosen for ``SHORT_TEXT_LSH_THRESHOLD``),
so that a typo in a short text (which changes most of its word 5-grams) still yields a candidate for
the ratio test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Indel

from tuneset.dedup import lsh, minhash
from tuneset.dedup.shingles import char_shingles, shingles
from tuneset.dedup.text import compact, numbers

SHORT_TEXT_NGRAM = 4  # character n-gram of the short-text index
# LSH of the short-text index: character 4-grams of unrelated texts overlap far more than word
# 5-grams do, so a lower threshold would flood verification; one typo in a 30-character text still
# leaves a 4-gram Jaccard near 0.75, a candidate with probability 0.86 (0.95 at 0.8) with 64
# permutations in 10 bands of 6, half the signature cost of 128.
SHORT_TEXT_LSH_THRESHOLD = 0.6
SHORT_TEXT_NUM_PERM = 64
_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class NearParams:
    shingle: str = "word"
    ngram: int = 5
    num_perm: int = 128
    lsh_threshold: float = 0.5
    jaccard_threshold: float = 0.8
    ratio_threshold: float = 0.92
    containment_threshold: float = 0.9
    numbers_must_match: bool = True
    short_text_chars: int = 300
    seed: int = 1


@dataclass
class Pairs:
    """Verified pairs ``(i, j)`` (``i < j``) with their similarities, and what verification saw."""

    pairs: np.ndarray  # (m, 2) int64
    jaccard: np.ndarray  # float64
    ratio: np.ndarray  # float64
    method: list[str]  # "jaccard", "ratio" or "containment": the test that passed
    stats: dict[str, object] = field(default_factory=dict)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


MAX_CONTAINMENT_LENGTH_RATIO = 2.0  # containment counts only between texts of comparable length


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller set's shingles found in the larger set."""
    small = min(len(a), len(b))
    return len(a & b) / small if small else 0.0


def ratio(a: str, b: str, cutoff: float | None = None) -> float:
    """rapidfuzz normalized Indel similarity in [0, 1] of two compacted texts (0 when below ``cutoff``)."""
    return float(Indel.normalized_similarity(a, b, score_cutoff=cutoff))


class SimilarityCache:
    """Shingle sets and compacted texts of the rows a verification touches, computed once each."""

    def __init__(self, texts: Sequence[str], shingle: str, ngram: int):
        self.texts, self.shingle, self.ngram = texts, shingle, ngram
        self._sets: dict[int, frozenset[int]] = {}
        self._compact: dict[int, str] = {}

    def prepare(self, rows: Sequence[int]) -> None:
        todo = sorted({int(r) for r in rows} - self._sets.keys())
        if todo:
            sh = shingles([self.texts[r] for r in todo], self.shingle, self.ngram)
            for k, r in enumerate(todo):
                self._sets[r] = sh.set_of(k)

    def set_of(self, row: int) -> frozenset[int]:
        if row not in self._sets:
            self.prepare([row])
        return self._sets[row]

    def compact(self, row: int) -> str:
        if row not in self._compact:
            self._compact[row] = compact(self.texts[row])
        return self._compact[row]

    def jaccard(self, i: int, j: int) -> float:
        return jaccard(self.set_of(i), self.set_of(j))

    def ratio(self, i: int, j: int, cutoff: float | None = None) -> float:
        return ratio(self.compact(i), self.compact(j), cutoff)

    def containment(self, i: int, j: int) -> float:
        """Containment of the smaller text's shingles, 0 when one text is over twice the other's length."""
        li, lj = len(self.compact(i)), len(self.compact(j))
        if max(li, lj) > MAX_CONTAINMENT_LENGTH_RATIO * max(min(li, lj), 1):
            return 0.0
        return containment(self.set_of(i), self.set_of(j))


def _keys_of(texts: Sequence[str], rows: np.ndarray, p: NearParams, kind: str, bands: int, rows_per_band: int):
    # ``kind`` "short": the character 4-gram index of short texts; otherwise the configured shingles.
    """Band keys of ``rows`` (batch by batch) and the rows that had at least one shingle."""
    keys, kept = [], []
    for lo in range(0, len(rows), _BATCH_ROWS):
        part = rows[lo:lo + _BATCH_ROWS]
        batch = [texts[r] for r in part]
        if kind == "short":
            sh, num_perm = char_shingles(batch, SHORT_TEXT_NGRAM), SHORT_TEXT_NUM_PERM
        else:
            sh, num_perm = shingles(batch, p.shingle, p.ngram), p.num_perm
        has = sh.counts() > 0
        sig = minhash.signatures(sh, num_perm, p.seed)
        keys.append(lsh.band_keys(sig[has], bands, rows_per_band))
        kept.append(part[has])
    if not keys:
        return np.zeros((0, bands), dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(keys), np.concatenate(kept)


def candidates(texts: Sequence[str], rows: np.ndarray, p: NearParams) -> tuple[np.ndarray, dict[str, object]]:
    """LSH candidate pairs among ``rows`` (indices into ``texts``), plus the LSH parameters used."""
    bands, r = lsh.lsh_params(p.lsh_threshold, p.num_perm)
    keys, ids = _keys_of(texts, rows, p, "main", bands, r)
    found = [lsh.candidate_pairs(keys, ids)]
    del keys
    short = 0
    if p.shingle == "word" and p.short_text_chars > 0:
        lengths = np.fromiter((len(texts[i]) for i in rows), dtype=np.int64, count=len(rows))
        short_rows = rows[lengths <= p.short_text_chars]
        short = len(short_rows)
        if short > 1:
            sb, sr = lsh.lsh_params(SHORT_TEXT_LSH_THRESHOLD, SHORT_TEXT_NUM_PERM)
            skeys, sids = _keys_of(texts, short_rows, p, "short", sb, sr)
            found.append(lsh.candidate_pairs(skeys, sids))
    pairs = np.concatenate(found)
    if len(pairs):
        width = np.int64(len(texts))
        code = np.unique(pairs[:, 0] * width + pairs[:, 1])
        pairs = np.stack([code // width, code % width], axis=1)
    info = {"bands": bands, "rows": r, "num_perm": p.num_perm, "lsh_threshold": p.lsh_threshold,
            "short_text_rows": int(short),
            "candidate_probability_at_jaccard_threshold": round(lsh.candidate_probability(p.jaccard_threshold, bands, r), 6)}
    return pairs, info


def near_duplicate_pairs(texts: Sequence[str], rows: np.ndarray, p: NearParams, *, groups: Sequence[str] | None = None,
                         veto: Callable[[int, int], str | None] | None = None,
                         cache: SimilarityCache | None = None) -> Pairs:
    """Verified near-duplicate pairs among ``rows``.

    ``groups`` (one label per text) forbids pairs across labels (the kinds); ``veto(i, j)`` may
    reject a pair that passed, returning the reason (e.g. a preference pair with swapped answers).
    """
    rows = np.asarray(rows, dtype=np.int64)
    cand, info = candidates(texts, rows, p)
    cache = cache or SimilarityCache(texts, p.shingle, p.ngram)
    rejected: Counter[str] = Counter()
    keep_i, keep_j, jac, rat, method = [], [], [], [], []
    nums: dict[int, tuple[str, ...]] = {}
    todo = []
    for i, j in cand.tolist():
        if groups is not None and groups[i] != groups[j]:
            rejected["other_kind"] += 1
            continue
        if p.numbers_must_match:
            ni = nums.get(i)
            if ni is None:
                ni = nums[i] = numbers(texts[i])
            nj = nums.get(j)
            if nj is None:
                nj = nums[j] = numbers(texts[j])
            if ni != nj:
                rejected["numbers_differ"] += 1
                continue
        todo.append((i, j))
    cache.prepare([x for pair in todo for x in pair])
    for i, j in todo:
        jv = cache.jaccard(i, j)
        if jv >= p.jaccard_threshold:
            how, rv = "jaccard", cache.ratio(i, j)
        else:
            rv = cache.ratio(i, j, p.ratio_threshold)
            if rv >= p.ratio_threshold:
                how = "ratio"
            elif p.containment_threshold > 0 and cache.containment(i, j) >= p.containment_threshold:
                how, rv = "containment", cache.ratio(i, j)
            else:
                rejected["below_thresholds"] += 1
                continue
        why = veto(i, j) if veto else None
        if why:
            rejected[why] += 1
            continue
        keep_i.append(i)
        keep_j.append(j)
        jac.append(jv)
        rat.append(rv)
        method.append(how)
    pairs = np.stack([np.asarray(keep_i, dtype=np.int64), np.asarray(keep_j, dtype=np.int64)], axis=1) \
        if keep_i else np.zeros((0, 2), dtype=np.int64)
    info.update({"candidate_pairs": int(len(cand)), "verified_pairs": len(keep_i),
                 "verified_by": dict(sorted(Counter(method).items())),
                 "rejected": dict(sorted(rejected.items()))})
    return Pairs(pairs, np.asarray(jac, dtype=np.float64), np.asarray(rat, dtype=np.float64), method, info)
