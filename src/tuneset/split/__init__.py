"""Split: leak-free train/val/test assignment that never reshuffles.

Groups are the connected components of ``group_id``, the near-duplicate ``cluster_id`` and the
prompt links (:mod:`~tuneset.split.groups`, :mod:`~tuneset.split.links`). A new group's split is
a pure function of (its smallest ``group_id``, salt, ratios); existing examples keep the split of
the last committed dataset version (:mod:`~tuneset.split.history`); a new row that would join
groups already in different splits is dropped under ``split_bridge``; changed ratios move only the
minimum; stratification by a label deals new groups so each label value fills its share
(:mod:`~tuneset.split.assign` documents each rule). :mod:`~tuneset.split.leakage` then checks the
result: no group and no exact or near duplicate across splits, and no user message of one split
held whole by an example of another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tuneset import hashing, ledger
from tuneset import schema as col
from tuneset.config import SplitConfig
from tuneset.rules import Rule, register
from tuneset.split.assign import Plan, plan, split_of
from tuneset.split.history import History, read_history
from tuneset.split.links import CONTAINS, prompt_links

__all__ = ["KEY_COLUMNS", "STAGE", "History", "SplitBridge", "SplitResult", "assign_splits", "bridge_rows",
           "prompt_links", "read_history", "split_of"]

STAGE = "split"

# What the assignment reads; the stage passes only these, never the message content.
KEY_COLUMNS = (col.ORIGIN_ID, col.EXAMPLE_ID, col.KIND, col.GROUP_ID, col.CLUSTER_ID, col.SOURCE, col.SOURCE_FILE,
               col.LOCATOR, col.ORIGIN, col.LABELS)

MAX_LABEL_VALUES = 50  # labels with more distinct values are not broken down per split in the report


@register
@dataclass(frozen=True)
class SplitBridge(Rule):
    """Drop a new example whose ``group_id``, ``cluster_id`` or prompt links lead to groups that the
    last committed dataset version put in different splits. Keeping it would either leak (its group
    would straddle two splits) or move existing examples; dropping it does neither."""

    name: ClassVar[str] = "split_bridge"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = STAGE


@dataclass
class SplitResult:
    examples: pd.DataFrame  # kept rows, input order, with split (and cluster_id)
    report: dict[str, Any]  # reports/split.json: a function of the output alone, so reruns are byte-identical
    dropped: pd.DataFrame  # the dropped table (split_bridge)
    keep: np.ndarray  # bool per input row
    plan: Plan
    history: dict[str, Any]  # how the history was used: depends on what HEAD held, so not a metric


def _history_use(cfg: SplitConfig, history: History | None) -> tuple[bool, str]:
    if not cfg.history:
        return False, "off (split.history: false): every group is placed by its hash"
    if history is None:
        return False, "none given"
    if not history.available:
        return False, history.status
    old_salt = history.params.get("salt")
    if old_salt is not None and old_salt != cfg.salt:
        return False, f"ignored: split.salt changed since {history.status.split(' at ')[-1]}, which reshuffles everything"
    return True, history.status


def _percentile(values: np.ndarray, p: float) -> int:
    if not len(values):
        return 0
    v = np.sort(values)
    return int(v[max(0, min(len(v) - 1, int(np.ceil(p / 100 * len(v))) - 1))])


def _group_stats(p: Plan) -> dict[str, Any]:
    sizes = p.groups.size
    buckets = Counter()
    for s in sizes.tolist():
        buckets["1" if s == 1 else "2" if s == 2 else "3-5" if s <= 5 else "6-10" if s <= 10 else "11-100" if s <= 100 else "101+"] += 1
    per_split = Counter(p.group_split)
    return {
        "groups": int(len(sizes)),
        "by_split": {s: int(per_split.get(s, 0)) for s in col.SPLITS},
        "rows_per_group": {"mean": round(float(sizes.mean()), 3) if len(sizes) else 0.0,
                           "p50": _percentile(sizes, 50), "p90": _percentile(sizes, 90),
                           "p99": _percentile(sizes, 99), "max": int(sizes.max()) if len(sizes) else 0},
        "histogram": {k: int(buckets.get(k, 0)) for k in ("1", "2", "3-5", "6-10", "11-100", "101+")},
        "merged": {"groups_joining_several_group_ids": int((p.groups.members > 1).sum()),
                   "group_ids_merged": int((p.groups.members[p.groups.members > 1]).sum())},
    }


def _label_report(labels: Sequence[Mapping[str, str] | None], splits: Sequence[str], tolerance: float,
                  only: str | None) -> dict[str, Any]:
    names = sorted({k for m in labels if m for k in m}) if only is None else [only]
    out: dict[str, Any] = {}
    totals = Counter(splits)
    for name in names:
        values = [(m or {}).get(name) or "(none)" for m in labels]
        distinct = set(values)
        if only is None and len(distinct) > MAX_LABEL_VALUES:
            out[name] = {"values": len(distinct), "note": f"more than {MAX_LABEL_VALUES} values: not broken down"}
            continue
        whole = Counter(values)
        per = {s: Counter(v for v, sp in zip(values, splits) if sp == s) for s in col.SPLITS}
        gap = 0.0
        rows = {}
        for v in sorted(distinct):
            share = whole[v] / max(len(values), 1)
            by = {s: round(per[s][v] / totals[s], 4) if totals[s] else None for s in col.SPLITS}
            gap = max([gap] + [abs(x - share) for x in by.values() if x is not None])
            rows[v] = {"rows": whole[v], "share": round(share, 4), "by_split": by,
                       "count_by_split": {s: per[s][v] for s in col.SPLITS}}
        out[name] = {"values": rows, "max_gap": round(gap, 4), "within_tolerance": gap <= tolerance + 1e-12}
    return out


def assign_splits(df: pd.DataFrame, cfg: SplitConfig, history: History | None = None,
                  links: pd.DataFrame | None = None) -> SplitResult:
    """Add ``split`` (and ``cluster_id`` when no dedup stage set it) to every example; drop bridges.

    ``history`` holds the last committed assignments (:func:`read_history`); without it, every
    group is placed by its hash (or dealt per label value when stratifying). ``links``
    (``origin_id``, ``contains``) joins examples into one group (:func:`~tuneset.split.links.prompt_links`;
    used when ``split.link_prompts``).
    """
    n = len(df)
    out = df.copy()
    if col.CLUSTER_ID not in out.columns:
        out[col.CLUSTER_ID] = out[col.ORIGIN_ID]
    oid = [str(x) for x in out[col.ORIGIN_ID].tolist()]
    gid = [str(x) for x in out[col.GROUP_ID].tolist()]
    cid = [o if x is None or x != x else str(x) for x, o in zip(out[col.CLUSTER_ID].tolist(), oid)]  # x != x: NaN
    out[col.CLUSTER_ID] = pd.Series(cid, index=out.index, dtype=object)
    used, status = _history_use(cfg, history)
    if used:
        assert history is not None and history.assignments is not None
        known = dict(zip(history.assignments[col.ORIGIN_ID].tolist(), history.assignments[col.SPLIT].tolist()))
        prev: list[str | None] = [known.get(o) for o in oid]
        prev_ratios = history.params.get("ratios") if isinstance(history.params.get("ratios"), Mapping) else None
    else:
        prev, prev_ratios = [None] * n, None
    label_maps = out[col.LABELS].tolist() if col.LABELS in out.columns else [None] * n
    strat = [(m or {}).get(cfg.stratify_by) for m in label_maps] if cfg.stratify_by else None
    row_links = None
    if links is not None and len(links) and cfg.link_prompts:
        needed = set(links[col.ORIGIN_ID].tolist()) | set(links[CONTAINS].tolist())
        position = {o: i for i, o in enumerate(oid) if o in needed}
        pairs = [(position[a], position[b]) for a, b in zip(links[col.ORIGIN_ID].tolist(), links[CONTAINS].tolist())
                 if a in position and b in position]
        row_links = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    p = plan(oid, gid, cid, prev, salt=cfg.salt, ratios=cfg.ratios, previous_ratios=prev_ratios, labels=strat,
             links=row_links)
    keep = np.asarray([s is not None for s in p.split], dtype=bool)
    out[col.SPLIT] = pd.Series(p.split, index=out.index, dtype=object)
    examples = out.loc[keep].reset_index(drop=True)
    dropped = bridge_rows(df.loc[~keep], p, np.flatnonzero(~keep).tolist())
    report = _report(df, examples, cfg, p, label_maps, keep)
    report["prompt_links"] = {"pairs": 0 if links is None else int(len(links)), "grouped": row_links is not None,
                              "pairs_used": 0 if row_links is None else int(len(row_links))}
    n_new = int(keep.sum()) - p.existing
    history_info = {"used": used, "status": status, "rev": cfg.history_rev, "existing_rows": p.existing,
                    "new_rows": n_new, "kept_in_place": p.existing - sum(p.moved.values()),
                    "moved": {"regrouped": int(p.moved.get("regrouped", 0)), "ratios": int(p.moved.get("ratios", 0))},
                    "bridges_dropped": len(p.bridges)}
    return SplitResult(examples, report, dropped, keep, p, history_info)


def bridge_rows(records: pd.DataFrame, p: Plan, rows: Sequence[int]) -> pd.DataFrame:
    """The dropped table of the bridge rows: ``records`` holds their full rows (in ``rows`` order)."""
    out = []
    rule = SplitBridge()
    for r, rec in zip(rows, records.to_dict("records")):
        d = p.bridges[int(r)]
        ways = "; ".join(f"its {via} leads to a group in {s}" for s, via in d["splits"].items())  # type: ignore[union-attr]
        reason = (f"{rec.get(col.SOURCE_FILE)} {rec.get(col.LOCATOR)}: new example joining groups the last version "
                  f"put in different splits ({ways}); dropped rather than moving either or letting a group straddle")
        out.append(ledger.dropped_row(rec, stage=STAGE, rule=rule, reason=reason, details=dict(d)))
    return ledger.dropped_frame(out)


def _report(df: pd.DataFrame, examples: pd.DataFrame, cfg: SplitConfig, p: Plan, label_maps: list,
            keep: np.ndarray) -> dict[str, Any]:
    splits = examples[col.SPLIT].tolist()
    counts = Counter(splits)
    total = max(len(examples), 1)
    shares = {s: round(counts.get(s, 0) / total, 4) for s in col.SPLITS}
    kinds = examples[col.KIND].tolist() if len(examples) else []
    by_kind = {k: {s: sum(1 for kk, sp in zip(kinds, splits) if kk == k and sp == s) for s in col.SPLITS}
               for k in col.KINDS}
    kept_labels = [m for m, k in zip(label_maps, keep.tolist()) if k]
    report: dict[str, Any] = {
        "rows_in": int(len(df)),
        "rows_out": int(len(examples)),
        "dropped_by_rule": {SplitBridge.name: len(p.bridges)} if p.bridges else {},
        "salt_fingerprint": hashing.sha256_text(cfg.salt)[:16],
        "ratios": dict(cfg.ratios),
        "counts": {s: int(counts.get(s, 0)) for s in col.SPLITS},
        "shares": shares,
        "ratio_tolerance": cfg.ratio_tolerance,
        "within_tolerance": all(abs(shares[s] - cfg.ratios[s]) <= cfg.ratio_tolerance + 1e-12 for s in col.SPLITS)
        if len(examples) else True,
        "groups": _group_stats(p)["by_split"],
        "group_sizes": _group_stats(p),
        "largest_group": int(p.groups.size.max()) if len(p.groups) else 0,
        "by_kind": by_kind,
        "labels": _label_report(kept_labels, splits, cfg.stratify_tolerance, cfg.stratify_by or None),
        "stratify": {"by": cfg.stratify_by or None, "tolerance": cfg.stratify_tolerance},
    }
    if cfg.stratify_by:
        report["stratify"]["within_tolerance"] = report["labels"][cfg.stratify_by]["within_tolerance"]
    return report
