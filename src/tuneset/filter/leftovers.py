"""Placeholder and template leftovers: text a generator or a mail-merge forgot to fill in.

``{{customer_name}}``, ``{% if %}``, ``[Your Name]``, ``<insert link>``, "Lorem ipsum", ``TODO`` /
``FIXME``: an example holding one teaches the model to emit it. Scrub's own placeholders
(``<EMAIL_1>``, ``<PERSON>``) are never matched. Code answers legitimately contain ``{{ }}``
(Jinja, Handlebars, Vue): set ``patterns`` for a code dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from tuneset.filter import text as tx
from tuneset.filter.engine import FilterRule, param
from tuneset.filter.prefilter import PatternCounter, compile_patterns
from tuneset.rules import register

SCOPES = ("answer", "prompt", "conversation")

DEFAULT_PATTERNS = (
    r"\{\{[^{}\n]{0,80}\}\}",  # {{name}}, {{ customer.email }}
    r"\{%[^%\n]{0,80}%\}",  # {% if x %}
    r"(?i)\blorem ipsum\b",
    r"\b(?:TODO|FIXME)\b",  # upper case only: "your todo list" is prose
    r"(?i)\[(?:insert|your|customer's|customer|company|agent|product|recipient|user)[ _-]?"
    r"(?:full[ _-]?)?(?:name|e-?mail|email address|company|number|phone|here|link|url|date|address|title|signature)\]",
    r"(?i)\[insert [^\]\n]{1,40}\]",  # [insert tracking number]
    r"(?i)<(?:insert|your)[ _-][^<>\n]{1,40}>",  # <insert name>, <your email>
)


@register
@dataclass(frozen=True)
class TemplateLeftovers(FilterRule):
    """No placeholder or template leftovers (``{{name}}``, ``{% ... %}``, ``[Your Name]``,
    ``<insert link>``, "lorem ipsum", ``TODO``/``FIXME``) in the ``scope``: the answer, the
    prompt, or every turn (``conversation``: system, user, assistant, tool, chosen and
    rejected). ``patterns`` are regular expressions (``extra_patterns`` adds to them), run with
    RE2 when it accepts them (``\\b``, ``\\w`` ASCII-only), else with Python's ``re``.
    Score: the number of leftovers found."""

    name: ClassVar[str] = "template_leftovers"
    needs: ClassVar[tuple[str, ...]] = (tx.CONVERSATION,)
    scope: str = param("conversation", "where to look: answer, prompt or conversation")
    patterns: list[str] = param(DEFAULT_PATTERNS, "regular expressions of leftovers")
    extra_patterns: list[str] = param((), "more expressions, added to patterns")

    def __post_init__(self):
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be answer, prompt or conversation, got {self.scope!r}")
        if not self.patterns and not self.extra_patterns:
            raise ValueError("needs at least one pattern")
        compile_patterns(tuple(self.patterns) + tuple(self.extra_patterns))

    def requires(self):
        return {"answer": (tx.ANSWER,), "prompt": (tx.PROMPT,)}.get(self.scope, (tx.CONVERSATION,))

    def score(self, df):
        counter = PatternCounter(tuple(self.patterns) + tuple(self.extra_patterns))
        if self.scope == "conversation":
            counts = counter.count_lists(tx.get(df, tx.CONVERSATION))
        else:
            counts = counter.count(tx.get(df, tx.ANSWER if self.scope == "answer" else tx.PROMPT))
        return pd.Series(counts, index=df.index, dtype="int64")

    def keep(self, score):
        return score == 0

    def threshold(self):
        return {"max": 0}

    def reason(self, score, row):
        return f"{score} placeholder or template leftover{'s' if score != 1 else ''} in the {self.scope}"
