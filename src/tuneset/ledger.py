"""The ledger: dropped and quarantined units, and the balance of the books.

Every stage that removes a unit records it here with the stage, the rule (name and fingerprint), a
human reason, JSON details, and a scrubbed preview. ``lineage`` checks the conservation invariant of
DESIGN.md: raw units == quarantined + dropped + kept.
"""

from __future__ import annotations

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
    keys = df[col.LOCATOR].map(_locator_key)
    order = sorted(range(len(df)), key=lambda i: (str(df[col.SOURCE_FILE].iat[i] or ""), keys.iat[i],
                                                   str(df[col.ORIGIN_ID].iat[i] or "")))
    return df.iloc[order].reset_index(drop=True)


def _locator_key(locator: Any) -> tuple:
    out: list[tuple[int, Any]] = []
    for part in str(locator or "").replace("[", "/").replace("]", "").split("/"):
        digits = "".join(ch for ch in part if ch.isdigit())
        head = part.rstrip("0123456789-")
        out.append((0, head) if not digits else (1, (head, int(digits))))
    return tuple(out)


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


def lineage(raw_rows: int, dropped: pd.DataFrame, kept_by_split: Mapping[str, int]) -> dict[str, Any]:
    """The balance of the books (DESIGN.md ``reports/lineage.json``)."""
    quarantined = int((dropped[col.STAGE] == "ingest").sum()) if not dropped.empty else 0
    dropped_n = int(len(dropped)) - quarantined
    by_split = {s: int(kept_by_split.get(s, 0)) for s in col.SPLITS}
    kept = sum(by_split.values())
    by_stage: dict[str, int] = {}
    if not dropped.empty:
        counts = dropped[col.STAGE].value_counts()
        by_stage = {str(k): int(counts[k]) for k in sorted(counts.index)}
    duplicated_units = 0
    if not dropped.empty:
        duplicated_units = int(dropped[col.ORIGIN_ID].duplicated().sum())
    return {
        "raw_rows": int(raw_rows),
        "quarantined": quarantined,
        "dropped": dropped_n,
        "kept": kept,
        "by_split": by_split,
        "dropped_by_stage": by_stage,
        "units_dropped_twice": duplicated_units,
        "balanced": raw_rows == quarantined + dropped_n + kept and duplicated_units == 0,
    }
