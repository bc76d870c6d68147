"""Split: a deterministic train/val/test assignment from a salted hash of the group key.

The assignment of a group is a pure function of (group key, salt, ratios): the same group lands in
the same split on every machine and every run, whatever the row order, and adding rows never moves
an existing group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.config import SplitConfig

STAGE = "split"

# What the assignment reads; the stage passes only these, never the message content.
KEY_COLUMNS = (col.ORIGIN_ID, col.EXAMPLE_ID, col.KIND, col.GROUP_ID, col.CLUSTER_ID)


def split_of(group_key: str, salt: str, ratios: Mapping[str, float]) -> str:
    """The split of one group: its hash fraction falls into the train, val or test interval."""
    u = hashing.fraction(group_key, salt)
    edge = 0.0
    for name in col.SPLITS:
        edge += ratios[name]
        if u < edge:
            return name
    # Float rounding can leave [sum, 1) uncovered; that sliver belongs to the last non-empty split.
    return next(name for name in reversed(col.SPLITS) if ratios[name] > 0)


@dataclass
class SplitResult:
    examples: pd.DataFrame
    report: dict[str, Any]
    dropped: list[dict[str, Any]]


def assign_splits(df: pd.DataFrame, cfg: SplitConfig) -> SplitResult:
    """Add ``split`` (and ``cluster_id`` when no dedup stage set it) to every example."""
    out = df.copy()
    if col.CLUSTER_ID not in out.columns:
        out[col.CLUSTER_ID] = out[col.ORIGIN_ID]
    cache: dict[str, str] = {}

    def lookup(group: str) -> str:
        if group not in cache:
            cache[group] = split_of(group, cfg.salt, cfg.ratios)
        return cache[group]

    out[col.SPLIT] = [lookup(g) for g in out[col.GROUP_ID]] if len(out) else pd.Series([], dtype=object)
    counts = {s: int((out[col.SPLIT] == s).sum()) for s in col.SPLITS}
    groups = {s: int(out.loc[out[col.SPLIT] == s, col.GROUP_ID].nunique()) for s in col.SPLITS}
    by_kind = {k: {s: int(((out[col.KIND] == k) & (out[col.SPLIT] == s)).sum()) for s in col.SPLITS}
               for k in col.KINDS}
    total = max(len(out), 1)
    report = {
        "rows_in": int(len(df)),
        "rows_out": int(len(out)),
        "dropped_by_rule": {},
        "salt_fingerprint": hashing.sha256_text(cfg.salt)[:16],
        "ratios": dict(cfg.ratios),
        "counts": counts,
        "shares": {s: round(counts[s] / total, 4) for s in col.SPLITS},
        "groups": groups,
        "by_kind": by_kind,
        "largest_group": int(out[col.GROUP_ID].value_counts().max()) if len(out) else 0,
    }
    return SplitResult(out, report, [])
