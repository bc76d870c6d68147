"""The building blocks: shingles, MinHash signatures, LSH parameters and candidate pairs."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from tuneset.dedup import lsh, minhash, shingles
from tuneset.dedup.clusters import UnionFind, components
from tuneset.dedup.shingles import char_shingles, word_shingles
from tuneset.dedup.verify import jaccard

WORDS = re.compile(r"[^\W_]+")


def reference_jaccard(a: str, b: str, n: int = 5) -> float:
    """Word n-gram Jaccard in plain Python, the definition the vectorized code must match."""
    def grams(t: str) -> set[tuple[str, ...]]:
        w = WORDS.findall(t.lower())
        return {tuple(w)} if 0 < len(w) < n else {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0


def random_texts(k: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    vocab = ["sync", "folder", "plan", "invoice", "Refund", "café", "naïve", "résumé", "2fa", "seat", "老师", "token"]
    out = []
    for _ in range(k):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 30))]
        out.append(rng.choice([" ", ", ", "... ", "\n"]).join(words))
    return out


def test_word_shingles_ignore_case_and_punctuation_but_not_words():
    sh = word_shingles(["Hello, World! How are you today?", "hello world how are you TODAY", "hello world how are we today"])
    assert sh.set_of(0) == sh.set_of(1) != sh.set_of(2)
    assert sh.counts().tolist() == [2, 2, 2]


def test_short_and_empty_texts():
    sh = word_shingles(["one two", "two one", "one two", "", "?!", "a b c d e f"])
    assert sh.counts().tolist() == [1, 1, 1, 0, 0, 2]
    assert sh.set_of(0) == sh.set_of(2) != sh.set_of(1)


def test_vectorized_jaccard_matches_the_plain_definition():
    texts = random_texts(80)
    sh = word_shingles(texts)
    for i in range(0, 80, 2):
        # Hash collisions aside (64-bit), the sets are the n-gram sets.
        assert jaccard(sh.set_of(i), sh.set_of(i + 1)) == pytest.approx(reference_jaccard(texts[i], texts[i + 1]))


def test_batches_do_not_change_the_hashes(monkeypatch):
    texts = random_texts(50)
    whole = word_shingles(texts)
    monkeypatch.setattr(shingles, "_BATCH_CHARS", 37)
    parts = word_shingles(texts)
    assert np.array_equal(whole.hashes, parts.hashes) and np.array_equal(whole.offsets, parts.offsets)


def test_hashes_are_stable_across_runs_and_machines():
    # A golden value: the hash must depend on the text only (no per-process salt).
    sh = word_shingles(["Northwind support keeps the sample deterministic"], 5)
    assert sorted(sh.hashes.tolist())[0] == 6743158281085228656


def test_unicode_words():
    sh = word_shingles(["Crème brûlée für alle", "creme brulee fur alle"], 1)
    assert len(sh.set_of(0)) == 4 and len(sh.set_of(0) & sh.set_of(1)) == 1  # accents are letters; only "alle" is shared


def test_char_shingles_collapse_whitespace():
    sh = char_shingles(["Reset   my\npassword", "reset my password", "reset my pasword"], 4)
    assert sh.set_of(0) == sh.set_of(1)
    assert 0.5 < jaccard(sh.set_of(1), sh.set_of(2)) < 1


def test_minhash_estimates_jaccard_without_bias():
    """Over many pairs of known Jaccard, the estimate's bias is ~0 and its spread ~sqrt(J(1-J)/K)."""
    rng = np.random.default_rng(0)
    errors, spread = [], []
    for trial in range(200):
        common = int(rng.integers(20, 100))
        a_only, b_only = rng.integers(0, 2**63, size=(2, 100 - common), dtype=np.uint64)
        base = rng.integers(0, 2**63, size=common, dtype=np.uint64)
        sh = shingles.Shingles(np.concatenate([base, a_only, base, b_only]), np.array([0, 100, 200]))
        true = common / (200 - common)
        sig = minhash.signatures(sh, 128, seed=trial)
        errors.append(float((sig[0] == sig[1]).mean()) - true)
        spread.append(true * (1 - true) / 128)
    assert abs(np.mean(errors)) < 0.01
    assert np.std(errors) < 1.3 * np.sqrt(np.mean(spread))


def test_signatures_of_long_texts_and_empty_texts():
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**63, size=20_000, dtype=np.uint64)
    offsets = np.array([0, 0, 3, 19_000, 19_000, 20_000])  # empty, short, longer than a block, empty, medium
    sh = shingles.Shingles(hashes, offsets)
    sig = minhash.signatures(sh, 16, seed=2)
    a, b = minhash.permutations(16, 2)
    for d in range(5):
        x = (hashes[offsets[d]:offsets[d + 1]] >> np.uint64(32)).astype(np.uint32)
        if len(x) == 0:
            assert (sig[d] == minhash.EMPTY).all()
        else:
            assert np.array_equal(sig[d], (a[:, None] * x[None, :] + b[:, None]).min(axis=1))
    assert np.array_equal(sig, minhash.signatures(sh, 16, seed=2))
    assert not np.array_equal(sig, minhash.signatures(sh, 16, seed=3))


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.6, 0.8, 0.9])
def test_lsh_params_match_datasketch(threshold):
    assert lsh.lsh_params(threshold, 128) == _optimal_param(threshold, 128, 0.5, 0.5)


def test_candidate_pairs_from_buckets():
    keys = np.array([[1, 7], [2, 7], [1, 8], [3, 9], [4, 9], [5, 9], [6, 0]], dtype=np.uint64)
    pairs = lsh.candidate_pairs(keys, ids=np.array([10, 11, 12, 13, 14, 15, 16]))
    assert pairs.tolist() == [[10, 11], [10, 12], [13, 14], [13, 15], [14, 15]]


def test_large_buckets_give_a_connected_linear_set_of_pairs():
    n = lsh.ALL_PAIRS_BUCKET + 10
    pairs = lsh.candidate_pairs(np.zeros((n, 1), dtype=np.uint64))
    assert len(pairs) == 2 * n - 3
    assert set(components(n, pairs).tolist()) == {0}


def test_union_find_labels_by_smallest_member():
    assert components(6, np.array([[4, 5], [1, 4], [2, 3]])).tolist() == [0, 1, 2, 2, 1, 1]
    uf = UnionFind(3)
    assert uf.union(2, 1) == 1 and uf.find(2) == 1


def test_a_letter_that_lowercases_to_two_characters_does_not_break_the_batch():
    # "İ".lower() is "i̇" (two code points): kto_en_demo.json row [128] of the LLaMA-Factory demos crashed dedup
    upper, lower = word_shingles(["İstanbul is big and old today"], 5), word_shingles(["i̇stanbul is big and old today"], 5)
    assert len(upper) == 1 and upper.set_of(0) == lower.set_of(0) and upper.set_of(0)
