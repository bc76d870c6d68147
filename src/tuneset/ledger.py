"""The ledger: dropped and quarantined units, and the balance of the books.

Every stage that removes a unit records it here with the stage, the rule (name and fingerprint), a
human reason, JSON details, and a scrubbed preview. ``lineage`` checks the conservation invariant of
DESIGN.md: raw units == quarantined + dropped + kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.preview import make_preview
from tuneset.rules import Rule


def record_text(record: Mapping[str, Any]) -> str:
    """All message text of a record, in order, as one string (for previews and searches)."""
    parts: list[str] = []
    for key in (col.MESSAGES, col.CHOSEN, col.REJECTED):
        for m in record.get(key) or ():
            content = m.get("content")
            if content:
                parts.append(f"{m.get('role')}: {content}")
    return "\n".join(parts)


def dropped_row(
    record: Mapping[str, Any],
    *,
    stage: str,
    rule: Rule,
    reason: str,
    details: Mapping[str, Any] | None = None,
    duplicate_of: str | None = None,
    preview_text: str | bytes | None = None,
) -> dict[str, Any]:
    """One dropped-table row for ``record`` (a canonical record, or the provenance of a unit)."""
    body = {"rule_version": rule.version, **(details or {})}
    text = preview_text if preview_text is not None else record_text(record)
    return {
        col.ORIGIN_ID: record.get(col.ORIGIN_ID),
        col.EXAMPLE_ID: record.get(col.EXAMPLE_ID),
        col.KIND: record.get(col.KIND),
        col.SOURCE: record.get(col.SOURCE),
        col.SOURCE_FILE: record.get(col.SOURCE_FILE),
        col.LOCATOR: record.get(col.LOCATOR),
        col.ORIGIN: record.get(col.ORIGIN),
        col.GROUP_ID: record.get(col.GROUP_ID),
        col.STAGE: stage,
        col.RULE: rule.name,
        col.RULE_FINGERPRINT: rule.fingerprint(),
        col.REASON: make_preview(reason, limit=500),
        col.DUPLICATE_OF: duplicate_of,
        col.DETAILS: hashing.canonical_json(body),
        col.PREVIEW: make_preview(text),
    }


def dropped_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The dropped table, sorted by (source_file, locator, origin_id) so its bytes are stable."""
    df = pd.DataFrame.from_records(list(rows), columns=list(col.DROPPED_COLUMNS)) if rows else \
        pd.DataFrame({c: pd.Series([], dtype=object) for c in col.DROPPED_COLUMNS})
    df = df.astype(object).where(df.notna(), None)
    return sort_units(df)


def sort_units(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in file order: by source_file, then the numeric parts of the locator, then origin_id."""
    if df.empty:
        return df.reset_index(drop=True)
    files = [str(f or "") for f in df[col.SOURCE_FILE].tolist()]
    locators = [_locator_key(loc) for loc in df[col.LOCATOR].tolist()]
    ids = [str(i or "") for i in df[col.ORIGIN_ID].tolist()]
    order = sorted(range(len(df)), key=lambda i: (files[i], locators[i], ids[i]))
    return df.iloc[order].reset_index(drop=True)


def _locator_key(locator: Any) -> tuple:
    # Digit runs compare as numbers, so line 9 sorts before line 10 and thread-2 before thread-10.
    parts = re.split(r"(\d+)", str(locator or ""))
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def concat_dropped(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return dropped_frame([])
    return sort_units(pd.concat(frames, ignore_index=True)[list(col.DROPPED_COLUMNS)])


def rule_counts(dropped: pd.DataFrame) -> dict[str, int]:
    """Dropped units per rule name, sorted by name."""
    if dropped.empty:
        return {}
    counts = dropped[col.RULE].value_counts()
    return {str(k): int(counts[k]) for k in sorted(counts.index)}


def lineage(raw_ids: Sequence[str], kept: pd.DataFrame, dropped: pd.DataFrame) -> dict[str, Any]:
    """The balance of the books (DESIGN.md ``reports/lineage.json``).

    ``raw_ids`` are the origin_ids of every unit ingest read; ``kept`` has origin_id and split;
    ``dropped`` is the consolidated dropped table. Balanced means every raw unit is kept once or
    dropped once, never both, and nothing unknown appears.
    """
    raw, kept_ids, dropped_ids = set(raw_ids), kept[col.ORIGIN_ID].tolist(), dropped[col.ORIGIN_ID].tolist()
    kept_set, dropped_set = set(kept_ids), set(dropped_ids)
    stages = dropped[col.STAGE].tolist()
    quarantined = sum(1 for s in stages if s == "ingest")
    by_stage = {s: stages.count(s) for s in sorted(set(stages))}
    by_split = {s: int((kept[col.SPLIT] == s).sum()) if len(kept) else 0 for s in col.SPLITS}
    breaches = {
        "raw_ids_repeated": len(raw_ids) - len(raw),
        "kept_twice": len(kept_ids) - len(kept_set),
        "dropped_twice": len(dropped_ids) - len(dropped_set),
        "kept_and_dropped": len(kept_set & dropped_set),
        "lost": len(raw - kept_set - dropped_set),
        "unknown": len((kept_set | dropped_set) - raw),
    }
    counts_balance = len(raw_ids) == quarantined + (len(dropped_ids) - quarantined) + len(kept_ids)
    return {
        "raw_rows": len(raw_ids),
        "quarantined": quarantined,
        "dropped": len(dropped_ids) - quarantined,
        "kept": len(kept_ids),
        "by_split": by_split,
        "dropped_by_stage": by_stage,
        "breaches": breaches,
        "balanced": counts_balance and not any(breaches.values()),
    }
