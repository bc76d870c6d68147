"""Refusals and assistant boilerplate ("As an AI language model, I cannot ...").

Refusals are wanted coverage when they are the right answer (a support bot must decline some
requests), and noise when a generator refused a plain question. So the rule can drop them or keep
them with a label (``refusal: yes`` / ``no``) that coverage counts and the split can stratify by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset.filter import text as tx
from tuneset.filter.engine import FilterRule, param
from tuneset.filter.prefilter import PatternCounter, compile_patterns
from tuneset.rules import register

ACTIONS = ("label", "drop")

# Case-insensitive regular expressions, searched in the answer. They aim at the model-style
# refusal and disclaimer, not at a support agent's "sorry for the inconvenience".
DEFAULT_PHRASES = (
    r"\bas an ai\b",
    r"\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence|language model|virtual assistant)\b",
    r"\b(?:ai|large) language model\b",
    r"\bi(?:'m| am) (?:sorry|afraid),? but (?:i|as an ai,? i) (?:can(?:no|')t|am (?:not able|unable)|won't|will not)\b",
    r"\bi apologi[sz]e,? but i (?:can(?:no|')t|am (?:not able|unable))\b",
    r"\bi(?: can(?:no|')t| am (?:not able|unable) to|(?:'m| am) (?:not (?:able|allowed|permitted)|unable) to) "
    r"(?:help|assist|provide assistance|comply) with (?:that|this|your request|such requests)\b",
    r"\b(?:my|the) knowledge cut-?off\b",
    r"\bmy knowledge is limited\b",
    r"\bi do(?:n't| not) have (?:the ability|personal opinions|feelings)\b",
)


def compile_phrases(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], Any]:
    """The phrases as one case-insensitive expression and its prefilter; a bad expression is a
    ValueError naming it."""
    try:
        return compile_patterns(tuple(phrases), re.IGNORECASE)
    except ValueError as exc:
        raise ValueError(str(exc).replace("pattern", "phrase", 1)) from None


@register
@dataclass(frozen=True)
class Refusal(FilterRule):
    """The answer contains no refusal or assistant boilerplate ("As an AI language model",
    "I'm sorry, but I can't help with that"): ``phrases`` are case-insensitive regular
    expressions (``extra_phrases`` adds to them). With ``action: label`` every example is kept
    and labelled ``refusal: yes``/``no`` (refusals are wanted coverage); with ``action: drop``
    matching examples are dropped. Score: the number of phrase matches in the answer."""

    name: ClassVar[str] = "refusal"
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER,)
    action: str = param("label", "label (keep, label refusal: yes/no) or drop")
    phrases: list[str] = param(DEFAULT_PHRASES, "case-insensitive regular expressions searched in the answer")
    extra_phrases: list[str] = param((), "more expressions, added to phrases")
    label: str = param("refusal", "name of the label given with action: label")

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"action must be label or drop, got {self.action!r}")
        if not self.phrases and not self.extra_phrases:
            raise ValueError("needs at least one phrase")
        compile_phrases(tuple(self.phrases) + tuple(self.extra_phrases))

    def score(self, df):
        counter = PatternCounter(tuple(self.phrases) + tuple(self.extra_phrases), ignore_case=True)
        return pd.Series(counter.count(tx.get(df, tx.ANSWER)), index=df.index, dtype="int64")

    def evaluate(self, df):
        score = self.score(df)
        if self.action != "label":
            return score, {}
        return score, {self.label: ["yes" if s else "no" for s in score.tolist()]}

    def keep(self, score):
        if self.action == "label":
            return pd.Series(True, index=score.index)
        return score == 0

    def threshold(self):
        return {"max": 0}

    def reason(self, score, row):
        return f"the answer is a refusal or assistant boilerplate ({score} phrase match{'es' if score != 1 else ''})"
