"""Normalized words, their hashes, n-gram hashes and the key table."""

from __future__ import annotations

import numpy as np

from tuneset.decontaminate.ngrams import Grams, KeyTable, Vocab
from tuneset.decontaminate.words import words


def test_words_are_case_punctuation_and_width_insensitive():
    w = words(["Janet’s ducks lay 16 eggs!", "JANET S  ducks, lay 16 eggs", "ｊａｎｅｔ's ducks lay １６ eggs"], spans=True)
    assert w.words_of(0) == ["janet", "s", "ducks", "lay", "16", "eggs"]
    assert w.words_of(1) == w.words_of(0)
    assert w.words_of(2) == w.words_of(0)
    h = [w.hashes[w.offsets[i]:w.offsets[i + 1]].tolist() for i in range(3)]
    assert h[0] == h[1] == h[2]
    assert w.lengths[:3].tolist() == [5, 1, 5]


def test_word_hashes_are_stable_and_distinguish_words():
    a = words(["the cat sat", "", "  ", "tac the"])
    b = words(["tac the", "the cat sat"])
    assert a.counts().tolist() == [3, 0, 0, 2]
    assert a.hashes[:3].tolist() == b.hashes[2:].tolist()
    assert len(set(a.hashes[:3].tolist())) == 3
    assert a.hashes[1] != a.hashes[3]  # "cat" vs "tac": same letters, other word
    # Fixed constants, no per-process salt: a golden value guards against accidental changes.
    assert words(["hello"]).hashes.tolist() == words(["HELLO"]).hashes.tolist()


def test_texts_with_nul_and_batches_keep_their_boundaries(monkeypatch):
    from tuneset.decontaminate import words as module

    monkeypatch.setattr(module, "BATCH_CHARS", 10)
    w = module.words(["one two\0three", "four", "five six seven eight"])
    assert w.counts().tolist() == [3, 1, 4]


def test_grams_stay_inside_a_text_and_skip_unknown_words():
    vocab = Vocab(words(["a b c d e"]).hashes)
    w = words(["a b c", "d e x a b", "c d"])
    ids = vocab.ids(w.hashes)
    assert sorted(ids.tolist()[:5]) == [0, 1, 2, 3, 4] and ids[5] == -1  # ids are ranks of the word hashes
    g = Grams(ids, w.offsets)
    h2, starts = g.grams(2)
    # "a b", "b c" | "d e", "a b" (not "e x", "x a") | "c d"; never "c d" across texts 0 and 1
    assert starts.tolist() == [0, 1, 3, 6, 8]
    assert h2[0] == h2[3]  # "a b" twice
    assert h2[4] != h2[1]
    h3, s3 = g.grams(3)
    assert s3.tolist() == [0]
    assert g.grams(6)[1].tolist() == []
    wh, wt = g.whole(4)
    assert wt.tolist() == [0, 2]  # text 1 holds an unknown word
    assert wh[0] != h3[0]  # a whole text never equals the n-gram of the same words


def test_gram_hash_does_not_depend_on_position_or_neighbours():
    vocab = Vocab(words(["x y z w q"]).hashes)
    w = words(["x y z", "q q x y z w"])
    g = Grams(vocab.ids(w.hashes), w.offsets)
    h, starts = g.grams(3)
    by_start = dict(zip(starts.tolist(), h.tolist()))
    assert by_start[0] == by_start[5]


def test_key_table_finds_keys_including_shared_slots():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 2**63, 5000, dtype=np.int64).astype(np.uint64))
    # force collisions of the top bits
    keys = np.unique(np.concatenate([keys, keys[:50] + np.uint64(1)]))
    table = KeyTable(keys)
    q = np.concatenate([keys[::7], rng.integers(0, 2**63, 300, dtype=np.int64).astype(np.uint64)])
    pos = table.find(q)
    expected = np.searchsorted(keys, q)
    hit = (expected < len(keys)) & (keys[np.minimum(expected, len(keys) - 1)] == q)
    assert (pos >= 0).tolist() == hit.tolist()
    assert (pos[hit] == expected[hit]).all()
    assert KeyTable(np.zeros(0, dtype=np.uint64)).find(q).tolist() == [-1] * len(q)
