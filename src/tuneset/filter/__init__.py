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

from collections.abc import Callable, Iterable, Iterator
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


@dataclass
class BatchVerdict:
    """One batch judged (:meth:`FilterRun.judge`): everything the run counts, and what the kept
    output is made of. Small beside the batch: the kept rows are ``kept_positions`` into it, and
    ``added`` holds only the columns the filter adds or replaces (and ``origin_id``)."""

    rows_in: int
    kept_positions: np.ndarray  # positions of the kept rows in the batch, ascending
    columns: list[str]  # the kept frame's columns, in order
    added: pd.DataFrame  # kept rows: n_tokens, n_trained_tokens, score__*, labels, origin_id
    dropped: pd.DataFrame  # ledger rows
    failed_by_rule: dict[str, int]
    dropped_by_rule: dict[str, int]
    scores: dict[str, tuple[np.ndarray, bool]]  # every row's score as floats, and whether it is integral
    kept_mask: np.ndarray
    epoch: list[int]  # tokens per epoch of the kept rows
    over: list[int]  # n_tokens above the context limit
    guarded: int  # texts the BPE guard chunked


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
        self.guarded = 0  # texts the BPE guard chunked, over the batches absorbed
        self.threshold = near_threshold(target, cfg.near_limit)
        self.scores: dict[str, list[np.ndarray]] = {r.name: [] for r in self.rules}
        self.integer_scores: dict[str, bool] = {r.name: True for r in self.rules}
        self.kept_flags: list[np.ndarray] = []
        self._epoch_of: dict[str, int] = {}  # origin_id -> tokens per epoch, while balancing

    @property
    def balancing(self) -> bool:
        return self.balance.enabled

    def add(self, df: pd.DataFrame, progress: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Filter one batch: its kept rows (with token counts, scores and labels) and its drops."""
        verdict, kept = self.judge(df, progress)
        self.absorb(verdict)
        return kept, verdict.dropped

    def judge(self, df: pd.DataFrame, progress: Callable[[int], None] | None = None) -> tuple[BatchVerdict, pd.DataFrame]:
        """Judge one batch without changing this run: a pure function of the batch and the config,
        so batches can be judged in any process (:meth:`judge_table`) and absorbed in order."""
        guarded = self.counter.guarded
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
        mask = (outcome.kept_mask.to_numpy(dtype=bool) if outcome.kept_mask is not None
                else np.ones(len(df), dtype=bool))
        scores = {}
        for name, s in outcome.scores.items():
            integer = pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
            scores[name] = (pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan), integer)
        limit = self.target.context_tokens
        added = [c for c in kept.columns if c not in df.columns or c in (N_TOKENS, col.LABELS)]
        verdict = BatchVerdict(
            rows_in=len(df), kept_positions=np.flatnonzero(mask), columns=list(kept.columns),
            added=kept[[*added, col.ORIGIN_ID] if col.ORIGIN_ID not in added else added].copy(),
            dropped=outcome.dropped, failed_by_rule=dict(outcome.failed_by_rule),
            dropped_by_rule=dict(outcome.dropped_by_rule), scores=scores, kept_mask=mask,
            epoch=[e for e, k in zip(counts.n_epoch, mask) if k],
            over=[n for n in counts.n_tokens if n is not None and n > limit],
            guarded=self.counter.guarded - guarded)
        return verdict, kept

    def judge_table(self, table: pa.Table) -> BatchVerdict:
        """:meth:`judge` of an Arrow batch, keeping only the verdict: what a worker process returns
        (:func:`tuneset.parallel.map_ordered`); :meth:`kept_table` rebuilds the kept rows from it."""
        from tuneset.frames import from_table

        return self.judge(from_table(table))[0]

    def filter_tables(self, tables: Iterable[pa.Table], workers: int = 1) -> Iterator[tuple[pa.Table, BatchVerdict]]:
        """Each Arrow batch's kept rows (:meth:`kept_table`) and verdict, in input order: batches are
        judged in ``workers`` processes (:func:`tuneset.parallel.map_ordered`) and absorbed here."""
        from tuneset import parallel

        for table, verdict in parallel.map_ordered(self.judge_table, tables, workers):
            self.absorb(verdict)
            yield self.kept_table(table, verdict), verdict

    def absorb(self, verdict: BatchVerdict) -> None:
        """Count a judged batch into this run (batches in input order)."""
        self.rows_in += verdict.rows_in
        self.guarded += verdict.guarded
        for name, n in verdict.failed_by_rule.items():
            self.failed[name] += n
        for name, n in verdict.dropped_by_rule.items():
            self.dropped_counts[name] = self.dropped_counts.get(name, 0) + n
        for name, (values, integer) in verdict.scores.items():
            self.integer_scores[name] = self.integer_scores[name] and integer
            self.scores[name].append(values)
        self.kept_flags.append(verdict.kept_mask)
        kept = verdict.added
        self.over += verdict.over
        if self.balancing:
            self.balance.add(kept)
            self._epoch_of.update(zip(kept[col.ORIGIN_ID], verdict.epoch))
        else:
            self._account(kept, verdict.epoch)

    def kept_table(self, table: pa.Table, verdict: BatchVerdict) -> pa.Table:
        """The kept rows of the Arrow batch ``verdict`` judged, with the columns the filter adds or
        replaces (token counts, scores, labels): the kept frame :meth:`add` returns, as Arrow. The
        untouched columns are taken from ``table`` as they are, with no round trip through Python."""
        from tuneset.frames import to_table

        types = self.output_types(verdict.added)
        added = to_table(verdict.added, types)
        taken = table.take(pa.array(verdict.kept_positions, type=pa.int64()))
        arrays = [added.column(c) if c in added.column_names else taken.column(c) for c in verdict.columns]
        schema = pa.schema([pa.field(c, types[c]) if c in types else taken.schema.field(c) for c in verdict.columns])
        return pa.Table.from_arrays([a.cast(f.type) for a, f in zip(arrays, schema)], schema=schema)

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
                                   self.cfg.near_limit, sorted(self.over), self.guarded),
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
    "BalancePlan", "BatchVerdict", "ContextLimit", "FilterResult", "FilterRule", "FilterRun", "Language", "License",
    "MaxAnswerTokens", "MaxPromptTokens", "Metadata", "MinAnswerTokens", "MinPromptTokens", "Refusal",
    "RepeatedLines", "RepeatedNgrams", "RestatesQuestion", "RuleOutcome", "TemplateLeftovers", "TemplateRenders",
    "TrainedTokens", "apply_filter", "apply_rules", "build_rules", "describe_rules", "filter_rules", "percentile",
    "rule_context", "score_stats", "token_columns", "token_report",
]
