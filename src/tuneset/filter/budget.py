"""Token budgets: the rendered example counted with the target's tokenizer, and the rules on it.

``n_tokens`` is the length of the example as the trainer sees it: the chat template applied
(``target.template``), control tokens and per-message framing included, tool schemas included. For a
preference pair it is the longer of prompt+chosen and prompt+rejected (each must fit the context).
``n_trained_tokens`` counts the trained span (assistant answers and the end-of-turn token closing
them); for a preference pair the smaller of the two sides. Nothing is ever truncated: an example
over the limit is dropped with its count and the limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import schema as col
from tuneset import tokens as tok
from tuneset.config import TargetConfig
from tuneset.filter.engine import FilterRule
from tuneset.rules import register
from tuneset.templates import Template, TemplateRenderError, get_template

N_TOKENS = col.N_TOKENS
N_TRAINED_TOKENS = "n_trained_tokens"
RENDER_ERROR = "_render_error"  # working column, never written


@dataclass
class TokenColumns:
    n_tokens: list[int | None]
    n_trained: list[int | None]
    n_epoch: list[int]  # tokens processed per epoch (both sequences of a preference pair)
    errors: list[str | None]
    guarded: int


def count_record(record: Mapping[str, Any], template: Template, counter: tok.TokenCounter) -> tuple[int, int, int]:
    """(n_tokens, n_trained_tokens, tokens per epoch) of one canonical record."""
    return _count(record[col.KIND], record[col.MESSAGES], record.get(col.CHOSEN), record.get(col.REJECTED),
                  record.get(col.TOOLS), template, counter)


def _count(kind: str, messages: Any, chosen: Any, rejected: Any, tools: Any, template: Template,
           counter: tok.TokenCounter) -> tuple[int, int, int]:
    messages = list(messages or ())
    if kind != "preference":
        n, trained = counter.count_rendered(template.render(messages, tools))
        return n, trained, n
    start = len(messages)
    nc, tc = counter.count_rendered(template.render(messages + list(chosen or ()), tools, start))
    nr, tr = counter.count_rendered(template.render(messages + list(rejected or ()), tools, start))
    return max(nc, nr), min(tc, tr), nc + nr


def token_columns(df: pd.DataFrame, template: Template, counter: tok.TokenCounter,
                  progress: Callable[[int], None] | None = None) -> TokenColumns:
    n_tokens: list[int | None] = []
    n_trained: list[int | None] = []
    n_epoch: list[int] = []
    errors: list[str | None] = []
    n_rows = len(df)
    columns = [df[c].tolist() if c in df.columns else [None] * n_rows
               for c in (col.KIND, col.MESSAGES, col.CHOSEN, col.REJECTED, col.TOOLS)]
    for i, (kind, messages, chosen, rejected, tools) in enumerate(zip(*columns)):
        try:
            n, t, e = _count(kind, messages, chosen, rejected, tools, template, counter)
        except TemplateRenderError as exc:
            n_tokens.append(None)
            n_trained.append(None)
            n_epoch.append(0)
            errors.append(str(exc))
        else:
            n_tokens.append(n)
            n_trained.append(t)
            n_epoch.append(e)
            errors.append(None)
        if progress and (i + 1) % 10000 == 0:
            progress(i + 1)
    return TokenColumns(n_tokens, n_trained, n_epoch, errors, counter.guarded)


# --- rules ---------------------------------------------------------------------------------------

@register
@dataclass(frozen=True)
class TemplateRenders(FilterRule):
    """The chat template renders the example (a user's ``.jinja`` template may refuse one with
    ``raise_exception``). Always applied first: without a rendering there is no token count."""

    name: ClassVar[str] = "template_renders"
    template: str = "chatml"

    @classmethod
    def from_config(cls, params, context):
        return cls(**{"template": context.get("template", "chatml"), **params})

    def score(self, df):
        return df[RENDER_ERROR].isna().astype("int64")

    def keep(self, score):
        return score == 1

    def reason(self, score, row):
        return f"template {self.template} cannot render it: {row.get(RENDER_ERROR)}"


@register
@dataclass(frozen=True)
class ContextLimit(FilterRule):
    """The rendered example fits the context: ``n_tokens <= limit`` (``target.context_tokens`` unless
    set). Over-length examples are dropped with their count and the limit, never truncated."""

    name: ClassVar[str] = "context_limit"
    limit: int = 0
    tokenizer: str = "o200k_base"
    template: str = "chatml"

    @classmethod
    def from_config(cls, params, context):
        merged = {"limit": context.get("context_tokens", 0), "tokenizer": context.get("tokenizer", "o200k_base"),
                  "template": context.get("template", "chatml"), **params}
        if int(merged["limit"]) <= 0:
            raise ValueError("limit must be positive")
        return cls(**merged)

    def score(self, df):
        return df[N_TOKENS]

    def keep(self, score):
        return score.notna() & (score <= self.limit)

    def threshold(self):
        return {"max": self.limit}

    def reason(self, score, row):
        return (f"{score:,} tokens > context limit {self.limit:,} ({self.tokenizer}, {self.template} template); "
                "over-length examples are dropped, never truncated")


@register
@dataclass(frozen=True)
class TrainedTokens(FilterRule):
    """At least ``min_tokens`` tokens are trained (the assistant spans the template marks): an example
    whose labels would all be masked teaches nothing, and trainers fail or silently skip it."""

    name: ClassVar[str] = "trained_tokens"
    min_tokens: int = 1
    template: str = "chatml"

    @classmethod
    def from_config(cls, params, context):
        return cls(**{"template": context.get("template", "chatml"), **params})

    def score(self, df):
        return df[N_TRAINED_TOKENS]

    def keep(self, score):
        return score.notna() & (score >= self.min_tokens)

    def threshold(self):
        return {"min": self.min_tokens}

    def reason(self, score, row):
        if not score:
            return f"no trained tokens: the {self.template} template marks no assistant span (all labels masked)"
        return f"{score:,} trained tokens < minimum {self.min_tokens:,}"


# --- report ----------------------------------------------------------------------------------------

def percentile(sorted_values: Sequence[int], p: float) -> int:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def token_report(n_tokens: Sequence[int], n_trained: Sequence[int], epoch_tokens: Sequence[int],
                 near: Sequence[tuple[str, int]], target: TargetConfig, near_limit: float,
                 over_limit: Sequence[int], guarded: int, top: int = 10) -> dict[str, Any]:
    """Token statistics of the kept examples (their ``n_tokens``, ``n_trained_tokens`` and tokens
    per epoch), the near-limit ones (``(origin_id, n_tokens)`` above the threshold), the over-limit
    counts, and the training estimate."""
    values = sorted(int(v) for v in n_tokens)
    threshold = near_threshold(target, near_limit)
    stats: dict[str, Any] = {"count": len(values)}
    if values:
        stats.update({"p5": percentile(values, 5), "p50": percentile(values, 50), "p95": percentile(values, 95),
                      "max": values[-1], "mean": round(sum(values) / len(values), 2), "total": sum(values)})
    near_sorted = sorted(near, key=lambda on: (-on[1], on[0]))
    trained_total = int(sum(n_trained))
    per_epoch = int(sum(epoch_tokens))
    total = per_epoch * target.epochs
    cost = round(total / 1e6 * target.price_per_million_tokens, 4) if target.price_per_million_tokens else None
    return {
        "tokenizer": target.tokenizer,
        "template": target.template,
        "context_tokens": target.context_tokens,
        "n_tokens": stats,
        "trained_tokens": {"total": trained_total,
                           "share": round(trained_total / stats["total"], 4) if values and stats["total"] else 0.0},
        "near_limit": {"threshold": threshold, "fraction": near_limit, "count": len(near_sorted),
                       "examples": [{"origin_id": o, "n_tokens": int(n)} for o, n in near_sorted[:top]]},
        "over_limit": {"count": len(over_limit), "max": max(over_limit) if over_limit else None,
                       "limit": target.context_tokens},
        "bpe_guard": {"threshold_chars": tok.GUARD_CHARS, "chunk_chars": tok.CHUNK_CHARS, "texts_chunked": guarded},
        "training": {"epochs": target.epochs, "tokens_per_epoch": per_epoch, "trained_tokens_per_epoch": trained_total,
                     "total_tokens": total, "price_per_million_tokens": target.price_per_million_tokens,
                     "estimated_cost": cost},
    }


def near_threshold(target: TargetConfig, near_limit: float) -> int:
    return int(near_limit * target.context_tokens)


def template_for(target: TargetConfig, counter: tok.TokenCounter) -> Template:
    return get_template(target.template, extra_markers=tok.special_tokens(counter.enc))
