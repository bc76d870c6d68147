"""Degenerate generations: an answer that repeats its own lines or phrases.

Looping is the typical failure of sampled or scraped answers ("I can help with that. I can help
with that. ..."); training on it teaches the loop. Both scores follow Gopher's repetition filters
(Rae et al. 2021, arXiv:2112.11446): the share of duplicated lines, and the share of repeated word
n-grams. Only the answer is looked at (:mod:`tuneset.filter.text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from tuneset.filter import text as tx
from tuneset.filter import words
from tuneset.filter.engine import FilterRule, param
from tuneset.rules import register


def duplicate_line_share(text: str, min_lines: int) -> float:
    """Share of the non-empty lines (whitespace-trimmed) that repeat an earlier line; 0.0 when the
    text has fewer than ``min_lines`` non-empty lines."""
    if "\n" not in text:
        return 0.0
    lines = [s for line in text.split("\n") if (s := line.strip())]
    if len(lines) < max(min_lines, 2):
        return 0.0
    return round(1.0 - len(set(lines)) / len(lines), 5)


def repeated_ngram_share(text: str, n: int, min_words: int) -> float:
    """Share of the word n-grams (words of :func:`tuneset.filter.words.words`) that repeat an
    earlier n-gram; 0.0 when the text has fewer than ``max(min_words, n + 1)`` words. The rule
    computes the same over a batch with :func:`tuneset.filter.words.repeated_ngram_share`."""
    ws = words.words(text)
    if len(ws) < max(min_words, n + 1):
        return 0.0
    grams = list(zip(*(ws[i:] for i in range(n))))
    return round(1.0 - len(set(grams)) / len(grams), 5)


class _AtMostMax(FilterRule):
    """Keeps an example whose score is at most the rule's ``max`` field (a share of repeats)."""

    max: float

    def keep(self, score):
        return score <= self.max

    def threshold(self):
        return {"max": self.max}


@register
@dataclass(frozen=True)
class RepeatedLines(_AtMostMax):
    """At most ``max`` of the answer's non-empty lines repeat an earlier line (Gopher's
    dup_line_frac, 0.30). Answers with fewer than ``min_lines`` lines are not judged (score 0).
    Score: the share of duplicated lines."""

    name: ClassVar[str] = "repeated_lines"
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER,)
    max: float = param(0.3, "largest share of duplicated lines kept")
    min_lines: int = param(4, "answers with fewer non-empty lines are not judged")

    def __post_init__(self):
        if not 0.0 <= self.max <= 1.0 or self.min_lines < 2:
            raise ValueError("max must be in [0, 1] and min_lines at least 2")

    def score(self, df):
        return pd.Series([duplicate_line_share(a, self.min_lines) for a in tx.get(df, tx.ANSWER)],
                         index=df.index, dtype="float64")

    def reason(self, score, row):
        return f"{score:.0%} of the answer's lines repeat an earlier line (max {self.max:.0%}): a degenerate answer"


@register
@dataclass(frozen=True)
class RepeatedNgrams(_AtMostMax):
    """At most ``max`` of the answer's word ``n``-grams repeat an earlier one. Natural prose
    scores near 0 with n = 4; a looping answer scores 0.5 and up. Answers shorter than
    ``min_words`` words are not judged (score 0). Score: the share of repeated n-grams."""

    name: ClassVar[str] = "repeated_ngrams"
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER_WORDS,)
    n: int = param(4, "words per n-gram")
    max: float = param(0.35, "largest share of repeated n-grams kept")
    min_words: int = param(20, "answers with fewer words are not judged")

    def __post_init__(self):
        if self.n < 1 or not 0.0 <= self.max <= 1.0 or self.min_words < 0:
            raise ValueError("n must be at least 1, max in [0, 1], min_words not negative")

    def score(self, df):
        return pd.Series(words.repeated_ngram_share(tx.answer_words(df), self.n, self.min_words),
                         index=df.index, dtype="float64")

    def reason(self, score, row):
        return (f"{score:.0%} of the answer's word {self.n}-grams repeat an earlier one (max {self.max:.0%}): "
                "a degenerate answer")
