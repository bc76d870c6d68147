"""Answers that only restate the question ("How do I reset my password?" -> "You want to reset
your password."): they look like answers, say nothing, and teach the model to echo.

The score is the Jaccard similarity of the content words (case-folded, punctuation stripped, a
short list of function words and pronouns left out) of the answer and of the question. An echo
scores 1; an answer that brings its own words scores low, and so does a short answer drawn from a
long prompt (a classification label, an extracted field), which uses the prompt's words but does
not restate it.
"""

from __future__ import annotations

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


def content_words(text: str) -> set[str]:
    return {w for w in words.words(text) if w not in STOPWORDS}


def restatement_score(question: str, answer: str, min_words: int) -> float:
    """Jaccard similarity of the content words of answer and question; NaN when the answer has
    fewer than ``min_words`` content words (too short to judge) or the question has none. The rule
    computes the same over a batch with :func:`tuneset.filter.words.jaccard`."""
    if not question or not answer:
        return np.nan
    a = content_words(answer)
    if len(a) < min_words:
        return np.nan
    q = content_words(question)
    if not q:
        return np.nan
    return round(len(a & q) / len(a | q), 5)


@register
@dataclass(frozen=True)
class RestatesQuestion(FilterRule):
    """The answer does more than restate the question (the last user turn): the Jaccard
    similarity of their content words (function words and pronouns aside) is at most ``max``.
    "How do I reset my password?" answered "You want to reset your password." scores 1. Answers
    with fewer than ``min_words`` content words are not judged (the length rules are for those).
    Score: the Jaccard similarity (null: not judged)."""

    name: ClassVar[str] = "restates_question"
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER_WORDS,)
    max: float = param(0.8, "largest content-word Jaccard similarity of answer and question kept")
    min_words: int = param(2, "answers with fewer content words are not judged")

    def __post_init__(self):
        if not 0.0 <= self.max <= 1.0 or self.min_words < 1:
            raise ValueError("max must be in [0, 1] and min_words at least 1")

    def score(self, df):
        scores = words.jaccard(tx.answer_words(df), None, STOPWORDS, self.min_words)
        return pd.Series(scores, index=df.index, dtype="float64")

    def keep(self, score):
        return score.isna() | (score <= self.max)

    def threshold(self):
        return {"max": self.max}

    def reason(self, score, row):
        return (f"the answer shares {score:.0%} of its content words with the question (Jaccard, max {self.max:.0%}): "
                "it only restates it")
