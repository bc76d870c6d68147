"""Filter: declared rules decide which examples are kept; each score is kept beside the decision.

The stage first renders every example with the target's chat template and counts its tokens with
the target's tokenizer (``n_tokens``, ``n_trained_tokens``: see :mod:`tuneset.filter.budget`), then
runs the rules of ``filter.rules`` through the engine (:mod:`tuneset.filter.engine`). Rules are
registered by name; ``template_renders`` always runs first. The rule families, one module each:

- :mod:`~tuneset.filter.budget`: ``template_renders``, ``context_limit``, ``trained_tokens``;
- :mod:`~tuneset.filter.lengths`: ``min_answer_tokens``, ``max_answer_tokens``,
  ``min_prompt_tokens``, ``max_prompt_tokens``, ``answer_prompt_ratio``;
- :mod:`~tuneset.filter.repetition`: ``repeated_lines``, ``repeated_ngrams``;
- :mod:`~tuneset.filter.refusal`: ``refusal`` (drop, or keep and label);
- :mod:`~tuneset.filter.language`: ``language`` (CLD2, offline);
- :mod:`~tuneset.filter.metadata`: ``metadata`` (structured predicates over source fields);
- :mod:`~tuneset.filter.license`: ``license`` (allow/deny lists);
- :mod:`~tuneset.filter.leftovers`: ``template_leftovers``;
- :mod:`~tuneset.filter.restatement`: ``restates_question``;
- :mod:`~tuneset.filter.balance`: ``balance_cap`` (``filter.balance``, after the rules).

Kept examples then get their labels (:mod:`tuneset.coverage.labels`) written into ``labels``, and
are counted into the coverage matrix (``reports/coverage.json``, :mod:`tuneset.coverage.matrix`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tuneset import ledger
from tuneset import schema as col
from tuneset import tokens as tok
from tuneset.config import FilterConfig, TargetConfig
from tuneset.filter import text
from tuneset.filter.balance import BalanceCap, BalancePlan
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
from tuneset.filter.language import Language
from tuneset.filter.leftovers import TemplateLeftovers
from tuneset.filter.lengths import AnswerPromptRatio, MaxAnswerTokens, MaxPromptTokens, MinAnswerTokens, MinPromptTokens
from tuneset.filter.license import License
from tuneset.filter.metadata import Metadata
from tuneset.filter.refusal import Refusal
from tuneset.filter.repetition import RepeatedLines, RepeatedNgrams
from tuneset.filter.restatement import RestatesQuestion

REQUIRED_RULES = (TemplateRenders.name,)


@dataclass
class FilterResult:
    examples: pd.DataFrame
    dropped: pd.DataFrame
    report: dict[str, Any]
    coverage: dict[str, Any] = field(default_factory=dict)


def rule_context(target: TargetConfig) -> dict[str, Any]:
    return {"context_tokens": target.context_tokens, "tokenizer": target.tokenizer, "template": target.template}


def describe_rules() -> list[dict[str, Any]]:
    """Every filter rule with its parameters' defaults and its documentation."""
    return [cls().describe() for cls in filter_rules().values()]


def score_stats(values: np.ndarray, integer: bool) -> dict[str, Any]:
    """count, nulls, min, p5, p50, p95, max (nearest rank) and mean of one rule's scores."""
    present = np.sort(values[~np.isnan(values)])
    out: dict[str, Any] = {"count": int(present.size), "null": int(values.size - present.size)}
    if present.size:
        num = (lambda v: int(v)) if integer else (lambda v: round(float(v), 5))  # noqa: E731
        sorted_list = present.tolist()
        out.update({"min": num(present[0]), "p5": num(percentile(sorted_list, 5)),
                    "p50": num(percentile(sorted_list, 50)), "p95": num(percentile(sorted_list, 95)),
                    "max": num(present[-1]), "mean": round(float(present.mean()), 5)})
    return out


class FilterRun:
    """The filter over a dataset given batch by batch (bounded memory), reporting on the whole.

    ``add`` filters one batch and returns its kept and dropped rows; ``report`` summarizes every
    batch added so far, ``coverage_report`` counts the labels of the kept rows. The result does not
    depend on how the rows were batched.

    With ``filter.balance`` set (:attr:`balancing`), the caps need every kept row first: feed every
    batch to ``add``, call :meth:`decide_balance`, then pass the kept rows (in any batches) through
    :meth:`cap`, which returns the rows that stay and the ``balance_cap`` drops.
    """

    def __init__(self, cfg: FilterConfig, target: TargetConfig) -> None:
        from tuneset.coverage import CoverageTally, Taxonomy  # the coverage package reads filter texts

        self.cfg, self.target = cfg, target
        self.rules = build_rules(cfg.rules, rule_context(target), required=REQUIRED_RULES)
        self.counter = tok.TokenCounter(target.tokenizer)
        self.template = template_for(target, self.counter)
        self.needs = sorted({n for r in self.rules for n in r.requires()})
        # Counts of the plain texts use their own counter, so the BPE-guard count stays the template's.
        self.text_counter = tok.TokenCounter(target.tokenizer) if set(self.needs) & set(text.COUNTS) else None
        self.taxonomies = {name: Taxonomy(t) for name, t in cfg.labels.taxonomies.items()}
        self.coverage = CoverageTally()
        self.balance = BalancePlan(list(cfg.balance))
        self.rows_in = 0
        self.failed = {r.name: 0 for r in self.rules}
        self.dropped_counts: dict[str, int] = {}
        self.n_tokens: list[int] = []
        self.n_trained: list[int] = []
        self.epoch: list[int] = []
        self.near: list[tuple[str, int]] = []
        self.over: list[int] = []
        self.threshold = near_threshold(target, cfg.near_limit)
        self.scores: dict[str, list[np.ndarray]] = {r.name: [] for r in self.rules}
        self.integer_scores: dict[str, bool] = {r.name: True for r in self.rules}
        self.kept_flags: list[np.ndarray] = []
        self._epoch_of: dict[str, int] = {}  # origin_id -> tokens per epoch, while balancing

    @property
    def balancing(self) -> bool:
        return self.balance.enabled

    def add(self, df: pd.DataFrame, progress: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        counts = token_columns(df, self.template, self.counter, progress)
        work = df.assign(**{
            N_TOKENS: pd.array(counts.n_tokens, dtype="Int64"),
            N_TRAINED_TOKENS: pd.array(counts.n_trained, dtype="Int64"),
            RENDER_ERROR: pd.Series(counts.errors, index=df.index, dtype=object),
        })
        work = text.add_columns(work, self.needs, self.text_counter)
        outcome = apply_rules(work, self.rules)
        kept = text.drop_columns(outcome.kept.drop(columns=[RENDER_ERROR]))
        for c in [N_TOKENS, N_TRAINED_TOKENS, *(c for c in kept.columns if c.startswith(SCORE_PREFIX))]:
            if str(kept[c].dtype) == "Int64":
                kept[c] = kept[c].astype("int64")
        from tuneset.coverage import assign_labels

        kept = assign_labels(kept, self.cfg.labels, outcome.labels, self.taxonomies)
        self.rows_in += len(df)
        for name, n in outcome.failed_by_rule.items():
            self.failed[name] += n
        for name, n in outcome.dropped_by_rule.items():
            self.dropped_counts[name] = self.dropped_counts.get(name, 0) + n
        self._collect_scores(outcome)
        kept_ids = set(kept[col.ORIGIN_ID])
        epoch = [e for oid, e in zip(df[col.ORIGIN_ID], counts.n_epoch) if oid in kept_ids]
        self.over += [n for n in counts.n_tokens if n is not None and n > self.target.context_tokens]
        if self.balancing:
            self.balance.add(kept)
            self._epoch_of.update(zip(kept[col.ORIGIN_ID], epoch))
        else:
            self._account(kept, epoch)
        return kept, outcome.dropped

    def decide_balance(self) -> None:
        """Choose the rows the balance caps drop, once every batch has been added."""
        self.balance.decide()

    def cap(self, kept: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rows of ``kept`` (rows ``add`` kept) that stay after the balance caps, and the capped ones."""
        stay, dropped = self.balance.apply(kept)
        for name, n in ledger.rule_counts(dropped).items():
            self.dropped_counts[name] = self.dropped_counts.get(name, 0) + n
        self._account(stay, [self._epoch_of.pop(o) for o in stay[col.ORIGIN_ID]])
        for o in dropped[col.ORIGIN_ID]:
            self._epoch_of.pop(o, None)
        return stay, dropped

    def _account(self, kept: pd.DataFrame, epoch: list[int]) -> None:
        """Count rows that are final: token statistics and coverage."""
        self.epoch += epoch
        self.n_tokens += kept[N_TOKENS].tolist()
        self.n_trained += kept[N_TRAINED_TOKENS].tolist()
        self.near += [(o, n) for o, n in zip(kept[col.ORIGIN_ID], kept[N_TOKENS]) if n > self.threshold]
        self.coverage.add(kept)

    def _collect_scores(self, outcome: RuleOutcome) -> None:
        for name, s in outcome.scores.items():
            if not (pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
                self.integer_scores[name] = False
            self.scores[name].append(pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
        if outcome.kept_mask is not None:
            self.kept_flags.append(outcome.kept_mask.to_numpy(dtype=bool))

    def score_distributions(self) -> dict[str, Any]:
        """Per rule, its scores over every example in (``before``) and over the examples the rules
        kept (``after``)."""
        kept = np.concatenate(self.kept_flags) if self.kept_flags else np.zeros(0, dtype=bool)
        out = {}
        for name, parts in self.scores.items():
            values = np.concatenate(parts) if parts else np.zeros(0)
            integer = self.integer_scores[name]
            out[name] = {"before": score_stats(values, integer), "after": score_stats(values[kept], integer)}
        return out

    @staticmethod
    def output_types(kept: pd.DataFrame) -> dict[str, pa.DataType]:
        """Arrow types of the kept table: the canonical ones, token counts and scores as numbers."""
        types = {**col.RECORD_TYPES, N_TRAINED_TOKENS: pa.int64()}
        for c in kept.columns:
            if c.startswith(SCORE_PREFIX):
                types[c] = pa.int64() if pd.api.types.is_integer_dtype(kept[c].dtype) else pa.float64()
        return types

    def report(self) -> dict[str, Any]:
        out = {
            "rows_in": int(self.rows_in),
            "rows_out": len(self.n_tokens),
            "dropped_by_rule": dict(sorted(self.dropped_counts.items())),
            "failed_by_rule": self.failed,
            "rules": [r.describe() for r in self.rules],
            "score_distributions": self.score_distributions(),
            "tokens": token_report(self.n_tokens, self.n_trained, self.epoch, self.near, self.target,
                                   self.cfg.near_limit, sorted(self.over), self.counter.guarded),
        }
        if self.balancing:
            out["balance"] = self.balance.report
        return out

    def coverage_report(self) -> dict[str, Any]:
        """``reports/coverage.json``: the kept examples by label and label pair, targets and gaps."""
        return self.coverage.report(self.cfg.coverage)


def apply_filter(df: pd.DataFrame, cfg: FilterConfig, target: TargetConfig,
                 progress: Callable[[int], None] | None = None) -> FilterResult:
    """Count tokens of the rendered examples, apply the configured rules and balance caps, label
    the kept examples, and report the budget and the coverage."""
    run = FilterRun(cfg, target)
    kept, dropped = run.add(df, progress)
    if run.balancing:
        run.decide_balance()
        kept, capped = run.cap(kept)
        dropped = ledger.concat_dropped([dropped, capped])
    return FilterResult(kept, dropped, run.report(), run.coverage_report())


__all__ = [
    "N_TOKENS", "N_TRAINED_TOKENS", "REQUIRED_RULES", "SCORE_PREFIX", "STAGE", "AnswerPromptRatio", "BalanceCap",
    "BalancePlan", "ContextLimit", "FilterResult", "FilterRule", "FilterRun", "Language", "License",
    "MaxAnswerTokens", "MaxPromptTokens", "Metadata", "MinAnswerTokens", "MinPromptTokens", "Refusal",
    "RepeatedLines", "RepeatedNgrams", "RestatesQuestion", "RuleOutcome", "TemplateLeftovers", "TemplateRenders",
    "TrainedTokens", "apply_filter", "apply_rules", "build_rules", "describe_rules", "filter_rules", "percentile",
    "rule_context", "score_stats", "token_columns", "token_report",
]
