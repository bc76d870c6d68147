"""``tuneset forget``: append to the exclusion list (``conf/exclude/*.yaml``), never the text itself.

- ``forget ID`` with an ``origin_id`` (or prefix) appends it; with an ``example_id`` it appends the
  ``origin_id`` of every unit, kept or dropped, carrying that content; with a ``group_id`` (exact)
  it appends the group.
- ``forget --text "..."`` finds every current kept example with a turn containing the text
  (case-insensitive), appends their ``origin_id``s and a keyed hash of the normalized text, so
  future data with an identical turn is excluded too (:mod:`tuneset.audit.exclude`).

The exclusion takes effect at the next ``dvc repro``, at ingest; ``tuneset models which`` then
shows which already-trained models saw the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneset import hashing
from tuneset import schema as col
from tuneset.audit import AuditError, resolve, yamlfile
from tuneset.audit import index as idx
from tuneset.audit.exclude import KEY_ENV, text_hash
from tuneset.audit.store import Snapshot

LISTS = ("origin_ids", "group_ids", "text_hashes")
EMPTY = "origin_ids: []\ngroup_ids: []\ntext_hashes: []\n"


@dataclass
class Forgotten:
    """What one ``forget`` call matched and appended (``added``) or found already listed."""

    matched: int = 0
    example_ids: list[str] = field(default_factory=list)
    added: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in LISTS})
    already: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in LISTS})

    def to_json(self) -> dict[str, Any]:
        return {"matched": self.matched, "example_ids": self.example_ids, "added": self.added, "already": self.already}


def targets_for_id(repo: str | Path, final: str, raw_id: str) -> tuple[dict[str, list[str]], list[str]]:
    """``({list: values}, example_ids)`` that forgetting ``raw_id`` appends, from the current data."""
    with Snapshot(repo) as snap:
        reader = idx.IndexReader.open(snap, final)
        value = raw_id.strip()
        looks_hex = len(value) >= resolve.MIN_PREFIX and all(c in "0123456789abcdefABCDEF" for c in value)
        if looks_hex:
            try:
                match = resolve.find([reader], value, where=f"{final} (the workspace)")
            except AuditError as exc:
                if "ambiguous" in str(exc) or not reader.units_by_group(value):
                    raise
            else:
                units = resolve.units_for(reader, match)
                return ({"origin_ids": sorted({u[col.ORIGIN_ID] for u in units})},
                        sorted({u[col.EXAMPLE_ID] for u in units if u.get(col.EXAMPLE_ID)}))
        units = reader.units_by_group(value)
        if not units and ":" in value:  # a source's own group key ("chat:cust-42"): its hashed group_id
            value = hashing.group_id(*value.split(":", 1))
            units = reader.units_by_group(value)
        if not units:
            raise AuditError(f"{raw_id!r} is not an example_id, origin_id (or unique prefix), group_id or "
                             f"<source>:<group key> in {final}")
        return {"group_ids": [value]}, sorted({u[col.EXAMPLE_ID] for u in units if u.get(col.EXAMPLE_ID)})


def targets_for_text(repo: str | Path, final: str, text: str, key: str | None) -> tuple[dict[str, list[str]], list[str]]:
    """The origin_ids of current kept examples containing ``text`` and the keyed hash of the text."""
    if key is None:
        raise AuditError(f"forgetting a text stores its keyed hash, and {KEY_ENV} (the key) is not set: set it to "
                         f"the key ingest runs with")
    with Snapshot(repo) as snap:
        hits = idx.search_text(snap, final, text)
    return ({"origin_ids": sorted(set(hits[col.ORIGIN_ID])), "text_hashes": [text_hash(text, key)]},
            sorted(set(hits[col.EXAMPLE_ID])))


def append(exclude_file: str | Path, targets: dict[str, list[str]]) -> Forgotten:
    """Append ``targets`` to the exclusion file (keeping its comments); entries already there are skipped."""
    data = yamlfile.load(exclude_file, EMPTY)
    out = Forgotten()
    for key in LISTS:
        values = targets.get(key) or []
        if not values:
            continue
        current = yamlfile.block_list(data, key, exclude_file)
        have = {str(v) for v in current}
        for v in values:
            (out.already if v in have else out.added)[key].append(v)
            if v not in have:
                current.append(v)
                have.add(v)
    yamlfile.dump(data, exclude_file)
    return out


def forget(repo: str | Path, final: str, exclude_file: str | Path, raw_id: str | None = None,
           text: str | None = None, key: str | None = None) -> Forgotten:
    """Resolve ``raw_id`` or ``text`` against the current data and append the result to ``exclude_file``."""
    if (raw_id is None) == (text is None):
        raise AuditError("give an ID or --text, not both")
    if raw_id is not None:
        targets, example_ids = targets_for_id(repo, final, raw_id)
        matched = len(targets.get("origin_ids") or []) or len(example_ids)
    else:
        targets, example_ids = targets_for_text(repo, final, text or "", key)
        matched = len(targets["origin_ids"])
    result = append(exclude_file, targets)
    result.matched = matched
    result.example_ids = example_ids
    return result


def render(result: Forgotten, exclude_file: str | Path, what: str) -> str:
    lines = [f"{what}: {result.matched} current example(s) matched"]
    for key in LISTS:
        if result.added[key]:
            shown = [v if key == "group_ids" else v[:16] + "…" for v in result.added[key][:5]]
            more = f" and {len(result.added[key]) - 5} more" if len(result.added[key]) > 5 else ""
            lines.append(f"  appended {len(result.added[key])} to {key}: {', '.join(shown)}{more}")
        if result.already[key]:
            lines.append(f"  {len(result.already[key])} already in {key}")
    lines.append(f"  written to {exclude_file}; the next `dvc repro` drops every match at ingest (rule excluded)")
    if result.example_ids:
        lines.append(f"  models that already trained on it: `tuneset models which {result.example_ids[0][:12]}`"
                     + (" (or --text)" if len(result.example_ids) > 1 else ""))
    return "\n".join(lines)
