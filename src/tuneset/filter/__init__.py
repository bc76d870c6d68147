"""Filter: declared rules decide which examples are kept; each score is kept beside the decision.

The stage first renders every example with the target's chat template and counts its tokens with
the target's tokenizer (``n_tokens``, ``n_trained_tokens``: see :mod:`tuneset.filter.budget`), then
runs the rules of ``filter.rules`` through the engine (:mod:`tuneset.filter.engine`). Rules are
registered by name; ``template_renders`` always runs first. More rule families (quality, metadata
predicates) register the same way and are listed in config by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from tuneset import schema as col
from tuneset import tokens as tok
from tuneset.config import FilterConfig, TargetConfig
from tuneset.filter.budget import (
    N_TOKENS,
    N_TRAINED_TOKENS,
    RENDER_ERROR,
    ContextLimit,
    TemplateRenders,
    TrainedTokens,
    percentile,
    near_threshold,
    template_for,
    token_columns,
    token_report,
)
from tuneset.filter.engine import SCORE_PREFIX, STAGE, FilterRule, RuleOutcome, apply_rules, build_rules, filter_rules

REQUIRED_RULES = (TemplateRenders.name,)


@dataclass
class FilterResult:
    examples: pd.DataFrame
    dropped: pd.DataFrame
    report: dict[str, Any]


def rule_context(target: TargetConfig) -> dict[str, Any]:
    return {"context_tokens": target.context_tokens, "tokenizer": target.tokenizer, "template": target.template}


def describe_rules() -> list[dict[str, Any]]:
    """Every filter rule with its parameters' defaults and its documentation."""
    return [cls().describe() for cls in filter_rules().values()]


class FilterRun:
    """The filter over a dataset given batch by batch (bounded memory), reporting on the whole.

    ``add`` filters one batch and returns its kept and dropped rows; ``report`` summarizes every
    batch added so far. The result does not depend on how the rows were batched.
    """

    def __init__(self, cfg: FilterConfig, target: TargetConfig) -> None:
        self.cfg, self.target = cfg, target
        self.rules = build_rules(cfg.rules, rule_context(target), required=REQUIRED_RULES)
        self.counter = tok.TokenCounter(target.tokenizer)
        self.template = template_for(target, self.counter)
        self.rows_in = 0
        self.failed = {r.name: 0 for r in self.rules}
        self.dropped_counts: dict[str, int] = {}
        self.n_tokens: list[int] = []
        self.n_trained: list[int] = []
        self.epoch: list[int] = []
        self.near: list[tuple[str, int]] = []
        self.over: list[int] = []
        self.threshold = near_threshold(target, cfg.near_limit)

    def add(self, df: pd.DataFrame, progress: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        counts = token_columns(df, self.template, self.counter, progress)
        work = df.assign(**{
            N_TOKENS: pd.array(counts.n_tokens, dtype="Int64"),
            N_TRAINED_TOKENS: pd.array(counts.n_trained, dtype="Int64"),
            RENDER_ERROR: pd.Series(counts.errors, index=df.index, dtype=object),
        })
        outcome = apply_rules(work, self.rules)
        kept = outcome.kept.drop(columns=[RENDER_ERROR])
        for c in [N_TOKENS, N_TRAINED_TOKENS, *(c for c in kept.columns if c.startswith(SCORE_PREFIX))]:
            if str(kept[c].dtype) == "Int64":
                kept[c] = kept[c].astype("int64")
        self.rows_in += len(df)
        for name, n in outcome.failed_by_rule.items():
            self.failed[name] += n
        for name, n in outcome.dropped_by_rule.items():
            self.dropped_counts[name] = self.dropped_counts.get(name, 0) + n
        kept_ids = set(kept[col.ORIGIN_ID])
        self.epoch += [e for oid, e in zip(df[col.ORIGIN_ID], counts.n_epoch) if oid in kept_ids]
        self.n_tokens += kept[N_TOKENS].tolist()
        self.n_trained += kept[N_TRAINED_TOKENS].tolist()
        self.near += [(o, n) for o, n in zip(kept[col.ORIGIN_ID], kept[N_TOKENS]) if n > self.threshold]
        self.over += [n for n in counts.n_tokens if n is not None and n > self.target.context_tokens]
        return kept, outcome.dropped

    @staticmethod
    def output_types(kept: pd.DataFrame) -> dict[str, pa.DataType]:
        """Arrow types of the kept table: the canonical ones, token counts and scores as numbers."""
        types = {**col.RECORD_TYPES, N_TRAINED_TOKENS: pa.int64()}
        for c in kept.columns:
            if c.startswith(SCORE_PREFIX):
                types[c] = pa.int64() if pd.api.types.is_integer_dtype(kept[c].dtype) else pa.float64()
        return types

    def report(self) -> dict[str, Any]:
        return {
            "rows_in": int(self.rows_in),
            "rows_out": len(self.n_tokens),
            "dropped_by_rule": dict(sorted(self.dropped_counts.items())),
            "failed_by_rule": self.failed,
            "rules": [r.describe() for r in self.rules],
            "tokens": token_report(self.n_tokens, self.n_trained, self.epoch, self.near, self.target,
                                   self.cfg.near_limit, sorted(self.over), self.counter.guarded),
        }


def apply_filter(df: pd.DataFrame, cfg: FilterConfig, target: TargetConfig,
                 progress: Callable[[int], None] | None = None) -> FilterResult:
    """Count tokens of the rendered examples, apply the configured rules, and report the budget."""
    run = FilterRun(cfg, target)
    kept, dropped = run.add(df, progress)
    return FilterResult(kept, dropped, run.report())


__all__ = [
    "N_TOKENS", "N_TRAINED_TOKENS", "REQUIRED_RULES", "SCORE_PREFIX", "STAGE", "ContextLimit", "FilterResult", "FilterRun",
    "FilterRule", "RuleOutcome", "TemplateRenders", "TrainedTokens", "apply_filter", "apply_rules", "build_rules",
    "describe_rules", "filter_rules", "percentile", "rule_context", "token_columns", "token_report",
]
