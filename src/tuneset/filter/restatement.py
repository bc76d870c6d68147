"""Answers that only restate the question ("How do I reset my password?" -> "You want to reset
your password."): they look like answers, say nothing, and teach the model to echo.

Only an answer that adds nothing to the question is judged. It adds something when it holds a
content word (case-folded, punctuation stripped, a short list of function words and pronouns left
out; numbers are words) more often than the question does, which covers a new word, a new number
and a word drawn from the question to answer it ("Is 64 or 46 the result?" -> "The result is 64",
"What is the title of the first Jurassic Park movie?" -> "The title ... is Jurassic Park"), or when
it holds a yes/no verdict or a negation the question lacks ("Are vampires real?" -> "No, vampires
are not real"). Such an answer is an answer, however many of the question's words it repeats.

An answer that adds nothing scores the Jaccard similarity of its content words and the
question's: an echo scores 1, and a short answer drawn from a long prompt (a classification
label, an extracted field) scores low, since it uses the prompt's words but does not restate it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from tuneset.filter import text as tx
from tuneset.filter import words
from tuneset.filter.engine import FilterRule, param
from tuneset.rules import register

STOPWORDS = frozenset("""
a an the and or but if then so of to in on at by for with from as is are was were be been being am do does did
doing have has had having i me my mine myself you your yours yourself we us our ours they them their theirs he him
his she her hers it its this that these those there here what which who whom whose when where why how can could
will would shall should may might must not no yes please thanks thank hi hello hey just also very really want
wants wanted need needs like know asking ask asked question i'm i've i'd i'll you're you've you'll you'd we're
we've it's that's there's what's don't doesn't didn't can't won't isn't aren't wasn't weren't
""".split())

# Words that give a verdict or negate: an answer holding one the question lacks is not an echo.
VERDICTS = frozenset("yes yeah yep no nope correct incorrect true false".split())
NEGATIONS = frozenset("""
not no never none nothing nobody nowhere neither nor cannot without can't won't don't doesn't didn't isn't aren't
wasn't weren't hasn't haven't hadn't shouldn't wouldn't couldn't mustn't
""".split())
MARKERS = VERDICTS | NEGATIONS
MARKER_SUFFIXES = ("n't", "n\u2019t")  # any other negative contraction, straight or curly apostrophe


def is_marker(word: str) -> bool:
    return word in MARKERS or word.endswith(MARKER_SUFFIXES)


def adds_content(question: str, answer: str) -> bool:
    """Whether ``answer`` adds anything to ``question``: a content word used more often than the
    question uses it (a new word or number counts once a use), or a verdict or negation word the
    question does not hold."""
    qw, aw = words.words(question), words.words(answer)
    q_counts = Counter(w for w in qw if w not in STOPWORDS)
    if any(n > q_counts[w] for w, n in Counter(w for w in aw if w not in STOPWORDS).items()):
        return True
    return bool({w for w in aw if is_marker(w)} - set(qw))


def content_words(text: str) -> set[str]:
    return {w for w in words.words(text) if w not in STOPWORDS}


def restatement_score(question: str, answer: str, min_words: int) -> float:
    """Jaccard similarity of the content words of answer and question; NaN (not judged) when the
    answer adds content (:func:`adds_content`), has fewer than ``min_words`` content words (too
    short to judge) or the question has none. The rule computes the same over a batch
    (:func:`batch_scores`)."""
    if not question or not answer:
        return np.nan
    a = content_words(answer)
    if len(a) < min_words:
        return np.nan
    q = content_words(question)
    if not q or adds_content(question, answer):
        return np.nan
    return round(len(a & q) / len(a | q), 5)


def batch_scores(enc: words.Encoded, min_words: int) -> np.ndarray:
    """:func:`restatement_score` of every row of ``enc`` (columns: answers, questions)."""
    scores = words.jaccard(enc, None, STOPWORDS, min_words)
    if not enc.n:
        return scores
    adds = enc.excess(0, 1, STOPWORDS) > 0
    mask = enc.word_mask(MARKERS, MARKER_SUFFIXES)
    ka, kq = enc.masked_keys(0, mask), enc.masked_keys(1, mask)
    new_markers = enc.per_row(ka) - enc.per_row(np.intersect1d(ka, kq, assume_unique=True))
    scores[adds | (new_markers > 0)] = np.nan
    return scores


@register
@dataclass(frozen=True)
class RestatesQuestion(FilterRule):
    """The answer does more than restate the question (the last user turn). An answer that adds
    anything is kept unjudged: a content word (numbers included) it uses more often than the
    question, or a yes/no verdict or negation the question lacks ("Are vampires real?" -> "No,
    vampires are not real"; "What is 4 to the power of 3?" -> "4 to the power of 3 is 64"). An
    answer that adds nothing is dropped when the Jaccard similarity of its content words and the
    question's (function words and pronouns aside) is above ``max``: "How do I reset my
    password?" answered "You want to reset your password." scores 1. Answers with fewer than
    ``min_words`` content words are not judged (the length rules are for those).
    Score: the Jaccard similarity (null: not judged)."""

    name: ClassVar[str] = "restates_question"
    version: ClassVar[int] = 2  # 2: answers that add a word, number, verdict or negation are not judged
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER_WORDS,)
    max: float = param(0.8, "largest content-word Jaccard similarity of answer and question kept")
    min_words: int = param(2, "answers with fewer content words are not judged")

    def __post_init__(self):
        if not 0.0 <= self.max <= 1.0 or self.min_words < 1:
            raise ValueError("max must be in [0, 1] and min_words at least 1")

    def score(self, df):
        scores = batch_scores(tx.answer_words(df), self.min_words)
        return pd.Series(scores, index=df.index, dtype="float64")

    def keep(self, score):
        return score.isna() | (score <= self.max)

    def threshold(self):
        return {"max": self.max}

    def reason(self, score, row):
        return (f"the answer shares {score:.0%} of its content words with the question (Jaccard, max {self.max:.0%}): "
                "it only restates it")
