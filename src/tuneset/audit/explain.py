"""``tuneset explain ID``: where an example came from, what happened to it, and where it is now.

The answer comes from the workspace's ``data/final`` index (provenance, split, the drop decision,
the transformations the stages recorded) and from git history: every committed dataset version
that holds the example. Original values are never shown, only counts of edits by type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneset import schema as col
from tuneset.audit import AuditError
from tuneset.audit import index as idx
from tuneset.audit import resolve
from tuneset.audit.store import Snapshot, VersionRef, short, version_history

FIELDS = (col.EXAMPLE_ID, col.ORIGIN_ID, col.KIND, col.SOURCE, col.SOURCE_FILE, col.LOCATOR, col.ORIGIN,
          col.LICENSE, col.GROUP_ID, col.CLUSTER_ID, col.SPLIT)


def explain(repo: str | Path, raw_id: str, final: str, history: bool = True) -> dict[str, Any]:
    """The explanation of one example or unit (see the module docstring) as a JSON-ready dict."""
    with Snapshot(repo) as snap:
        reader = idx.IndexReader.open(snap, final)
        match = resolve.find([reader], raw_id, where=f"{final} (the current version; `tuneset models which ID` "
                                                    f"also looks in the registered models' versions)")
        units = resolve.units_for(reader, match)
        unit = resolve.pick(units, match)
    result: dict[str, Any] = {k: unit.get(k) for k in FIELDS}
    result["status"] = unit[idx.STATUS]
    result["matched"] = match.kind
    result["dropped"] = None if unit[idx.STATUS] == idx.KEPT else {
        "stage": unit.get(col.STAGE), "rule": unit.get(col.RULE), "rule_fingerprint": unit.get(col.RULE_FINGERPRINT),
        "reason": unit.get(col.REASON), "duplicate_of": unit.get(col.DUPLICATE_OF)}
    result["transformations"] = idx.transformations(unit)
    result["same_content"] = [
        {"origin_id": u[col.ORIGIN_ID], "status": u[idx.STATUS], "split": u.get(col.SPLIT), "stage": u.get(col.STAGE),
         "rule": u.get(col.RULE)} for u in units if u[col.ORIGIN_ID] != unit[col.ORIGIN_ID]]
    result["versions"], result["warnings"] = ([], [])
    if history and unit.get(col.EXAMPLE_ID):
        result["versions"], result["warnings"] = versions_holding(repo, final, unit[col.EXAMPLE_ID])
    if reader.built:
        result["warnings"].append(f"{final} has no index (written by export); it was indexed in memory")
    return result


def versions_holding(repo: str | Path, final: str, example_id: str,
                     refs: list[VersionRef] | None = None) -> tuple[list[dict[str, str]], list[str]]:
    """``[{rev, dataset_version}]`` of the committed versions keeping ``example_id``, newest first.

    A version whose outputs cannot be read (not in the cache) becomes a warning, not a failure.
    """
    refs = version_history(repo, final) if refs is None else refs
    versions, warnings = [], []
    for ref in refs:
        try:
            with Snapshot(repo, ref.rev) as snap:
                if holds(snap, final, example_id):
                    versions.append({"rev": ref.rev,
                                     "dataset_version": snap.read_json(f"{final}/VERSION.json").get("dataset_version")})
        except AuditError as exc:
            warnings.append(str(exc))
    return versions, warnings


def holds(snap: Snapshot, final: str, example_id: str) -> bool:
    """Whether the version keeps ``example_id`` (through its index, or its manifest when it has none)."""
    path = f"{final}/{idx.INDEX_DIR}/{idx.BY_EXAMPLE}"
    if snap.exists(path):
        table = idx.SortedTable(snap.parquet(path), col.EXAMPLE_ID)
        return idx.KEPT in table.equal([example_id]).column(idx.STATUS).to_pylist()
    manifest = snap.parquet(f"{final}/manifest.parquet").read(columns=[col.EXAMPLE_ID])
    return example_id in set(manifest.column(col.EXAMPLE_ID).to_pylist())


def render(result: dict[str, Any]) -> str:
    """A readable summary of :func:`explain`'s result."""
    eid = result.get(col.EXAMPLE_ID)
    head = f"example {eid}" if eid else f"unit {result[col.ORIGIN_ID]} (unreadable: no content, no example_id)"
    state = f"kept in {result[col.SPLIT]}" if result["status"] == idx.KEPT else "dropped"
    lines = [f"{head}", f"  status       {state}" + (f" ({result[col.KIND]})" if result.get(col.KIND) else "")]
    lines.append(f"  origin_id    {result[col.ORIGIN_ID]}")
    lines.append(f"  from         {result.get(col.SOURCE_FILE)} {_locator(result.get(col.LOCATOR))}"
                 f"  (source {result.get(col.SOURCE)}, origin {result.get(col.ORIGIN)})")
    lines.append(f"  group        {result.get(col.GROUP_ID) or '-'}")
    if result.get(col.CLUSTER_ID) and result[col.CLUSTER_ID] != result[col.ORIGIN_ID]:
        lines.append(f"  cluster      {result[col.CLUSTER_ID]} (near-duplicate cluster representative)")
    d = result.get("dropped")
    if d:
        lines.append(f"  dropped at   {d['stage']} by rule {d['rule']} ({d.get('rule_fingerprint')})")
        lines.append(f"  reason       {d['reason']}")
        if d.get("duplicate_of"):
            lines.append(f"  duplicate of {d['duplicate_of']}")
    if result["transformations"]:
        lines.append("  transformations")
        for t in result["transformations"]:
            edits = ", ".join(f"{k} {v}" for k, v in t["edits"].items())
            lines.append(f"    {t['stage']:<12} {edits}")
    else:
        lines.append("  transformations  none recorded")
    for other in result.get("same_content") or ():
        where = f"kept in {other['split']}" if other["status"] == idx.KEPT else f"dropped at {other['stage']} ({other['rule']})"
        lines.append(f"  same content {other['origin_id'][:16]}  {where}")
    if result["versions"]:
        lines.append(f"  in {len(result['versions'])} committed dataset version(s), newest first")
        for v in result["versions"]:
            lines.append(f"    {short(v['rev'])}  dataset {str(v['dataset_version'])[:16]}")
    elif eid:
        lines.append("  in no committed dataset version")
    for w in result.get("warnings") or ():
        lines.append(f"  note: {w}")
    return "\n".join(lines)


def _locator(locator: str | None) -> str:
    if locator is None:
        return ""
    return f"line/row {locator}" if locator[:1].isdigit() else f"element {locator}"
