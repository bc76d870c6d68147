"""Normalize: canonical roles, repaired text, and the structural checks every example must pass.

Text repair is ftfy's mojibake fix, a Unicode normal form (NFC by default) and trimming of
surrounding whitespace. Each structural check is a named, versioned rule (modules ``structure``,
``content``, ``tools``, ``answers``, ``preference``); the first one an example fails, in the order
of :func:`structure_rules`, is the reason it is dropped, and every drop is counted by rule. The
report adds the dataset's consistency (system prompts, turn counts) and the preference pairs whose
swapped twin is also present.

:func:`normalize` handles one frame, the whole table or one batch of it: each row is judged alone.
The whole-dataset part of the report comes from :class:`NormalizeStats`, small counters that merge
(in row order), so a stage that runs :func:`normalize` batch by batch merges the batches' ``stats``
and gets the report one call on the whole table would give.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tuneset import ledger
from tuneset import schema as col
from tuneset.config import ConfigError, NormalizeConfig
from tuneset.frames import records_frame
from tuneset.normalize.answers import JsonAnswer
from tuneset.normalize.base import STAGE, StructureRule, facts
from tuneset.normalize.consistency import ConsistencyStats, consistency
from tuneset.normalize.content import DEFAULT_SPECIAL_TOKENS, ContentType, ControlCharacters, StraySpecialTokens
from tuneset.normalize.preference import DistinctResponses, SwappedPairs, swapped_pairs
from tuneset.normalize.structure import (
    FinalAssistantTurn,
    HasUserTurn,
    KnownRoles,
    NonEmptyContent,
    NonEmptyResponses,
    PromptEndsWithUser,
    RoleOrder,
    SystemPromptPolicy,
)
from tuneset.normalize.text import (
    ROLE_ALIASES,
    apply_system_policy,
    canonical_role,
    normalize_messages,
    repair_messages,
    repair_text,
)
from tuneset.normalize.tools import ToolCallArguments, ToolCallDeclared, ToolCallFormat, ToolCallIds, ToolsDeclaration
from tuneset.records import compute_example_id


def structure_rules(cfg: NormalizeConfig) -> list[StructureRule]:
    """The checks in the order they are applied; the first failure is the recorded reason."""
    policy = cfg.system_prompt if not cfg.system_prompt.startswith("inject:") else "keep"
    return [
        KnownRoles(), ContentType(), ControlCharacters(),
        StraySpecialTokens(tokens=DEFAULT_SPECIAL_TOKENS + tuple(t for t in cfg.extra_special_tokens
                                                                 if t not in DEFAULT_SPECIAL_TOKENS)),
        HasUserTurn(), RoleOrder(), FinalAssistantTurn(), PromptEndsWithUser(), NonEmptyResponses(), NonEmptyContent(),
        ToolsDeclaration(), ToolCallFormat(), ToolCallIds(), ToolCallDeclared(), ToolCallArguments(),
        JsonAnswer(schemas=dict(cfg.json_answers)), DistinctResponses(),
        SystemPromptPolicy(policy=policy),
    ]


@dataclass
class NormalizeStats:
    """What the report counts, mergeable across batches: memory grows with the distinct system
    prompts, turn counts and preference pairs, not with the rows. Merge batches in row order."""

    rows_in: int = 0
    rows_out: int = 0
    content_changed: int = 0
    dropped_by_rule: Counter[str] = field(default_factory=Counter)
    trimmed: Counter[str] = field(default_factory=Counter)  # kept examples a rule trimmed, by rule
    consistency: ConsistencyStats = field(default_factory=ConsistencyStats)
    preference: SwappedPairs = field(default_factory=SwappedPairs)

    def merge(self, other: NormalizeStats) -> NormalizeStats:
        """Add ``other`` (a later batch); returns self."""
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.content_changed += other.content_changed
        self.dropped_by_rule.update(other.dropped_by_rule)
        self.trimmed.update(other.trimmed)
        self.consistency.merge(other.consistency)
        self.preference.merge(other.preference)
        return self

    def report(self, cfg: NormalizeConfig) -> dict[str, Any]:
        """``reports/normalize.json``: rows, drops by rule, trims by rule (examples kept after a rule
        cut turns off them), the rules, consistency, swapped pairs."""
        return {
            "rows_in": int(self.rows_in),
            "rows_out": int(self.rows_out),
            "content_changed": int(self.content_changed),
            "dropped_by_rule": {str(k): int(self.dropped_by_rule[k]) for k in sorted(self.dropped_by_rule)},
            "trimmed": {str(k): int(self.trimmed[k]) for k in sorted(self.trimmed)},
            "rules": [r.describe() for r in structure_rules(cfg)],
            "consistency": self.consistency.report(system_policy=cfg.system_prompt),
            "preference": self.preference.report(),
        }


@dataclass
class NormalizeResult:
    examples: pd.DataFrame
    dropped: pd.DataFrame
    report: dict[str, Any]
    stats: NormalizeStats = field(default_factory=NormalizeStats)
    kept_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # into the input
    rewritten: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per kept row: content changed


def check_config(cfg: NormalizeConfig) -> None:
    """Raise ConfigError for settings only the rules can judge (the JSON Schemas of json_answers)."""
    why = JsonAnswer(schemas=dict(cfg.json_answers)).validate()
    if why:
        raise ConfigError(why)


def normalize(df: pd.DataFrame, cfg: NormalizeConfig, progress: Callable[[int], None] | None = None) -> NormalizeResult:
    """Repair text, canonicalize roles, and drop structurally invalid examples.

    ``example_id`` is recomputed for every example whose content normalize changed; an unchanged
    example keeps the id ingest computed from the same canonical content. An SFT example whose
    turns go on after its last assistant turn is trimmed to it first (:meth:`FinalAssistantTurn.trim`),
    kept and counted in ``trimmed``. Rules are tried in order and skip records that one pass over
    the record (:func:`facts`) proves they pass.
    """
    check_config(cfg)
    rules = structure_rules(cfg)
    # Rules whose fast path is the default (always needed) are called without asking.
    by_kind = {kind: [(r, None if type(r).needed is StructureRule.needed else r.needed, r.check)
                      for r in rules if kind in r.kinds] for kind in col.KINDS}
    all_rules = [(r, r.needed, r.check) for r in rules]
    n = len(df)
    column = {c: (df[c].tolist() if c in df.columns else [None] * n)
              for c in (col.KIND, col.MESSAGES, col.CHOSEN, col.REJECTED, col.TOOLS, col.SOURCE, col.EXAMPLE_ID)}
    out: dict[str, list[Any]] = {col.MESSAGES: [], col.CHOSEN: [], col.REJECTED: [], col.EXAMPLE_ID: []}
    keep = [True] * n
    rewritten: list[bool] = []
    dropped: list[dict[str, Any]] = []
    changed = 0
    trimmed: Counter[str] = Counter()
    trim_rule = next((r for r in rules if isinstance(r, FinalAssistantTurn)), None)
    for i in range(n):
        messages, c1 = repair_messages(column[col.MESSAGES][i], cfg)
        messages = messages or []
        cut = trim_rule.trim(messages) if trim_rule is not None and column[col.KIND][i] in trim_rule.kinds else None
        if cut is not None:
            messages, c1 = list(cut), True
        injected = apply_system_policy(messages, cfg)
        chosen, c2 = repair_messages(column[col.CHOSEN][i], cfg)
        rejected, c3 = repair_messages(column[col.REJECTED][i], cfg)
        view = {col.KIND: column[col.KIND][i], col.MESSAGES: injected, col.CHOSEN: chosen, col.REJECTED: rejected,
                col.TOOLS: column[col.TOOLS][i], col.SOURCE: column[col.SOURCE][i]}
        eid = column[col.EXAMPLE_ID][i]
        rewrite = bool(c1 or c2 or c3 or injected is not messages or not eid)
        if rewrite:
            new_eid = compute_example_id(view)
            changed += new_eid != eid
            eid = new_eid
        record_facts = facts(view)
        failure = None
        for rule, needed, check in by_kind.get(view[col.KIND], all_rules):
            if needed is None or needed(record_facts):
                why = check(view)
                if why:
                    failure = (rule, why)
                    break
        if failure:
            rule, why = failure
            keep[i] = False
            record = {**df.iloc[i].to_dict(), **view, col.EXAMPLE_ID: eid}
            dropped.append(ledger.dropped_row(record, stage=STAGE, rule=rule,
                                              reason=f"{record.get(col.SOURCE_FILE)} {record.get(col.LOCATOR)}: {why}"))
        else:
            out[col.MESSAGES].append(injected)
            out[col.CHOSEN].append(chosen)
            out[col.REJECTED].append(rejected)
            out[col.EXAMPLE_ID].append(eid)
            rewritten.append(rewrite)
            if cut is not None:  # counted when kept: a trimmed example a later rule drops is a drop
                trimmed[trim_rule.name] += 1  # type: ignore[union-attr]
        if progress and (i + 1) % 10000 == 0:
            progress(i + 1)
    kept = df[pd.Series(keep, index=df.index, dtype=bool)].reset_index(drop=True) if n else df.copy()
    kept = kept.assign(**{c: pd.Series(values, dtype=object) for c, values in out.items()})
    kept = records_frame(kept.to_dict("records"), columns=list(df.columns)) if kept.empty else kept[list(df.columns)]
    dropped_df = ledger.dropped_frame(dropped)
    stats = NormalizeStats(rows_in=n, rows_out=len(kept), content_changed=changed,
                           dropped_by_rule=Counter(ledger.rule_counts(dropped_df)), trimmed=trimmed,
                           consistency=ConsistencyStats().add(kept), preference=SwappedPairs().add(kept))
    return NormalizeResult(kept, dropped_df, stats.report(cfg), stats,
                           kept_positions=np.flatnonzero(np.array(keep, dtype=bool)),
                           rewritten=np.array(rewritten, dtype=bool))


def normalize_table(table: pa.Table, cfg: NormalizeConfig) -> tuple[pa.Table, pd.DataFrame, NormalizeStats]:
    """:func:`normalize` of an Arrow batch: (kept rows as Arrow, with the input's columns; drops;
    stats). What a worker process returns (:func:`tuneset.parallel.map_ordered`): Arrow crosses
    between processes as buffers, a frame of nested objects would cost as much to pickle as to judge."""
    from tuneset.frames import from_table

    result = normalize(from_table(table), cfg)
    return rewrite_table(table, result), result.dropped, result.stats


def rewrite_table(table: pa.Table, result: NormalizeResult) -> pa.Table:
    """The kept rows of ``table`` as normalize left them. Rows it did not rewrite are taken from
    ``table`` as they are; only the rewritten rows' content columns go through Python objects."""
    kept = table.take(pa.array(result.kept_positions, type=pa.int64()))
    rewritten = result.rewritten
    if not rewritten.any():
        return kept
    n_new = int(rewritten.sum())
    order = np.arange(len(rewritten), dtype=np.int64)
    order[rewritten] = len(rewritten) + np.arange(n_new, dtype=np.int64)
    changed = result.examples.loc[rewritten]
    for name in (col.MESSAGES, col.CHOSEN, col.REJECTED, col.EXAMPLE_ID):
        if name not in kept.column_names:
            continue
        i = kept.schema.get_field_index(name)
        field_ = kept.schema.field(i)
        new = pa.array(changed[name].tolist(), type=field_.type)
        both = pa.concat_arrays([kept.column(i).combine_chunks(), new]) if kept.num_rows else new
        kept = kept.set_column(i, field_, both.take(pa.array(order)))
    return kept


__all__ = [
    "ROLE_ALIASES", "STAGE", "ConsistencyStats", "NormalizeResult", "NormalizeStats", "StructureRule",
    "SwappedPairs", "canonical_role", "check_config", "consistency", "normalize", "normalize_messages", "normalize_table", "rewrite_table", "repair_text",
    "structure_rules", "swapped_pairs",
]
