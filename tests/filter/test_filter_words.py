"""The batch computations equal their one-text definitions; prefilters never hide a match."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from tuneset.filter import words
from tuneset.filter.leftovers import DEFAULT_PATTERNS
from tuneset.filter.prefilter import PatternCounter, Prefilter, literals
from tuneset.filter.refusal import DEFAULT_PHRASES
from tuneset.filter.repetition import duplicate_line_share, repeated_ngram_share
from tuneset.filter.restatement import STOPWORDS, batch_scores, content_words, restatement_score

VOCAB = ("a b the you refund order Password, reset! my can't don't I'm ÉCOLE école -- ... «x» "
         "as an AI language model I cannot help with that {{name}} TODO lorem ipsum [Your Name]").split()


# Restatement: verdicts, negations (straight and curly apostrophes) and numbers beside the words.
ECHO_VOCAB = "a the you refund order Password, reset! my 64 Yes, No, not never can't isn’t «École» école".split()


def _texts(seed: int, n: int, hi: int, vocab: tuple[str, ...] | list[str] = VOCAB) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, hi))) for _ in range(n)] + \
        ["", "x", "  lead", "!!", "a\tb\nc", "I can help. " * 10]


def _jaccard(a: str, q: str, min_words: int) -> float:
    wa, wq = content_words(a), content_words(q)
    if len(wa) < min_words or not wq:
        return np.nan
    return round(len(wa & wq) / len(wa | wq), 5)


def test_batch_jaccard_equals_the_definition():
    a, q = _texts(1, 800, 40), _texts(2, 800, 12)
    expected = [_jaccard(x, y, 2) for x, y in zip(a, q)]
    assert np.allclose(words.jaccard(a, q, STOPWORDS, 2), expected, equal_nan=True)


def test_batch_restatement_scores_equal_the_definition():
    # Short answers over a small vocabulary: many add nothing to their question, many do.
    a, q = _texts(5, 1500, 6, ECHO_VOCAB), _texts(6, 1500, 8, ECHO_VOCAB)
    pairs = list(zip(q, a)) + [(x, x) for x in q[:300]] + [(x, x + " " + x) for x in q[300:400]]
    expected = [restatement_score(x, y, 2) for x, y in pairs]
    got = batch_scores(words.Encoded([y for _, y in pairs], [x for x, _ in pairs]), 2)
    assert np.allclose(got, expected, equal_nan=True)
    judged = ~np.isnan(np.array(expected))
    assert 50 < judged.sum() < len(pairs) - 50  # both kinds are exercised


@pytest.mark.parametrize("n", [1, 3, 4])
def test_batch_repeated_ngrams_equal_the_definition(n):
    texts = _texts(3, 800, 60)
    assert np.allclose(words.repeated_ngram_share(texts, n, 5), [repeated_ngram_share(t, n, 5) for t in texts])


def test_words_definition():
    assert words.words("Password, reset! can't -- «École»") == ["password", "reset", "can't", "école"]
    assert duplicate_line_share("a\nb\na\n\na", 3) == round(1 - 2 / 4, 5)
    assert duplicate_line_share("a\na", 4) == 0.0  # too few lines to judge


def test_empty_batches():
    assert batch_scores(words.Encoded([], []), 2).size == 0
    assert words.jaccard([], [], STOPWORDS, 2).size == 0 and words.repeated_ngram_share([], 4, 5).size == 0


@pytest.mark.parametrize("patterns, flags", [(DEFAULT_PHRASES, re.IGNORECASE), (DEFAULT_PATTERNS, 0)])
def test_pattern_counter_engines_agree_and_prefilter_never_hides_a_match(patterns, flags):
    texts = _texts(4, 600, 30) + ["AS AN AI, I can't.", "I'm sorry, but I can't help with that request.",
                                  "Hello {{ customer.name }}", "FIXME later", "<insert link>", "[Customer Name]"]
    counter = PatternCounter(patterns, ignore_case=bool(flags))
    assert counter.engine == "re2"
    rx = re.compile("|".join(f"(?:{p})" if not p.startswith("(?i)") else f"(?i:{p[4:]})" for p in patterns), flags)
    expected = [len(rx.findall(t)) for t in texts]
    assert counter.count(texts).tolist() == expected
    pre = Prefilter(patterns)
    assert pre.active and all(pre.may_match(t) for t, e in zip(texts, expected) if e)
    assert sum(1 for e in expected if e) >= 3  # the planted ones at least


def test_pattern_counter_falls_back_to_python_re_for_lookbehind():
    counter = PatternCounter([r"(?<=order )HL-\d+"])
    assert counter.engine == "python"
    assert counter.count(["order HL-12 and HL-13", "none"]).tolist() == [1, 0]
    assert counter.count_lists([["order HL-1", "order HL-2"], []]).tolist() == [2, 0]


@pytest.mark.parametrize("pattern, expected", [
    (r"\bas an ai\b", {"as an ai"}),
    (r"(?:ai|large) language model", {"ai language model", "large language model"}),
    (r"i(?:'m| am) sorry", {"i'm sorry", "i am sorry"}),
    (r"\w+", None),
    (r"ab?c", None),  # no unavoidable run of two characters
    (r"foo(?:bar|baz)+qux", {"foo"}),
])
def test_required_literals(pattern, expected):
    assert literals(pattern) == expected
