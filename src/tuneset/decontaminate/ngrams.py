"""Word n-grams of any size from one pass over the word ids.

Words are mapped to the ids of a vocabulary (the benchmark's words; any other word is ``-1``, and
no n-gram holding it can match). A polynomial prefix sum over the ids then gives the hash of the
n-gram at any position and of any size in O(1): ``(prefix[i+k] - prefix[i]) * P^-i`` modulo 2^64
(``P`` is odd, so it has an inverse), mixed with the size. An n-gram never crosses the boundary of
a text (a message or a benchmark field).
"""

from __future__ import annotations

import numpy as np

from tuneset.decontaminate.words import U64, fmix64

_P = U64(0x9E3779B97F4A7C15)  # odd
_P_INV = U64(pow(int(_P), -1, 2**64))
_MIX = U64(0xD6E8FEB86659FD93)
_SIZE = U64(0xA0761D6478BD642F)
WHOLE = U64(0x5851F42D4C957F2D)  # salt of whole-text keys, so a whole text never equals an n-gram


FIND_SLICE = 1 << 21  # queries looked up at once


class KeyTable:
    """Positions of 64-bit keys in a sorted array of distinct keys, found by direct addressing.

    The top ``bits`` bits of a key index a table holding the key's position (+1); a slot that
    several keys share sends its queries to a binary search instead. Lookups are two array gathers
    per query, which beats ``np.searchsorted`` over unsorted queries several times.
    """

    MAX_BITS = 24  # 64 MB of int32 at most

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys
        n = len(keys)
        self.bits = min(self.MAX_BITS, max(12, int(np.ceil(np.log2(max(n, 1) * 4)))))
        self.shift = U64(64 - self.bits)
        self.table = np.zeros(1 << self.bits, dtype=np.int32)
        if n:
            slot = (keys >> self.shift).astype(np.int64)
            uniq, first, counts = np.unique(slot, return_index=True, return_counts=True)
            self.table[uniq[counts == 1]] = (first[counts == 1] + 1).astype(np.int32)
            self.table[uniq[counts > 1]] = -1

    def find(self, q: np.ndarray) -> np.ndarray:
        """Position of each query in ``keys``, ``-1`` when absent (in slices, so temporaries stay small)."""
        if len(q) > FIND_SLICE:
            return np.concatenate([self._find(q[lo:lo + FIND_SLICE]) for lo in range(0, len(q), FIND_SLICE)])
        return self._find(q)

    def _find(self, q: np.ndarray) -> np.ndarray:
        out = np.full(len(q), -1, dtype=np.int64)
        if len(self.keys) == 0 or len(q) == 0:
            return out
        v = self.table[(q >> self.shift).astype(np.int64)]
        direct = np.flatnonzero(v > 0)
        pos = v[direct].astype(np.int64) - 1
        ok = self.keys[pos] == q[direct]
        out[direct[ok]] = pos[ok]
        shared = np.flatnonzero(v < 0)
        if len(shared):
            sub = q[shared]
            order = np.argsort(sub, kind="stable")
            p = np.empty(len(sub), dtype=np.int64)
            p[order] = np.searchsorted(self.keys, sub[order])
            p[p == len(self.keys)] = 0
            hit = self.keys[p] == sub
            out[shared[hit]] = p[hit]
        return out


class Vocab:
    """Sorted distinct word hashes; a word's id is its rank, ``-1`` when absent."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.keys = np.unique(hashes)
        self._table = KeyTable(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def ids(self, hashes: np.ndarray) -> np.ndarray:
        """The id of each word hash (int32; ``-1``: not in the vocabulary)."""
        return self._table.find(hashes).astype(np.int32)


def _powers(base: np.uint64, n: int) -> np.ndarray:
    out = np.empty(n, dtype=U64)
    if n:
        out[0] = U64(1)
        out[1:] = base
        with np.errstate(over="ignore"):
            np.cumprod(out, out=out)
    return out


class Grams:
    """n-gram hashes of many texts given as word ids in CSR form (``ids``, ``offsets``)."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        n = len(self.ids)
        counts = np.diff(self.offsets)
        self.counts = counts
        self.text = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        self.bad = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(self.ids < 0, out=self.bad[1:])
        with np.errstate(over="ignore"):
            x = fmix64((self.ids + 1).astype(U64) * _MIX)
            self.prefix = np.zeros(n + 1, dtype=U64)
            np.cumsum(x * _powers(_P, n), out=self.prefix[1:])
        self.inv = _powers(_P_INV, n)

    def _hash(self, starts: np.ndarray, k: np.ndarray | int) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = (self.prefix[starts + k] - self.prefix[starts]) * self.inv[starts]
            h ^= np.asarray(k, dtype=U64) * _SIZE
        return fmix64(h)

    def grams(self, k: int, texts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(hashes, starts)`` of every ``k``-gram inside one text with no unknown word.

        ``starts`` are positions in ``ids``; ``texts`` (a boolean mask over texts) limits the
        n-grams to those texts.
        """
        n = len(self.ids)
        m = n - k + 1
        if k < 1 or m <= 0:
            return np.zeros(0, dtype=U64), np.zeros(0, dtype=np.int64)
        ok = (self.bad[k:k + m] == self.bad[:m]) & (self.text[:m] == self.text[k - 1:k - 1 + m])
        if texts is not None:
            ok &= texts[self.text[:m]]
        starts = np.flatnonzero(ok)
        return self._hash(starts, k), starts

    def whole(self, max_words: int) -> tuple[np.ndarray, np.ndarray]:
        """``(hashes, texts)`` of the texts with 1 to ``max_words - 1`` words, none unknown, taken whole."""
        c = self.counts
        lo = self.offsets[:-1]
        sel = np.flatnonzero((c >= 1) & (c < max_words) & (self.bad[lo + c] == self.bad[lo]))
        if len(sel) == 0:
            return np.zeros(0, dtype=U64), sel
        h = self._hash(lo[sel], c[sel])
        return fmix64(h ^ WHOLE), sel


CHUNK_WORDS = 2_000_000  # words per chunk of texts: bounds Grams' arrays (about 5 x 16 MB)


def chunks(offsets: np.ndarray, max_words: int | None = None) -> list[tuple[int, int]]:
    """Ranges ``[lo, hi)`` of texts holding at most ``max_words`` (default ``CHUNK_WORDS``) words
    each (a longer text alone)."""
    max_words = max_words or CHUNK_WORDS
    n = len(offsets) - 1
    out, lo = [], 0
    while lo < n:
        hi = int(np.searchsorted(offsets, offsets[lo] + max_words, side="right")) - 1
        hi = min(max(hi, lo + 1), n)
        out.append((lo, hi))
        lo = hi
    return out


def chunk_grams(ids: np.ndarray, offsets: np.ndarray, lo: int, hi: int) -> tuple[Grams, int, int]:
    """:class:`Grams` of texts ``lo .. hi``, with the word and text offsets that map it back."""
    base = int(offsets[lo])
    return Grams(ids[base:int(offsets[hi])], offsets[lo:hi + 1] - base), base, lo
