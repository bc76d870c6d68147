"""Shingles: the hashed word or character n-grams that near-duplicate detection compares.

Texts are processed in batches as one NumPy array of code points, so tokenizing and hashing cost a
few array passes instead of a Python loop per word. A *word* is a maximal run of letters and
digits (``str.isalnum``; any character above U+FFFF counts as one), after lower-casing; every other character separates words. A *char*
shingle is ``n`` consecutive characters of the lower-cased text with whitespace runs collapsed to
one space. A text with fewer than ``n`` words (or characters) has one shingle: all of it. A text
with no word at all has no shingle and never takes part in near-duplicate detection.

Hashes are 64-bit and depend only on the text (a fixed polynomial hash and a fixed mixer, no
per-process salt), so the same texts give the same shingles on every machine and every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

U64 = np.uint64
_P_CHAR = U64(0x100000001B3)  # FNV prime: polynomial base over code points
_P_CHAR_INV = U64(pow(int(_P_CHAR), -1, 2**64))  # its inverse mod 2^64 (the base is odd)
_P_GRAM = U64(0x9E3779B97F4A7C15)  # golden-ratio constant: polynomial base over unit hashes
_BATCH_CHARS = 4_000_000  # code points per batch: bounds the temporary arrays (~200 MB)


@dataclass(frozen=True)
class Shingles:
    """Shingle hashes of many texts, CSR-style: text ``i`` owns ``hashes[offsets[i]:offsets[i+1]]``.

    A text's hashes may repeat (a repeated phrase); use :meth:`set_of` for the set.
    """

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(texts) + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def set_of(self, i: int) -> frozenset[int]:
        return frozenset(self.hashes[self.offsets[i]:self.offsets[i + 1]].tolist())


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, in place on a uint64 array (and returned)."""
    with np.errstate(over="ignore"):
        h ^= h >> U64(33)
        h *= U64(0xFF51AFD7ED558CCD)
        h ^= h >> U64(33)
        h *= U64(0xC4CEB9FE1A85EC53)
        h ^= h >> U64(33)
    return h


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """For every code point, whether it is part of a word. Built once, read-only.

    Below U+10000 a word character is one for which ``str.isalnum`` holds; above it (historic and
    rare CJK scripts, emoji) every character counts as a word character.
    """
    table = np.ones(0x110000, dtype=bool)
    table[:0x10000] = np.fromiter((chr(c).isalnum() for c in range(0x10000)), dtype=bool, count=0x10000)
    table[0xD800:0xE000] = False  # lone surrogates are not text
    table.setflags(write=False)
    return table


def _codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of the texts joined by NUL (a separator no shingle crosses), and each text's start."""
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    joined = "\0".join(texts) + "\0"
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cps, starts


def _powers(base: np.uint64, n: int) -> np.ndarray:
    """``base**t mod 2**64`` for ``t`` in ``[0, n)``."""
    out = np.full(n, base, dtype=U64)
    out[0] = 1
    with np.errstate(over="ignore"):
        np.cumprod(out, out=out)
    return out


def _run_hashes(cps: np.ndarray, is_unit: np.ndarray, powers: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every maximal run of ``is_unit`` code points, and the position where each run starts.

    The hash of a run ``c_s..c_{e-1}`` is ``sum (c_t + 1) * P^(t-s)`` (mod 2^64), mixed: from prefix
    sums ``S`` of ``(c_t + 1) * P^t`` it is ``(S[e] - S[s]) * P^-s``, a few passes over the array.
    """
    edges = np.diff(is_unit.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)
    if len(run_starts) == 0:
        return np.zeros(0, dtype=U64), run_starts
    n = len(cps)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=U64)
        weighted = cps.astype(U64)
        weighted += U64(1)
        weighted *= powers[0][:n]
        np.cumsum(weighted, out=prefix[1:])
        del weighted
        h = prefix[run_ends] - prefix[run_starts]
        del prefix
        h *= powers[1][run_starts]
        h ^= (run_ends - run_starts).astype(U64) * _P_GRAM
    return fmix64(h), run_starts


def _ngrams(units: np.ndarray, unit_doc: np.ndarray, n_docs: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n-gram hashes over the unit hashes of each document (units in document order)."""
    counts = np.bincount(unit_doc, minlength=n_docs).astype(np.int64)
    per_doc = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(per_doc, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=U64)
    short = np.flatnonzero((counts > 0) & (counts < n))
    with np.errstate(over="ignore"):
        # Full n-grams: windows that start and end inside one document, already in output order.
        m = len(units) - n + 1
        if m > 0:
            g = units[:m].copy()
            for k in range(1, n):
                g *= _P_GRAM
                g += units[k:k + m]
            full = g[unit_doc[:m] == unit_doc[n - 1:]]
            if len(short):
                slot = np.ones(len(out), dtype=bool)
                slot[offsets[short]] = False
                out[slot] = full
            else:
                out[:] = full
        # Documents shorter than n: one shingle over all their units.
        if len(short):
            first = np.zeros(n_docs + 1, dtype=np.int64)
            np.cumsum(counts, out=first[1:])
            g = units[first[short]].copy()
            for k in range(1, n - 1):
                idx = np.flatnonzero(counts[short] > k)
                g[idx] = g[idx] * _P_GRAM + units[first[short[idx]] + k]
            g ^= counts[short].astype(U64)  # "a b" as a whole text differs from "a b" inside a gram
            out[offsets[short]] = g
    return fmix64(out), offsets


def char_batches(texts: Sequence[str], batch_chars: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` ranges of texts holding about ``batch_chars`` code points each."""
    bounds, start, size = [], 0, 0
    for i, t in enumerate(texts):
        size += len(t) + 1
        if size >= batch_chars:
            bounds.append((start, i + 1))
            start, size = i + 1, 0
    if start < len(texts) or not bounds:
        bounds.append((start, len(texts)))
    return bounds


def _concat(parts: list[tuple[np.ndarray, np.ndarray]]) -> Shingles:
    if len(parts) == 1:
        return Shingles(*parts[0])
    hashes = np.concatenate([h for h, _ in parts])
    offsets, base = [np.zeros(1, dtype=np.int64)], 0
    for h, off in parts:
        offsets.append(off[1:] + base)
        base += len(h)
    return Shingles(hashes, np.concatenate(offsets))


def word_shingles(texts: Sequence[str], n: int = 5) -> Shingles:
    """Word ``n``-gram hashes of each text (lower-cased; words are runs of letters and digits)."""
    if n < 1:
        raise ValueError(f"n-gram size must be at least 1, got {n}")
    table = _word_table()
    parts = []
    texts = [t.lower() for t in texts]  # before measuring: "İ".lower() is two characters
    batches = char_batches(texts, _BATCH_CHARS)
    longest = max(sum(len(t) + 1 for t in texts[lo:hi]) for lo, hi in batches)
    powers = _powers(_P_CHAR, longest), _powers(_P_CHAR_INV, longest)
    for lo, hi in batches:
        chunk = texts[lo:hi]
        cps, starts = _codepoints(chunk)
        words, word_starts = _run_hashes(cps, table[cps], powers)
        word_doc = (np.searchsorted(starts, word_starts, side="right") - 1) if len(words) else word_starts
        parts.append(_ngrams(words, word_doc, hi - lo, n))
    return _concat(parts)


def char_shingles(texts: Sequence[str], n: int = 5) -> Shingles:
    """Character ``n``-gram hashes of each text (lower-cased, whitespace runs collapsed to one space)."""
    if n < 1:
        raise ValueError(f"n-gram size must be at least 1, got {n}")
    parts = []
    for lo, hi in char_batches(texts, _BATCH_CHARS):
        chunk = [" ".join(t.lower().replace("\0", " ").split()) for t in texts[lo:hi]]
        cps, starts = _codepoints(chunk)
        lengths = np.diff(starts) - 1  # the NUL after each text is not a character of it
        units = cps[cps != 0].astype(U64) + U64(1)  # code points; the n-gram hash is mixed at the end
        doc = np.repeat(np.arange(hi - lo, dtype=np.int64), lengths)
        parts.append(_ngrams(units, doc, hi - lo, n))
    return _concat(parts)


def shingles(texts: Sequence[str], kind: str, n: int) -> Shingles:
    """Shingles of the configured kind: ``word`` or ``char`` n-grams."""
    if kind == "word":
        return word_shingles(texts, n)
    if kind == "char":
        return char_shingles(texts, n)
    raise ValueError(f"shingle kind must be word or char, got {kind!r}")
