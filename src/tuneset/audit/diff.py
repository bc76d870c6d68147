"""``tuneset diff REV_A REV_B``: what changed between two committed dataset versions.

Both manifests are read at their revs through DVC (local cache or remote). ``added`` and
``removed`` are the set differences of their ``example_id`` sets; ``content_changed`` pairs the old
and new ``example_id`` of a unit (same ``origin_id``) whose content changed, and those ids are also
in ``added``/``removed``; ``changed_split`` lists examples kept in both versions under another
split. ``params_changed`` compares ``params.yaml``, ``rules_changed`` the rule fingerprints the
stage reports declare (and the dropped tables carry).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tuneset import frames
from tuneset import schema as col
from tuneset.audit.store import Snapshot, resolve_rev, short

PARAMS = "params.yaml"
REPORTS = "reports"
SHOW = 5


def _manifest(snap: Snapshot, final: str) -> pd.DataFrame:
    pf = snap.parquet(f"{final}/manifest.parquet")
    return frames.from_table(pf.read(columns=[col.ORIGIN_ID, col.EXAMPLE_ID, col.SPLIT]))


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaf values (lists are leaves), as ``dvc params diff`` shows them."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for k in sorted(obj, key=str):
            out.update(flatten(obj[k], f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: obj}


def params_changed(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    fa, fb = flatten(a), flatten(b)
    return [{"key": k, "from": fa.get(k), "to": fb.get(k)}
            for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k) or (k in fa) != (k in fb)]


def rule_fingerprints(snap: Snapshot, final: str) -> dict[str, dict[str, Any]]:
    """``{rule: {stage, fingerprint}}`` from the stage reports' ``rules`` lists and the dropped table."""
    out: dict[str, dict[str, Any]] = {}
    for name in snap.listdir(REPORTS):
        if not name.endswith(".json"):
            continue
        report = snap.read_json(f"{REPORTS}/{name}")
        for r in (report.get("rules") if isinstance(report, dict) else None) or ():
            if isinstance(r, dict) and r.get("rule") and r.get("fingerprint"):
                out[str(r["rule"])] = {"stage": r.get("stage") or name[:-5], "fingerprint": r["fingerprint"]}
    dropped = snap.parquet(f"{final}/dropped.parquet").read(columns=[col.STAGE, col.RULE, col.RULE_FINGERPRINT])
    for stage, rule, fp in sorted(set(zip(*(dropped.column(c).to_pylist() for c in (col.STAGE, col.RULE, col.RULE_FINGERPRINT))))):
        out.setdefault(str(rule), {"stage": stage, "fingerprint": fp})
    return out


def rules_changed(a: Mapping[str, dict[str, Any]], b: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rule in sorted(set(a) | set(b)):
        fa, fb = (a.get(rule) or {}).get("fingerprint"), (b.get(rule) or {}).get("fingerprint")
        if fa != fb:
            out.append({"rule": rule, "stage": (b.get(rule) or a.get(rule) or {}).get("stage"), "from": fa, "to": fb})
    return out


def compare(ma: pd.DataFrame, mb: pd.DataFrame) -> dict[str, Any]:
    """The example-level part of the diff of two manifests (origin_id, example_id, split)."""
    ids_a, ids_b = set(ma[col.EXAMPLE_ID]), set(mb[col.EXAMPLE_ID])
    both = ma.merge(mb, on=col.ORIGIN_ID, suffixes=("_a", "_b"))
    moved = both[(both[f"{col.EXAMPLE_ID}_a"] == both[f"{col.EXAMPLE_ID}_b"]) & (both[f"{col.SPLIT}_a"] != both[f"{col.SPLIT}_b"])]
    changed_split = sorted({(e, s, t) for e, s, t in zip(moved[f"{col.EXAMPLE_ID}_a"], moved[f"{col.SPLIT}_a"], moved[f"{col.SPLIT}_b"])})
    content = both[both[f"{col.EXAMPLE_ID}_a"] != both[f"{col.EXAMPLE_ID}_b"]]
    content_changed = sorted(zip(content[col.ORIGIN_ID], content[f"{col.EXAMPLE_ID}_a"], content[f"{col.EXAMPLE_ID}_b"]))
    return {
        "added": sorted(ids_b - ids_a),
        "removed": sorted(ids_a - ids_b),
        "changed_split": [{"example_id": e, "from": s, "to": t} for e, s, t in changed_split],
        "content_changed": [{"origin_id": o, "old_example_id": a, "new_example_id": b} for o, a, b in content_changed],
        "unchanged": len(ids_a & ids_b),
    }


def diff(repo: str | Path, rev_a: str, rev_b: str, final: str) -> dict[str, Any]:
    """The diff of the dataset versions committed at ``rev_a`` and ``rev_b`` (see the module docstring)."""
    revs = [resolve_rev(repo, rev_a), resolve_rev(repo, rev_b)]
    sides = []
    for rev in revs:
        with Snapshot(repo, rev) as snap:
            version = snap.read_json(f"{final}/VERSION.json")
            sides.append({
                "rev": rev, "dataset_version": version.get("dataset_version"), "manifest": _manifest(snap, final),
                "params": (snap.read_yaml(PARAMS) or {}) if snap.exists(PARAMS) else {},
                "rules": rule_fingerprints(snap, final)})
    a, b = sides
    result = compare(a["manifest"], b["manifest"])
    unchanged = result.pop("unchanged")
    result["params_changed"] = params_changed(a["params"], b["params"])
    result["rules_changed"] = rules_changed(a["rules"], b["rules"])
    result["counts"] = {
        "examples_a": len(a["manifest"]), "examples_b": len(b["manifest"]), "unchanged": unchanged,
        **{k: len(result[k]) for k in ("added", "removed", "changed_split", "content_changed", "params_changed", "rules_changed")}}
    result["a"] = {"rev": a["rev"], "dataset_version": a["dataset_version"]}
    result["b"] = {"rev": b["rev"], "dataset_version": b["dataset_version"]}
    return result


def render(result: dict[str, Any]) -> str:
    """A compact summary with a few examples of each kind."""
    a, b, n = result["a"], result["b"], result["counts"]
    lines = [f"{short(a['rev'])} (dataset {str(a['dataset_version'])[:16]}, {n['examples_a']} examples) -> "
             f"{short(b['rev'])} (dataset {str(b['dataset_version'])[:16]}, {n['examples_b']} examples)"]
    if a["dataset_version"] == b["dataset_version"]:
        lines.append("  same dataset version")
    lines.append(f"  unchanged        {n['unchanged']}")
    for key, label in (("added", "added"), ("removed", "removed")):
        lines.append(f"  {label:<16} {n[key]}")
        lines += [f"    {e}" for e in result[key][:SHOW]]
        if n[key] > SHOW:
            lines.append(f"    ... and {n[key] - SHOW} more")
    lines.append(f"  content changed  {n['content_changed']} (also in added/removed)")
    lines += [f"    {c['origin_id'][:16]}  {c['old_example_id'][:16]} -> {c['new_example_id'][:16]}"
              for c in result["content_changed"][:SHOW]]
    lines.append(f"  changed split    {n['changed_split']}")
    lines += [f"    {c['example_id'][:16]}  {c['from']} -> {c['to']}" for c in result["changed_split"][:SHOW]]
    lines.append(f"  params changed   {n['params_changed']}")
    lines += [f"    {p['key']}: {_short_value(p['from'])} -> {_short_value(p['to'])}" for p in result["params_changed"][:SHOW * 2]]
    lines.append(f"  rules changed    {n['rules_changed']}")
    lines += [f"    {r['rule']} ({r['stage']}): {r['from'] or 'absent'} -> {r['to'] or 'absent'}"
              for r in result["rules_changed"][:SHOW * 2]]
    return "\n".join(lines)


def _short_value(v: Any) -> str:
    if isinstance(v, list) and len(v) > 3:
        return f"[{len(v)} items]"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."
