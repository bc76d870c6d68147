"""Length rules: answer and prompt sizes in tokens of the target's tokenizer, and their ratio.

The answer is the trained answer (an SFT example's final assistant turn, a preference row's chosen
side), the prompt every non-system turn before it, the question the last user turn before it
(:mod:`tuneset.filter.text`). Counts are of the plain text, without the chat template, so they do
not move when the template changes; ``n_tokens`` (the rendered example) is the context rule's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from tuneset import schema as col
from tuneset import tokens as tok
from tuneset.filter import text as tx
from tuneset.filter.engine import FilterRule, param
from tuneset.rules import register


@dataclass(frozen=True)
class _TokenBound(FilterRule):
    """Base of the token-count bounds (not registered): the token count of the ``what`` text (the
    one working column in ``needs``) against the subclass's one limit field, ``min`` or ``max`` as
    ``bound`` says."""

    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER_TOKENS,)
    what: ClassVar[str] = "answer"
    bound: ClassVar[str] = "min"
    tokenizer: str = param("o200k_base", "tokenizer the text is counted with (default: target.tokenizer)")

    def __post_init__(self):
        if self.bound == "min" and self.limit < 0:
            raise ValueError("min must not be negative")
        if self.bound == "max" and self.limit <= 0:
            raise ValueError("max must be positive")

    @property
    def limit(self) -> int:
        return getattr(self, self.bound)

    @classmethod
    def from_config(cls, params, context):
        return cls(**{"tokenizer": context.get("tokenizer", "o200k_base"), **params})

    def score(self, df):
        return pd.Series(tx.get(df, self.needs[0], self.tokenizer), index=df.index, dtype="int64")

    def keep(self, score):
        return score >= self.limit if self.bound == "min" else score <= self.limit

    def threshold(self):
        return {self.bound: self.limit}

    def reason(self, score, row):
        fails = "< minimum" if self.bound == "min" else "> maximum"
        return f"{self.what} has {score:,} tokens {fails} {self.limit:,} ({self.tokenizer})"


def tool_call_texts(df: pd.DataFrame) -> list[str]:
    """Per row, the tool calls of an SFT example's final assistant turn as text (each call's function
    name and arguments, one a line); "" when it makes none. A call is trained like an answer."""
    out = []
    kinds = df[col.KIND].tolist() if col.KIND in df.columns else [None] * len(df)
    messages = df[col.MESSAGES].tolist() if col.MESSAGES in df.columns else [None] * len(df)
    for kind, msgs in zip(kinds, messages):
        calls = msgs[-1].get("tool_calls") if kind == "sft" and msgs is not None and len(msgs) else None
        if not calls:
            out.append("")
            continue
        try:
            parsed = json.loads(calls) if isinstance(calls, str) else calls
        except ValueError:
            out.append(str(calls))
            continue
        lines = []
        for c in parsed if isinstance(parsed, list) else [parsed]:
            f = c.get("function") if isinstance(c, dict) else None
            f = f if isinstance(f, dict) else {}
            args = f.get("arguments")
            lines.append(f"{f.get('name') or ''} {args if isinstance(args, str) else json.dumps(args)}".strip())
        out.append("\n".join(lines))
    return out


@register
@dataclass(frozen=True)
class MinAnswerTokens(_TokenBound):
    """The answer has at least ``min`` tokens. Catches empty-looking and one-word answers ("Ok.",
    "Done") that teach the model to be curt. An answer that makes tool calls (the OpenAI
    function-calling format, often with no text at all) counts the tokens of its calls too: each
    call's function name and arguments. Score: the answer's token count."""

    name: ClassVar[str] = "min_answer_tokens"
    version: ClassVar[int] = 2  # 2: a final tool call's name and arguments count as answer tokens
    min: int = param(1, "fewest answer tokens kept")

    def score(self, df):
        counts = np.asarray(tx.get(df, self.needs[0], self.tokenizer), dtype="int64")
        calls = tool_call_texts(df)
        at = [i for i, t in enumerate(calls) if t]
        if at:
            counts = counts.copy()
            counts[at] += np.asarray(tok.TokenCounter(self.tokenizer).count_many([calls[i] for i in at]), dtype="int64")
        return pd.Series(counts, index=df.index, dtype="int64")


@register
@dataclass(frozen=True)
class MaxAnswerTokens(_TokenBound):
    """The answer has at most ``max`` tokens. Very long answers are usually pasted logs or
    documents rather than replies. Score: the answer's token count."""

    name: ClassVar[str] = "max_answer_tokens"
    bound: ClassVar[str] = "max"
    max: int = param(4096, "most answer tokens kept")


@register
@dataclass(frozen=True)
class MinPromptTokens(_TokenBound):
    """The prompt (every non-system turn before the answer) has at least ``min`` tokens: a
    one-word prompt rarely says what is being asked. Score: the prompt's token count."""

    name: ClassVar[str] = "min_prompt_tokens"
    needs: ClassVar[tuple[str, ...]] = (tx.PROMPT_TOKENS,)
    what: ClassVar[str] = "prompt"
    min: int = param(1, "fewest prompt tokens kept")


@register
@dataclass(frozen=True)
class MaxPromptTokens(_TokenBound):
    """The prompt (every non-system turn before the answer) has at most ``max`` tokens. Score: the
    prompt's token count."""

    name: ClassVar[str] = "max_prompt_tokens"
    needs: ClassVar[tuple[str, ...]] = (tx.PROMPT_TOKENS,)
    what: ClassVar[str] = "prompt"
    bound: ClassVar[str] = "max"
    max: int = param(4096, "most prompt tokens kept")


@register
@dataclass(frozen=True)
class AnswerPromptRatio(FilterRule):
    """The answer's length relative to the question it answers (the last user turn) is within
    ``[min, max]``. A three-token answer to a 300-token question, or a 3,000-token answer to
    "hi", is usually a broken pair. Score: answer tokens / question tokens (a question with no
    tokens counts as one)."""

    name: ClassVar[str] = "answer_prompt_ratio"
    needs: ClassVar[tuple[str, ...]] = (tx.ANSWER_TOKENS, tx.QUESTION_TOKENS)
    min: float = param(0.0, "smallest ratio kept")
    max: float | None = param(None, "largest ratio kept (null: no upper bound)")
    tokenizer: str = param("o200k_base", "tokenizer the text is counted with (default: target.tokenizer)")

    def __post_init__(self):
        if self.min < 0 or (self.max is not None and self.max < self.min):
            raise ValueError("need 0 <= min <= max")

    @classmethod
    def from_config(cls, params, context):
        return cls(**{"tokenizer": context.get("tokenizer", "o200k_base"), **params})

    def score(self, df):
        a = np.asarray(tx.get(df, tx.ANSWER_TOKENS, self.tokenizer), dtype="float64")
        q = np.asarray(tx.get(df, tx.QUESTION_TOKENS, self.tokenizer), dtype="float64")
        return pd.Series(np.round(a / np.maximum(q, 1.0), 5), index=df.index, dtype="float64")

    def keep(self, score):
        ok = score >= self.min
        return ok & (score <= self.max) if self.max is not None else ok

    def threshold(self):
        return {"min": self.min, "max": self.max}

    def reason(self, score, row):
        bound = f"[{self.min}, {self.max if self.max is not None else 'inf'}]"
        return f"answer/question token ratio {score} outside {bound} ({self.tokenizer})"
