"""Balance: an optional cap on the examples of each value of a label (``filter.balance``).

A cap needs the whole dataset (how many examples a value has), so it runs after the rules, over
every kept example: :class:`BalancePlan` collects the label values of the kept rows batch by batch,
decides once, then drops the capped rows batch by batch (rule ``balance_cap``). Which examples of
an over-full value stay is decided by hash order (sha256 of the cap's salt and the ``origin_id``),
never by chance or input order: the same data and config cap the same rows, and adding data
moves the cut only as far as the new counts require.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from tuneset import hashing, ledger
from tuneset import schema as col
from tuneset.config import BalanceCapConfig
from tuneset.filter.engine import STAGE
from tuneset.rules import Rule, register


@register
@dataclass(frozen=True)
class BalanceCap(Rule):
    """At most ``max_count`` examples, and at most ``max_share`` of the kept examples, per value of
    ``label`` (only ``values`` when listed). Over-full values keep the examples first in hash order
    (sha256 of ``salt`` and ``origin_id``); the rest are dropped. Examples without the label are
    never capped. Configured under ``filter.balance``, applied after the rules, in order.
    Score of a dropped row: its rank in hash order (0-based); threshold: the cap."""

    name: ClassVar[str] = "balance_cap"
    stage: ClassVar[str] = STAGE
    label: str = field(default="", metadata={"help": "the label whose values are capped"})
    max_share: float = field(default=0.0, metadata={"help": "most examples per value as a share of the kept ones (0: none)"})
    max_count: int = field(default=0, metadata={"help": "most examples per value (0: none)"})
    values: list[str] = field(default_factory=list, metadata={"help": "values capped (empty: every value)"})
    salt: str = field(default="tuneset", metadata={"help": "salt of the hash order"})

    def limit(self, total: int) -> int:
        """The cap for a dataset of ``total`` kept examples."""
        caps = [self.max_count] if self.max_count > 0 else []
        if self.max_share > 0:
            caps.append(math.floor(self.max_share * total))
        return min(caps) if caps else total

    @classmethod
    def from_config(cls, cfg: BalanceCapConfig) -> BalanceCap:
        return cls(**dataclasses.asdict(cfg))


@dataclass
class _Cut:
    rule: BalanceCap
    value: str
    count: int
    limit: int
    rank: int


class BalancePlan:
    """The caps of ``filter.balance`` over a dataset given batch by batch."""

    def __init__(self, caps: list[BalanceCapConfig]) -> None:
        self.rules = [BalanceCap.from_config(c) for c in caps]
        self.names = sorted({r.label for r in self.rules})
        self.rows: list[tuple[str, tuple[str | None, ...]]] = []  # (origin_id, value of each capped label)
        self.cut: dict[str, _Cut] | None = None
        self.report: dict[str, Any] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.rules)

    def add(self, kept: pd.DataFrame) -> None:
        """Remember the capped labels of kept rows (before :meth:`decide`)."""
        if not self.enabled:
            return
        labels = kept[col.LABELS].tolist()
        for oid, m in zip(kept[col.ORIGIN_ID].tolist(), labels):
            m = m or {}
            self.rows.append((oid, tuple(m.get(n) for n in self.names)))

    def decide(self) -> None:
        """Choose the capped rows, cap after cap, over everything added."""
        total = len(self.rows)
        cut: dict[str, _Cut] = {}
        summary = []
        for rule in self.rules:
            k = self.names.index(rule.label)
            limit = rule.limit(total)
            by_value: dict[str, list[str]] = {}
            for oid, values in self.rows:
                v = values[k]
                if v is not None and oid not in cut and (not rule.values or v in rule.values):
                    by_value.setdefault(v, []).append(oid)
            capped = {}
            for v in sorted(by_value):
                oids = by_value[v]
                if len(oids) <= limit:
                    continue
                order = sorted(oids, key=lambda o: (hashing.fraction(o, rule.salt), o))
                for rank, oid in enumerate(order[limit:], start=limit):
                    cut[oid] = _Cut(rule, v, len(oids), limit, rank)
                capped[v] = {"count": len(oids), "kept": limit, "dropped": len(oids) - limit}
            summary.append({"label": rule.label, "max_share": rule.max_share, "max_count": rule.max_count,
                            "limit": limit, "fingerprint": rule.fingerprint(), "capped": capped})
        self.cut = cut
        self.report = {"rows_in": total, "dropped": len(cut), "caps": summary}

    def apply(self, kept: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(rows that stay, dropped rows) of a batch of kept rows, after :meth:`decide`."""
        if self.cut is None:
            raise RuntimeError("BalancePlan.apply before decide")
        if not self.cut or kept.empty:
            return kept, ledger.dropped_frame([])
        mask = kept[col.ORIGIN_ID].isin(self.cut.keys())
        rows = []
        for rec in kept[mask].to_dict("records"):
            c = self.cut[rec[col.ORIGIN_ID]]
            rows.append(ledger.dropped_row(
                rec, stage=STAGE, rule=c.rule,
                details={"label": c.rule.label, "value": c.value, "count": c.count, "score": c.rank,
                         "threshold": {"max_count": c.limit}, "params": c.rule.params()},
                reason=(f"{rec.get(col.SOURCE_FILE)} {rec.get(col.LOCATOR)}: label {c.rule.label}={c.value[:60]!r} has "
                        f"{c.count:,} examples, capped at {c.limit:,}; this one is number {c.rank + 1:,} in hash order")))
        return kept[~mask].reset_index(drop=True), ledger.dropped_frame(rows)
