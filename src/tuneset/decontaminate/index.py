"""The n-gram index of a benchmark set: which benchmark text holds each n-gram, and where.

For a benchmark text of ``L`` normalized words, with the benchmark's n-gram size ``n``:

- ``L >= n``: every ``n``-gram is a *main* entry. An example sharing one (or the benchmark's
  ``min_matches`` distinct ones) with an item is contaminated: the GPT-3 / datatrove rule.
- ``min_words <= L < 2n + 2``: a single edit (a word dropped, swapped or replaced) can break every
  ``n``-gram of such a text, so it also gets *probe* entries: its ``p``-grams with
  ``p = (L - 2) // 2`` rounded down to an even number (at least 4, below ``n``), small enough that one
  edit anywhere leaves one intact. A probe only nominates: the example counts as contaminated when
  the stretch of its text aligned on the probe is at least ``fuzzy_threshold`` similar to the
  whole benchmark text (rapidfuzz partial ratio over words).
- ``L < min_words``: the text is matched *whole*: an example message whose words are exactly these.

Texts of fewer than ``MIN_TEXT_WORDS`` words (an answer key ``4``, ``True``, ``No``) identify
nothing and are not indexed, and a text shorter than ``2n + 2`` words needs ``MIN_TEXT_WORDS``
words of at least ``CONTENT_CHARS`` characters to be matched whole or through probes (normalized
``['3,4', '1,3']`` or ``a, b = b, a % b`` is a run of letters and digits any program has).
A benchmark's ``min_matches`` asks for that many distinct shared n-grams of one text, or all of
them when the text has fewer. Ubiquitous keys are dropped: an n-gram (of any size used) or a whole text found in more than
``max_item_frequency`` distinct benchmark items is boilerplate ("what is the capital of",
``def check(candidate):``), not evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tuneset.decontaminate.ngrams import KeyTable, Vocab, chunk_grams, chunks
from tuneset.decontaminate.words import words

PROBE_MIN = 4
MIN_TEXT_WORDS = 3
CONTENT_CHARS = 3


def probe_size(length: int, n: int) -> int:
    """The probe n-gram size of a text of ``length`` words (0: no probes)."""
    if length >= 2 * n + 2:
        return 0
    p = max(PROBE_MIN, (length - 2) // 2 // 2 * 2)
    p = min(p, n - 1)
    return p if 1 <= p <= length else 0


@dataclass
class SizeIndex:
    """Entries of one n-gram size, sorted by key: the benchmark text, the position, and whether a probe."""

    keys: np.ndarray  # uint64, sorted, repeated when several entries share a key
    text: np.ndarray  # int32 benchmark text index
    pos: np.ndarray  # int32 word position inside that text
    probe: np.ndarray  # bool
    _distinct: np.ndarray = field(init=False, repr=False)
    _first: np.ndarray = field(init=False, repr=False)
    _count: np.ndarray = field(init=False, repr=False)
    _table: KeyTable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = _runs(self.keys)
        self._distinct, self._first = self.keys[starts], starts
        self._count = np.diff(np.append(starts, len(self.keys))).astype(np.int32)
        self._table = KeyTable(self._distinct)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each entry matching one of ``hashes``: (index into ``hashes``, entry index)."""
        pos = self._table.find(hashes)
        q = np.flatnonzero(pos >= 0)
        if len(q) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        reps = self._count[pos[q]]
        query = np.repeat(q, reps)
        first = np.repeat(self._first[pos[q]], reps)
        within = np.arange(len(query), dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps)
        return query, first + within


@dataclass
class Index:
    """Everything matching needs about a set of benchmark texts."""

    texts: Sequence[str]  # the benchmark texts, so shared n-grams can be shown
    offsets: np.ndarray  # CSR offsets of each text's words in ``ids``
    ids: np.ndarray  # word ids of the benchmark texts
    vocab: Vocab
    sizes: dict[int, SizeIndex]
    whole: SizeIndex  # keys of whole short texts (pos 0, probe False)
    item_of: np.ndarray  # item index of each text
    group_of: np.ndarray  # benchmark (group) number of each text
    main_size: np.ndarray  # n of each text's benchmark
    need: np.ndarray  # distinct main n-grams a row must share with each text: min(min_matches, its n-grams)
    min_words: int
    fuzzy_threshold: float
    stats: dict[str, int] = field(default_factory=dict)

    def text_ids(self, t: int) -> np.ndarray:
        return self.ids[self.offsets[t]:self.offsets[t + 1]]

    def ngram(self, t: int, pos: int, k: int) -> str:
        """The normalized words ``pos .. pos + k`` of text ``t``."""
        return " ".join(words([self.texts[t]], spans=True).words_of(0)[pos:pos + k])

    @property
    def empty(self) -> bool:
        return len(self.item_of) == 0


def _runs(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _sorted_unique_items(h: np.ndarray, t: np.ndarray, pos: np.ndarray, item_of: np.ndarray, max_items: int):
    """Entries (``h``, text, position) sorted by key (then text and position), without the keys
    found in more than ``max_items`` distinct items; and how many keys were dropped.

    Entries arrive in text order and items never decrease with the text number, so after a stable
    sort by key the items of one key are in order too, and counting their changes counts them.
    """
    order = np.argsort(h, kind="stable")
    h, t, pos = h[order], t[order], pos[order]
    starts = _runs(h)
    if not len(starts):
        return h, t, pos, np.ones(0, dtype=bool), 0
    items = item_of[t]
    new_item = np.r_[True, (h[1:] != h[:-1]) | (items[1:] != items[:-1])]
    n_items = np.add.reduceat(new_item.astype(np.int64), starts)
    common = n_items > max_items
    keep = ~np.repeat(common, np.diff(np.append(starts, len(h))))
    return h, t, pos, keep, int(common.sum())


def _entries(h: np.ndarray, t: np.ndarray, p: np.ndarray, probe: np.ndarray) -> SizeIndex:
    """A size index from entries already sorted by key, then text and position."""
    return SizeIndex(h, t.astype(np.int32), p.astype(np.int32), probe)


def distinct_rows(*cols: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row of the columns, in lexicographic order
    (what ``np.unique(..., axis=0)`` finds, without its slow structured sort)."""
    if not len(cols[0]):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(cols[::-1])
    same = np.ones(len(order) - 1, dtype=bool)
    for c in cols:
        v = c[order]
        same &= v[1:] == v[:-1]
    return order[np.r_[True, ~same]]


def build_index(texts: Sequence[str], items: Sequence[int], groups: Sequence[int], ngram: Mapping[int, int],
                min_matches: Mapping[int, int], *, min_words: int, max_item_frequency: int,
                fuzzy_threshold: float, probes: bool = True, whole: bool = True) -> Index:
    """The index of ``texts``; ``items``/``groups`` give each text's item and benchmark number, and
    ``ngram``/``min_matches`` each benchmark's settings. ``probes``/``whole`` off index the main
    n-grams only."""
    w = words(texts)
    vocab = Vocab(w.hashes)
    ids = vocab.ids(w.hashes)
    offsets, lengths = w.offsets, w.lengths
    del w
    item_of = np.asarray(items, dtype=np.int64)
    group_of = np.asarray(groups, dtype=np.int64)
    n_groups = int(group_of.max()) + 1 if len(group_of) else 0
    main_size = np.asarray([ngram[int(x)] for x in group_of.tolist()], dtype=np.int64)
    counts = np.diff(offsets)
    long_words = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths >= CONTENT_CHARS, out=long_words[1:])
    content = (long_words[offsets[1:]] - long_words[offsets[:-1]]) >= MIN_TEXT_WORDS
    del long_words, lengths
    probe_sizes = np.asarray([probe_size(int(c), int(n)) if c >= min_words and ok and probes else 0
                              for c, n, ok in zip(counts.tolist(), main_size.tolist(), content.tolist())],
                             dtype=np.int64)
    stats = {"texts": len(counts), "items": int(len(np.unique(item_of))), "words": int(len(ids)),
             "vocabulary": len(vocab),
             "whole_texts": int(((counts >= MIN_TEXT_WORDS) & (counts < min_words) & content).sum()) if whole else 0,
             "too_short": int((counts < MIN_TEXT_WORDS).sum()),
             "probe_texts": int((probe_sizes > 0).sum()), "ubiquitous_ignored": 0}
    # Every n-gram of every size used (and every whole short text), chunk by chunk of texts.
    ks = sorted(set(main_size.tolist()) | set(probe_sizes[probe_sizes > 0].tolist()))
    parts: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {k: [] for k in ks}
    whole_parts: list[tuple[np.ndarray, np.ndarray]] = []
    for lo, hi in chunks(offsets):
        g, base, first = chunk_grams(ids, offsets, lo, hi)
        for k in ks:
            h, st = g.grams(k)
            t = g.text[st]
            parts[k].append((h, (st + base - offsets[t + first]).astype(np.int32), (t + first).astype(np.int32)))
        if whole:
            wh, wt = g.whole(min_words)
            whole_parts.append((wh, wt + first))
        del g
    if len(item_of) > 1 and (np.diff(item_of) < 0).any():
        raise ValueError("build_index: items must not decrease with the text number (texts in item order)")
    sizes: dict[int, SizeIndex] = {}
    n_main = np.zeros(len(counts), dtype=np.int64)
    for k in ks:
        h, t, pos, keep, dropped = _sorted_unique_items(*(np.concatenate([p[i] for p in parts[k]]) for i in (0, 2, 1)),
                                                         item_of, max_item_frequency)
        del parts[k]
        stats["ubiquitous_ignored"] += dropped
        is_main = (main_size[t] == k) & (counts[t] >= k)
        is_probe = probe_sizes[t] == k
        sel = keep & (is_main | is_probe)
        sizes[k] = _entries(h[sel], t[sel], pos[sel], is_probe[sel] & ~is_main[sel])
        np.add.at(n_main, t[sel & is_main], 1)
        stats[f"entries_{k}"] = int(sel.sum())
        del h, pos, t, keep, is_main, is_probe, sel
    if whole_parts:
        wh, wt = (np.concatenate([p[i] for p in whole_parts]) for i in range(2))
    else:
        wh, wt = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    wh, wt, _, keep, dropped = _sorted_unique_items(wh, wt, np.zeros(len(wh), dtype=np.int64), item_of, max_item_frequency)
    stats["ubiquitous_ignored"] += dropped
    keep &= (counts[wt] >= MIN_TEXT_WORDS) & content[wt]
    whole_index = _entries(wh[keep], wt[keep], np.zeros(int(keep.sum()), dtype=np.int64), np.zeros(int(keep.sum()), dtype=bool))
    mm = np.asarray([min_matches[i] for i in range(n_groups)], dtype=np.int64)
    need = np.minimum(mm[group_of], np.maximum(n_main, 1)) if len(group_of) else np.zeros(0, dtype=np.int64)
    return Index(texts, offsets, ids, vocab, sizes, whole_index, item_of, group_of, main_size, need, min_words,
                 fuzzy_threshold, stats)
