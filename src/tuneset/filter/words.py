"""Word-level scores over a whole batch at once (Arrow compute and NumPy, no Python loop per row).

A word is a whitespace-separated token of the lower-cased text with the punctuation at its ends
stripped (``"Password,"`` -> ``password``, ``"can't"`` stays ``can't``); tokens of punctuation only
are no words. :func:`words` is that definition for one text (used to explain a score, and by the
tests); the batch functions compute the same with Arrow: words become integer codes of one shared
dictionary, per-row sets become sorted arrays of ``row * V + code`` keys, and set sizes and
intersections are counted with sorts and ``np.bincount``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PUNCTUATION = string.punctuation + "\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u2013\u2014\u00ab\u00bb\u00bf\u00a1\u2022"


def words(text: str) -> list[str]:
    """The words of one text, as the batch functions see them."""
    return [w for t in text.lower().split() if (w := t.strip(PUNCTUATION))]


def unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a comparison: much faster than ``np.unique`` here)."""
    s = np.sort(x)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


class Encoded:
    """The words of several columns of texts (each as long as the batch), as codes of one dictionary."""

    def __init__(self, *columns: Sequence[str]) -> None:
        self.n = len(columns[0]) if columns else 0
        flats, self.rows = [], []
        for c in columns:
            split = pc.utf8_split_whitespace(pc.utf8_lower(pa.array(list(c), type=pa.large_string())))
            flat = pc.utf8_trim(split.flatten(), characters=PUNCTUATION)
            rows = pc.list_parent_indices(split).to_numpy().astype(np.int64)
            nonempty = np.asarray(pc.not_equal(flat, "").to_numpy(zero_copy_only=False), dtype=bool)
            if not nonempty.all():
                flat, rows = flat.filter(pa.array(nonempty)), rows[nonempty]
            flats.append(flat)
            self.rows.append(rows)
        flat_all = pa.concat_arrays(flats) if flats else pa.array([], type=pa.large_string())
        encoded = pc.dictionary_encode(flat_all)
        self.dictionary = encoded.dictionary
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self.vocab = max(len(encoded.dictionary), 1)
        bounds = np.cumsum([0] + [len(f) for f in flats])
        self.codes = [codes[bounds[i]:bounds[i + 1]] for i in range(len(flats))]
        self._stop: dict[frozenset[str], np.ndarray] = {}

    def stop_mask(self, stopwords: Iterable[str]) -> np.ndarray:
        """True for the codes that are stopwords."""
        key = frozenset(stopwords)
        if key not in self._stop:
            mask = np.zeros(self.vocab, dtype=bool)
            if key and len(self.dictionary):
                is_stop = pc.is_in(self.dictionary, value_set=pa.array(sorted(key), type=pa.large_string()))
                mask[: len(self.dictionary)] = np.asarray(is_stop.to_numpy(zero_copy_only=False), dtype=bool)
            self._stop[key] = mask
        return self._stop[key]

    def distinct_keys(self, i: int, stopwords: Iterable[str] = ()) -> np.ndarray:
        """Sorted unique ``row * V + code`` of column ``i``, stopwords left out."""
        rows, codes = self.rows[i], self.codes[i]
        stop = self.stop_mask(stopwords)
        if stop.any() and len(codes):
            keep = ~stop[codes]
            rows, codes = rows[keep], codes[keep]
        return unique(rows * self.vocab + codes)

    def word_mask(self, vocabulary: Iterable[str], suffixes: Sequence[str] = ()) -> np.ndarray:
        """True for the codes whose word is in ``vocabulary`` or ends with one of ``suffixes``."""
        mask = np.zeros(self.vocab, dtype=bool)
        if not len(self.dictionary):
            return mask
        hit = pc.is_in(self.dictionary, value_set=pa.array(sorted(set(vocabulary)), type=pa.large_string()))
        for suffix in suffixes:
            hit = pc.or_(hit, pc.ends_with(self.dictionary, suffix))
        mask[: len(self.dictionary)] = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        return mask

    def masked_keys(self, i: int, mask: np.ndarray) -> np.ndarray:
        """Sorted unique ``row * V + code`` of column ``i``, only the codes ``mask`` is True for."""
        rows, codes = self.rows[i], self.codes[i]
        keep = mask[codes] if len(codes) else np.zeros(0, dtype=bool)
        return unique(rows[keep] * self.vocab + codes[keep])

    def excess(self, i: int, j: int, stopwords: Iterable[str] = ()) -> np.ndarray:
        """Per row, how many word occurrences of column ``i`` (stopwords left out) column ``j``
        does not account for: a word ``i`` uses 3 times and ``j`` once counts 2, a new word 1 a use."""
        stop = self.stop_mask(stopwords)

        def counted(k: int) -> tuple[np.ndarray, np.ndarray]:
            rows, codes = self.rows[k], self.codes[k]
            if stop.any() and len(codes):
                keep = ~stop[codes]
                rows, codes = rows[keep], codes[keep]
            return np.unique(rows * self.vocab + codes, return_counts=True)

        (ka, ca), (kb, cb) = counted(i), counted(j)
        at = np.searchsorted(kb, ka)
        found = at < len(kb)
        found[found] = kb[at[found]] == ka[found]
        theirs = np.zeros(len(ka), dtype=np.int64)
        theirs[found] = cb[at[found]]
        extra = np.maximum(ca - theirs, 0)
        return np.bincount(ka // self.vocab, weights=extra, minlength=self.n)[: self.n].astype(np.int64)

    def per_row(self, keys: np.ndarray) -> np.ndarray:
        return np.bincount(keys // self.vocab, minlength=self.n)[: self.n]

    def counts(self, i: int) -> np.ndarray:
        """Words per row of column ``i``."""
        return np.bincount(self.rows[i], minlength=self.n)[: self.n]


def jaccard(a_texts: Sequence[str] | Encoded, b_texts: Sequence[str] | None, stopwords: Iterable[str],
            min_words: int) -> np.ndarray:
    """Per row, the Jaccard similarity of the non-stopword word sets of ``a`` and ``b``; NaN where
    ``a`` has fewer than ``min_words`` such words or ``b`` has none. ``a_texts`` may be an
    :class:`Encoded` of both columns already (``b_texts`` None)."""
    enc = a_texts if isinstance(a_texts, Encoded) else Encoded(a_texts, b_texts or [])
    ka, kb = enc.distinct_keys(0, stopwords), enc.distinct_keys(1, stopwords)
    na, nb = enc.per_row(ka), enc.per_row(kb)
    ni = enc.per_row(np.intersect1d(ka, kb, assume_unique=True))
    union = na + nb - ni
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.round(ni / union, 5)
    out[(na < min_words) | (nb == 0)] = np.nan
    return out.astype("float64")


# Odd 64-bit multipliers: an n-gram's hash is the wrapped sum of its codes times these, so equal
# n-grams always hash alike and different ones practically never do.
_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                         0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x27D4EB2F165667C5, 0x94D049BB133111EB],
                        dtype=np.uint64)
_HASH_BITS = 40  # key = row << 40 | 40 bits of the n-gram hash: rows of a batch stay below 2**23


def repeated_ngram_share(texts: Sequence[str] | Encoded, n: int, min_words: int) -> np.ndarray:
    """Per row, the share of word ``n``-grams that repeat an earlier n-gram of the same text:
    ``1 - distinct / total``; 0.0 for texts with fewer than ``max(min_words, n + 1)`` words.
    ``texts`` may be an :class:`Encoded` whose first column holds them."""
    enc = texts if isinstance(texts, Encoded) else Encoded(texts)
    rows, codes = enc.rows[0], enc.codes[0].astype(np.uint64)
    out = np.zeros(enc.n, dtype="float64")
    m = len(codes) - n + 1
    if m <= 0:
        return out
    if enc.n >= 2 ** (64 - _HASH_BITS - 1):
        raise ValueError(f"repeated_ngram_share: batches are limited to {2 ** (64 - _HASH_BITS - 1):,} rows")
    same = rows[n - 1:] == rows[:m]  # the window lies within one text (rows are in order)
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h += codes[k:k + m] * _MULTIPLIERS[k % len(_MULTIPLIERS)]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    win_rows = rows[:m][same]
    keys = (win_rows.astype(np.uint64) << np.uint64(_HASH_BITS)) | (h[same] & np.uint64((1 << _HASH_BITS) - 1))
    total = np.bincount(win_rows, minlength=enc.n)[: enc.n]
    distinct = np.bincount((unique(keys) >> np.uint64(_HASH_BITS)).astype(np.int64), minlength=enc.n)[: enc.n]
    judged = (enc.counts(0) >= max(min_words, n + 1)) & (total > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 1.0 - distinct / total
    out[judged] = np.round(share[judged], 5)
    return out
