"""Which models trained on what: ``models/registry.yaml`` and the questions it answers.

The registry is committed and human-readable: a top-level ``models:`` list of
``{name, rev, dataset_version, splits, notes}``. ``rev`` is the full commit of the dataset version
the model was trained on; every answer is resolved through that rev's own ``data/final`` (read
through DVC), so it holds even after later versions dropped or forgot the example.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneset import schema as col
from tuneset.audit import AuditError, resolve, yamlfile
from tuneset.audit import index as idx
from tuneset.audit.store import Snapshot, resolve_rev, short

if TYPE_CHECKING:
    import pandas as pd

EMPTY = "models: []\n"


@dataclass(frozen=True)
class Model:
    name: str
    rev: str
    dataset_version: str
    splits: tuple[str, ...]
    notes: str = ""

    def entry(self) -> dict[str, Any]:
        return {"name": self.name, "rev": self.rev, "dataset_version": self.dataset_version,
                "splits": list(self.splits), "notes": self.notes}


def load_registry(path: str | Path) -> list[Model]:
    """The registered models, validated; an absent file is an empty registry."""
    data = yamlfile.load(path, EMPTY)
    entries = data.get("models") or []
    if not isinstance(entries, list):
        raise AuditError(f"{path}: models must be a list")
    out, seen = [], set()
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) and e[k] for k in ("name", "rev", "dataset_version")):
            raise AuditError(f"{path}: models[{i}] needs name, rev and dataset_version as text (quote hex values)")
        splits = e.get("splits") or ["train"]
        if isinstance(splits, str) or not set(splits) <= set(col.SPLITS):
            raise AuditError(f"{path}: models[{i}].splits must be a list of {', '.join(col.SPLITS)}")
        if e["name"] in seen:
            raise AuditError(f"{path}: model {e['name']!r} is registered twice")
        seen.add(e["name"])
        out.append(Model(str(e["name"]), str(e["rev"]), str(e["dataset_version"]), tuple(splits), str(e.get("notes") or "")))
    return out


def _splits(splits: Iterable[str] | None) -> tuple[str, ...]:
    chosen = list(dict.fromkeys(splits or ["train"]))
    bad = [s for s in chosen if s not in col.SPLITS]
    if bad:
        raise AuditError(f"unknown split(s) {', '.join(bad)}: use {', '.join(col.SPLITS)}")
    return tuple(chosen)


def register(repo: str | Path, registry: str | Path, name: str, rev: str, final: str,
             splits: Iterable[str] | None = None, notes: str = "") -> Model:
    """Record that model ``name`` trained on the dataset version at ``rev``; a known name is an error."""
    name = name.strip()
    if not name or "\n" in name:
        raise AuditError("a model name must be a non-empty single line")
    existing = {m.name: m for m in load_registry(registry)}
    if name in existing:
        raise AuditError(f"model {name!r} is already registered (rev {short(existing[name].rev)}); "
                         f"names are unique, pick another")
    full = resolve_rev(repo, rev)
    with Snapshot(repo, full) as snap:
        version = snap.read_json(f"{final}/VERSION.json").get("dataset_version")
    if not version:
        raise AuditError(f"{final}/VERSION.json at rev {short(full)} has no dataset_version")
    model = Model(name, full, version, _splits(splits), notes)
    data = yamlfile.load(registry, EMPTY)
    entry = yamlfile.mapping(model.entry())
    entry["splits"] = yamlfile.flow_list(list(model.splits))
    yamlfile.block_list(data, "models", registry).append(entry)
    yamlfile.dump(data, registry)
    return model


def get(models: Sequence[Model], name: str) -> Model:
    for m in models:
        if m.name == name:
            return m
    known = ", ".join(m.name for m in models) or "none registered"
    raise AuditError(f"no model named {name!r} in the registry (known: {known})")


def _by_rev(models: Sequence[Model]) -> dict[str, list[Model]]:
    out: dict[str, list[Model]] = {}
    for m in models:
        out.setdefault(m.rev, []).append(m)
    return out


def _check_version(snap: Snapshot, final: str, models: Sequence[Model]) -> None:
    actual = snap.read_json(f"{final}/VERSION.json").get("dataset_version")
    for m in models:
        if m.dataset_version != actual:
            raise AuditError(f"model {m.name!r}: the registry says dataset {m.dataset_version[:16]} but rev "
                             f"{short(m.rev)} holds {str(actual)[:16]}; fix models/registry.yaml")


def which(repo: str | Path, models: Sequence[Model], final: str, raw_id: str) -> list[dict[str, str]]:
    """``[{model, example_id, split}]``: registered models whose training splits held the example."""
    if not models:
        return []
    snaps, readers = [], {}
    try:
        for rev, group in _by_rev(models).items():
            snap = Snapshot(repo, rev)
            snaps.append(snap)
            _check_version(snap, final, group)
            readers[rev] = idx.IndexReader.open(snap, final)
        try:
            match = resolve.find(list(readers.values()), raw_id, where="the dataset versions of the registered models")
        except AuditError:
            if _known_in_workspace(repo, final, raw_id):
                return []  # a current example no registered model's version holds
            raise
        out = []
        for m in models:
            for u in resolve.units_for(readers[m.rev], match):
                if u[idx.STATUS] == idx.KEPT and u[col.SPLIT] in m.splits:
                    out.append({"model": m.name, "example_id": u[col.EXAMPLE_ID], "split": u[col.SPLIT]})
    finally:
        for s in snaps:
            s.close()
    return _unique(out)


def _known_in_workspace(repo: str | Path, final: str, raw_id: str) -> bool:
    if not (Path(repo) / final / "manifest.parquet").exists():
        return False
    with Snapshot(repo) as snap:
        try:
            resolve.find([idx.IndexReader.open(snap, final)], raw_id)
        except AuditError as exc:
            if "ambiguous" in str(exc):
                raise
            return False
    return True


def which_text(repo: str | Path, models: Sequence[Model], final: str, text: str) -> list[dict[str, str]]:
    """``[{model, example_id, split}]`` for every trained-on example with a turn containing ``text``."""
    import pandas as pd

    parts = []
    for rev, group in _by_rev(models).items():
        with Snapshot(repo, rev) as snap:
            _check_version(snap, final, group)
            hits = idx.search_text(snap, final, text)[[col.EXAMPLE_ID, col.SPLIT]]
        for m in group:
            parts.append(hits[hits[col.SPLIT].isin(list(m.splits))].assign(model=m.name))
    if not parts:
        return []
    return _unique_frame(pd.concat(parts, ignore_index=True))


_SPLIT_ORDER = {s: i for i, s in enumerate(col.SPLITS)}


def _unique(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Distinct ``{model, example_id, split}`` rows, by model, split order, then example_id."""
    seen = {(r["model"], r["example_id"], r["split"]) for r in rows}
    return [{"model": m, "example_id": e, "split": s}
            for m, e, s in sorted(seen, key=lambda t: (t[0], _SPLIT_ORDER.get(t[2], 9), t[1]))]


def _unique_frame(df: pd.DataFrame) -> list[dict[str, str]]:
    """:func:`_unique` for many rows, vectorized."""
    if df.empty:
        return []
    df = df.drop_duplicates(["model", col.EXAMPLE_ID, col.SPLIT])
    df = df.assign(_o=df[col.SPLIT].map(_SPLIT_ORDER)).sort_values(["model", "_o", col.EXAMPLE_ID], kind="stable")
    return [{"model": m, "example_id": e, "split": s} for m, e, s in zip(df["model"], df[col.EXAMPLE_ID], df[col.SPLIT])]


def examples(repo: str | Path, model: Model, final: str) -> list[dict[str, str]]:
    """``[{example_id, source, split}]``: every example ``model`` trained on, in manifest order."""
    from tuneset import frames

    with Snapshot(repo, model.rev) as snap:
        _check_version(snap, final, [model])
        manifest = frames.from_table(snap.parquet(f"{final}/manifest.parquet").read(
            columns=[col.EXAMPLE_ID, col.SOURCE, col.SPLIT]))
    chosen = manifest[manifest[col.SPLIT].isin(list(model.splits))]
    return [{"example_id": e, "source": s, "split": sp}
            for e, s, sp in zip(chosen[col.EXAMPLE_ID], chosen[col.SOURCE], chosen[col.SPLIT])]


def render_which(rows: list[dict[str, str]], models: Sequence[Model], what: str) -> str:
    if not models:
        return "no models registered (models/registry.yaml): `tuneset models register NAME --rev REV`"
    if not rows:
        return f"no registered model trained on {what} ({len(models)} model(s) checked)"
    by_model: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    info = {m.name: m for m in models}
    lines = [f"{len(by_model)} of {len(models)} registered model(s) trained on {what}:"]
    for name, hits in by_model.items():
        m = info[name]
        counts = {s: sum(1 for h in hits if h["split"] == s) for s in col.SPLITS}
        mix = ", ".join(f"{s} {n}" for s, n in counts.items() if n)
        lines.append(f"  {name}  (rev {short(m.rev)}, dataset {m.dataset_version[:16]}): {len(hits)} example(s), {mix}")
        for h in hits[:5]:
            lines.append(f"    {h['example_id']}  {h['split']}")
        if len(hits) > 5:
            lines.append(f"    ... and {len(hits) - 5} more (--json lists all)")
    return "\n".join(lines)


def render_examples(rows: list[dict[str, str]], model: Model) -> str:
    lines = [f"{model.name} trained on {len(rows)} example(s) of dataset {model.dataset_version[:16]} "
             f"(rev {short(model.rev)}, splits {', '.join(model.splits)})"]
    by_source: dict[str, int] = {}
    for r in rows:
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    for source, n in sorted(by_source.items()):
        lines.append(f"  {source:<24} {n}")
    for r in rows[:5]:
        lines.append(f"  {r['example_id']}  {r['split']}  {r['source']}")
    if len(rows) > 5:
        lines.append(f"  ... and {len(rows) - 5} more (--json lists all)")
    return "\n".join(lines)
