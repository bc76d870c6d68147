"""Normalized words: what benchmark texts and training texts are compared on.

A text is normalized with Unicode NFKC and case folding; a *word* is then a maximal run of letters
and digits (``str.isalnum`` below U+10000; any character above it counts as a word character), and
every other character (punctuation, whitespace, underscores, symbols) separates words. So
``Janet’s ducks lay 16 eggs`` is ``janet s ducks lay 16 eggs`` and a changed case, extra spaces or
other punctuation never break a match.

Texts are processed in batches as one NumPy array of code points, so tokenizing and hashing cost a
few array passes rather than a Python object per word. Word hashes are 64-bit and depend only on
the word (a fixed polynomial and mixer, no per-process salt): the same text gives the same words on
every machine and every run.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# One word-character table and one hash finalizer for dedup and decontamination alike.
from tuneset.dedup.shingles import _word_table, char_batches, fmix64  # noqa: E402

U64 = np.uint64
_P_CHAR = U64(0x100000001B3)
_P_LEN = U64(0x9E3779B97F4A7C15)
BATCH_CHARS = 4_000_000  # code points per batch: bounds the temporary arrays to about 200 MB






def normalize(text: str) -> str:
    """NFKC, then case folding (ASCII text only needs the folding)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


@dataclass(frozen=True)
class Words:
    """Word hashes of many texts, CSR-style: text ``i`` owns ``hashes[offsets[i]:offsets[i+1]]``.

    With ``spans``, ``starts``/``ends`` give each word's place in ``normalized[i]`` (the text after
    :func:`normalize`), so the words themselves can be shown.
    """

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(texts) + 1
    lengths: np.ndarray  # int32 characters of each word
    starts: np.ndarray | None = None  # int64 code point offsets inside the normalized text
    ends: np.ndarray | None = None
    normalized: list[str] | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def words_of(self, i: int) -> list[str]:
        """The normalized words of text ``i`` (needs ``spans``)."""
        if self.starts is None or self.ends is None or self.normalized is None:
            raise ValueError("words_of needs Words built with spans=True")
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        text = self.normalized[i]
        return [text[s:e] for s, e in zip(self.starts[lo:hi].tolist(), self.ends[lo:hi].tolist())]


def _chunk(texts: Sequence[str], spans: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Word hashes, per-text counts, and (with ``spans``) word starts/ends of one batch."""
    norm = [normalize(t.replace("\0", " ") if "\0" in t else t) for t in texts]
    joined = "\0".join(norm) + "\0"
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    is_word = _word_table()[cps]
    edges = np.diff(is_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)
    text_starts = np.zeros(len(norm) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) + 1 for t in norm), dtype=np.int64, count=len(norm)), out=text_starts[1:])
    if len(run_starts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=U64), np.zeros(len(norm), dtype=np.int64), empty, empty, norm
    lengths = run_ends - run_starts
    run_id = np.cumsum(edges[:-1] == 1) - 1
    inside = np.flatnonzero(is_word)
    rel = inside - run_starts[run_id[inside]]
    powers = np.ones(int(lengths.max()), dtype=U64)
    with np.errstate(over="ignore"):
        if len(powers) > 1:
            powers[1:] = _P_CHAR
            np.cumprod(powers, out=powers)
        weighted = (cps[inside].astype(U64) + U64(1)) * powers[rel]
    seg = np.zeros(len(run_starts), dtype=np.int64)
    np.cumsum(lengths[:-1], out=seg[1:])
    h = np.add.reduceat(weighted, seg)
    with np.errstate(over="ignore"):
        h ^= lengths.astype(U64) * _P_LEN
    h = fmix64(h)
    doc = np.searchsorted(text_starts, run_starts, side="right") - 1
    counts = np.bincount(doc, minlength=len(norm)).astype(np.int64)
    if spans:
        return h, counts, run_starts - text_starts[doc], run_ends - text_starts[doc], norm
    return h, counts, run_starts, run_ends, norm


def words(texts: Sequence[str], spans: bool = False) -> Words:
    """The normalized words of each text, hashed; ``spans`` also keeps where each word is."""
    hashes, counts, lengths, starts, ends, normalized = [], [], [], [], [], []
    for lo, hi in char_batches(texts, BATCH_CHARS):
        h, c, s, e, norm = _chunk(texts[lo:hi], spans)
        hashes.append(h)
        counts.append(c)
        lengths.append((e - s).astype(np.int32))
        if spans:
            starts.append(s)
            ends.append(e)
            normalized.extend(norm)
    all_counts = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(all_counts) + 1, dtype=np.int64)
    np.cumsum(all_counts, out=offsets[1:])
    joined = np.concatenate(hashes) if hashes else np.zeros(0, dtype=U64)
    length = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int32)
    if not spans:
        return Words(joined, offsets, length)
    return Words(joined, offsets, length, np.concatenate(starts), np.concatenate(ends), normalized)
