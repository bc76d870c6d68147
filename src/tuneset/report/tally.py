"""Counts behind the data card and the plots: pure functions of the frames, in a fixed order.

Every function reads columns by their :mod:`tuneset.schema` names, tolerates a missing column or
an empty frame, treats NaN/NA like None (a frame built in memory may hold either), and returns
results in a deterministic order: splits and kinds in schema order then the rest sorted, stages in
pipeline order then the rest sorted, everything else sorted.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tuneset import schema as col

PIPELINE_STAGES = ("ingest", "normalize", "scrub", "filter", "dedup", "decontaminate", "split", "export")
HIST_TARGET_BINS = 20
HIST_CAP_QUANTILE = 0.99  # histograms' regular bins end about here; longer values share an overflow bin


_PLAIN = (str, int, list, dict, bool)


def clean(value: Any) -> Any:
    """``value`` with NaN/NA as None and NumPy scalars as Python ones; containers untouched."""
    if type(value) in _PLAIN:  # the common case, first: this runs once per cell
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item") and not isinstance(value, (list, dict, str, bytes)) and getattr(value, "ndim", 1) == 0:
        return clean(value.item())
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # a NumPy array from a foreign reader
        return value.tolist()
    return value


def column(df: pd.DataFrame | None, name: str) -> list[Any]:
    """The values of column ``name`` (all None when the column is absent), cleaned."""
    if df is None:
        return []
    if name not in df.columns:
        return [None] * len(df)
    return [clean(v) for v in df[name].tolist()]


def text_column(df: pd.DataFrame | None, name: str, missing: str = "") -> list[str]:
    return [missing if v is None else str(v) for v in column(df, name)]


def int_or_none(value: Any) -> int | None:
    value = clean(value)
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ordered(values: Iterable[Any], preferred: Sequence[str] = ()) -> tuple[str, ...]:
    """``preferred`` first (all of it), then the other distinct non-null values sorted."""
    rest = {str(v) for v in values if v is not None} - set(preferred)
    return tuple(preferred) + tuple(sorted(rest))


def present_first(values: Iterable[Any], preferred: Sequence[str]) -> tuple[str, ...]:
    """The distinct non-null values, ``preferred`` ones in their order first, then the rest sorted."""
    seen = {str(v) for v in values if v is not None}
    return tuple(p for p in preferred if p in seen) + tuple(sorted(seen - set(preferred)))


def parse_json(text: Any) -> dict[str, Any]:
    """A JSON object from ``text``; {} when it is empty, not JSON, or not an object."""
    if isinstance(text, Mapping):
        return dict(text)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def as_dict(value: Any) -> dict[str, Any]:
    """A labels map read from Parquet (dict) or from raw Arrow (list of pairs)."""
    value = clean(value)
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        try:
            return {str(k): v for k, v in value}
        except (TypeError, ValueError):
            return {}
    return {}


# --- splits, kinds, stages ---------------------------------------------------------------------

def split_order(manifest: pd.DataFrame) -> tuple[str, ...]:
    return ordered(column(manifest, col.SPLIT), col.SPLITS)


def kind_order(manifest: pd.DataFrame, *others: pd.DataFrame) -> tuple[str, ...]:
    values = column(manifest, col.KIND)
    for df in others:
        values += column(df, col.KIND)
    return ordered(values, col.KINDS)


def stage_order(stage_reports: Mapping[str, Any], dropped: pd.DataFrame) -> tuple[str, ...]:
    """Every pipeline stage, then any other stage named by a report or a dropped row, sorted."""
    return ordered(list(stage_reports) + column(dropped, col.STAGE), PIPELINE_STAGES)


def enabled_stages(stage_reports: Mapping[str, Any], dropped: pd.DataFrame) -> frozenset[str]:
    """Stages that ran: they wrote a report, or the ledger holds rows they dropped."""
    return frozenset(str(s) for s in stage_reports) | frozenset(str(s) for s in column(dropped, col.STAGE) if s)


def split_kind_counts(manifest: pd.DataFrame) -> Counter[tuple[str, str]]:
    return Counter(zip(text_column(manifest, col.SPLIT, "(none)"), text_column(manifest, col.KIND, "(none)")))


# --- drops -------------------------------------------------------------------------------------

def drop_counts(dropped: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Dropped units per (stage, rule), stages in pipeline order, rules sorted."""
    counts = Counter(zip(text_column(dropped, col.STAGE, "(none)"), text_column(dropped, col.RULE, "(none)")))
    stages = ordered((s for s, _ in counts), PIPELINE_STAGES)
    rank = {s: i for i, s in enumerate(stages)}
    return {k: counts[k] for k in sorted(counts, key=lambda k: (rank[k[0]], k[1]))}


def drop_samples(dropped: pd.DataFrame, per_rule: int = 3) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The first ``per_rule`` dropped rows of each (stage, rule) by origin_id, in :func:`drop_counts` order."""
    if dropped is None or dropped.empty:
        return {}
    stages = text_column(dropped, col.STAGE, "(none)")
    rules = text_column(dropped, col.RULE, "(none)")
    oids = text_column(dropped, col.ORIGIN_ID)
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in sorted(range(len(dropped)), key=lambda i: (oids[i], i)):
        key = (stages[i], rules[i])
        if len(by_key[key]) < per_rule:
            by_key[key].append(i)
    cols = [c for c in col.DROPPED_COLUMNS if c in dropped.columns]
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key in drop_counts(dropped):
        out[key] = [{c: clean(dropped[c].iat[i]) for c in cols} for i in by_key[key]]
    return out


# --- token lengths and turns -------------------------------------------------------------------

def nice_width(max_value: int, target_bins: int = HIST_TARGET_BINS) -> int:
    """The smallest 1/2/5 x 10^k bin width giving at most about ``target_bins`` bins up to ``max_value``."""
    if max_value <= 0:
        return 1
    raw = max_value / target_bins
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= raw:
                return m * magnitude
        magnitude *= 10


@dataclass(frozen=True)
class TokenHist:
    """Token-length histograms of every (split, kind) that has examples, on one shared set of bins.

    The regular bins run from 0 to about the 99th percentile of all lengths, so one huge outlier
    does not squash every example into the first bar; longer examples are counted in one last
    overflow bin that starts at ``overflow_at`` (None when no example is that long).
    """

    bin_width: int
    bins: dict[tuple[str, str], list[tuple[int, int]]]  # (split, kind) -> [(bin_start, count)] from 0 up
    values: dict[tuple[str, str], list[int]]  # sorted n_tokens per (split, kind)
    missing: int  # kept examples with no n_tokens
    overflow_at: int | None = None  # the overflow bin is the last of ``bins`` when set

    def label(self, start: int) -> str:
        """``0–49`` for a regular bin, ``≥ 1000`` for the overflow bin."""
        if self.overflow_at is not None and start >= self.overflow_at:
            return f"≥ {start:,}"
        return f"{start:,}" if self.bin_width == 1 else f"{start:,}–{start + self.bin_width - 1:,}"



def token_hist(manifest: pd.DataFrame) -> TokenHist:
    splits, kinds = split_order(manifest), kind_order(manifest)
    values: dict[tuple[str, str], list[int]] = defaultdict(list)
    missing = 0
    for s, k, n in zip(text_column(manifest, col.SPLIT, "(none)"), text_column(manifest, col.KIND, "(none)"),
                       column(manifest, col.N_TOKENS)):
        n_int = int_or_none(n)
        if n_int is None:
            missing += 1
        else:
            values[(s, k)].append(n_int)
    pooled = sorted(v for vs in values.values() for v in vs)
    top = quantile(pooled, HIST_CAP_QUANTILE) if pooled else 0
    width = nice_width(top)
    n_bins = top // width + 1
    edge = n_bins * width
    overflow_at = edge if pooled and pooled[-1] >= edge else None
    keys = [(s, k) for s in ordered([s for s, _ in values], splits) for k in ordered([k for _, k in values], kinds)
            if (s, k) in values]
    bins = {}
    for key in keys:
        counts = Counter(min(n // width, n_bins) for n in values[key])
        bins[key] = [(b * width, counts.get(b, 0)) for b in range(n_bins + (overflow_at is not None))]
    return TokenHist(width, bins, {k: sorted(values[k]) for k in keys}, missing, overflow_at)


def quantile(sorted_values: Sequence[int], q: float) -> int:
    """Nearest-rank quantile of an ascending, non-empty sequence (an actual value, never interpolated)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def turn_count(record_messages: Any, chosen: Any) -> int:
    """Conversation turns: non-system prompt messages plus the chosen continuation (preference)."""
    n = sum(1 for m in (record_messages or ()) if isinstance(m, Mapping) and m.get("role") != "system")
    return n + len(chosen or ())


def turn_counts(examples: pd.DataFrame) -> Counter[tuple[str, str, int]]:
    """Examples per (split, kind, turns)."""
    return Counter(zip(text_column(examples, col.SPLIT, "(none)"), text_column(examples, col.KIND, "(none)"),
                       (turn_count(m, c) for m, c in zip(column(examples, col.MESSAGES),
                                                         column(examples, col.CHOSEN)))))


# --- labels ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelStats:
    """Per label name: examples per (value, split), and examples lacking the label."""

    counts: dict[str, Counter[tuple[str, str]]]
    unlabeled: dict[str, int]
    total: int


def label_stats(examples: pd.DataFrame) -> LabelStats:
    counts: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    labels = [as_dict(v) for v in column(examples, col.LABELS)]
    splits = text_column(examples, col.SPLIT, "(none)")
    for lab, split in zip(labels, splits):
        for name, value in lab.items():
            counts[name][("" if value is None else str(value), split)] += 1
    names = sorted(counts)
    unlabeled = {n: sum(1 for lab in labels if n not in lab) for n in names}
    return LabelStats({n: counts[n] for n in names}, unlabeled, len(labels))


def value_totals(counter: Counter[tuple[str, str]]) -> list[tuple[str, int]]:
    """(value, examples) largest first, ties by value."""
    totals: Counter[str] = Counter()
    for (value, _), n in counter.items():
        totals[value] += n
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


# --- duplicate clusters --------------------------------------------------------------------------

@dataclass(frozen=True)
class Cluster:
    """A near-duplicate cluster: its representative, kept members and dropped duplicates (origin_ids)."""

    representative: str
    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    splits: tuple[str, ...]  # splits of the kept members
    rules: tuple[str, ...]  # rules that dropped the duplicates

    @property
    def size(self) -> int:
        return len(self.kept) + len(self.dropped)


def clusters(manifest: pd.DataFrame, dropped: pd.DataFrame) -> list[Cluster]:
    """Clusters with more than one member, largest first, ties by representative."""
    oids = text_column(manifest, col.ORIGIN_ID)
    cids = column(manifest, col.CLUSTER_ID)
    splits = text_column(manifest, col.SPLIT, "(none)")
    cluster_of: dict[str, str] = {}
    kept: dict[str, list[str]] = defaultdict(list)
    kept_splits: dict[str, set[str]] = defaultdict(set)
    for oid, cid, split in zip(oids, cids, splits):
        key = str(cid) if cid else oid
        cluster_of[oid] = key
        kept[key].append(oid)
        kept_splits[key].add(split)
    gone: dict[str, list[str]] = defaultdict(list)
    rules: dict[str, set[str]] = defaultdict(set)
    for oid, dup, rule in zip(text_column(dropped, col.ORIGIN_ID), column(dropped, col.DUPLICATE_OF),
                              text_column(dropped, col.RULE)):
        if dup:
            key = cluster_of.get(str(dup), str(dup))
            gone[key].append(oid)
            rules[key].add(rule)
    out = []
    for key in set(kept) | set(gone):
        c = Cluster(key, tuple(sorted(kept.get(key, ()))), tuple(sorted(gone.get(key, ()))),
                    ordered(kept_splits.get(key, ()), ()), tuple(sorted(rules.get(key, ()))))
        if c.size > 1:
            out.append(c)
    out.sort(key=lambda c: (-c.size, c.representative))
    return out

