"""Decontaminate: drop training examples that overlap a benchmark or eval set.

1. :func:`~tuneset.decontaminate.benchmarks.load_benchmarks` reads every benchmark file under
   ``data/benchmarks/`` (any format ingest reads, CSV question files with a BOM or ``;`` included)
   into items and texts.
2. :func:`prepare` builds the n-gram index (:mod:`~tuneset.decontaminate.index`): main n-grams
   (13 by default) of long texts, probe n-grams of texts short enough for one edit to break all
   their n-grams, whole short texts; ubiquitous keys (more than ``max_item_frequency`` items) out.
3. :func:`decontaminate` scans every message of every example (:mod:`~tuneset.decontaminate.match`)
   and drops the contaminated ones under the rule ``benchmark_overlap``; ``details`` holds
   ``benchmark`` (the file), ``benchmark_name``, ``item``, ``item_id``, ``field``, ``ngram``,
   ``match`` (ngram, whole or fuzzy), ``matches`` and ``similarity``.

Frames can be fed batch by batch: every call returns its own :class:`Counts`, and
:func:`report` turns the counts of all batches into ``reports/decontaminate.json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tuneset import ledger
from tuneset import schema as col
from tuneset.config import DecontaminateConfig
from tuneset.decontaminate.benchmarks import BenchmarkSet, BenchText, load_benchmarks
from tuneset.decontaminate.index import Index, build_index
from tuneset.decontaminate.match import Hit, Matches, scan
from tuneset.decontaminate.rules import STAGE, BenchmarkOverlap
from tuneset.preview import make_preview

__all__ = ["STAGE", "BenchmarkOverlap", "BenchmarkSet", "Counts", "DecontaminateResult", "Prepared",
           "decontaminate", "load_benchmarks", "message_texts", "prepare", "report"]

_CONTENT_KEYS = (col.MESSAGES, col.CHOSEN, col.REJECTED)


@dataclass
class Prepared:
    """A benchmark set with its index, ready to scan frames against."""

    benchmarks: BenchmarkSet
    index: Index
    names: list[str]  # benchmark name of each group number
    rules: dict[str, BenchmarkOverlap]


@dataclass
class Counts:
    """What one frame contributed to the report."""

    rows_in: int = 0
    rows_out: int = 0
    by_benchmark: Counter[str] = field(default_factory=Counter)  # rows hitting each benchmark
    by_match: Counter[str] = field(default_factory=Counter)  # best hit kind of dropped rows
    by_benchmark_match: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_file: Counter[str] = field(default_factory=Counter)
    source_rows: Counter[str] = field(default_factory=Counter)
    source_dropped: Counter[str] = field(default_factory=Counter)
    scan: Counter[str] = field(default_factory=Counter)


@dataclass
class DecontaminateResult:
    examples: pd.DataFrame  # kept rows, input order
    dropped: pd.DataFrame  # the dropped table
    keep: np.ndarray  # bool per input row
    counts: Counts


def prepare(benchmarks: BenchmarkSet, cfg: DecontaminateConfig) -> Prepared:
    """Index ``benchmarks`` with the settings of ``cfg`` (and each benchmark's own overrides)."""
    names = sorted({t.benchmark for t in benchmarks.texts} | set(benchmarks.settings))
    number = {n: i for i, n in enumerate(names)}
    settings = benchmarks.settings
    ngram = {number[n]: (settings[n].ngram if n in settings else cfg.ngram) for n in names}
    min_matches = {number[n]: (settings[n].min_matches if n in settings else cfg.min_matches) for n in names}
    texts = benchmarks.texts
    index = build_index([t.text for t in texts], [t.item_index for t in texts], [number[t.benchmark] for t in texts],
                        ngram, min_matches, min_words=cfg.min_words, max_item_frequency=cfg.max_item_frequency,
                        fuzzy_threshold=cfg.fuzzy_threshold)
    rules = {n: BenchmarkOverlap(benchmark=n, ngram=ngram[number[n]], min_words=cfg.min_words,
                                 max_item_frequency=cfg.max_item_frequency, min_matches=min_matches[number[n]],
                                 fuzzy_threshold=cfg.fuzzy_threshold) for n in names}
    return Prepared(benchmarks, index, names, rules)


def message_texts(df: pd.DataFrame | pa.Table, role: str | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    """Every non-empty message content of every row, row by row: ``(texts, row of each, label of each)``.

    Labels read ``messages[1]:user``, ``chosen[0]:assistant``; ``role`` keeps that role's messages
    only. A pyarrow table is read column-wise in Arrow, without building message dicts.
    """
    if isinstance(df, pa.Table):
        return _arrow_texts(df, role)
    texts: list[str] = []
    rows: list[int] = []
    labels: list[str] = []
    columns = [(k, df[k].tolist()) for k in _CONTENT_KEYS if k in df.columns]
    for r in range(len(df)):
        for key, values in columns:
            for i, m in enumerate(values[r] or ()):
                content = m.get("content")
                if isinstance(content, str) and content and (role is None or m.get("role") == role):
                    texts.append(content)
                    rows.append(r)
                    labels.append(f"{key}[{i}]:{m.get('role')}")
    return texts, np.asarray(rows, dtype=np.int64), labels


def _arrow_texts(table: pa.Table, role: str | None) -> tuple[list[str], np.ndarray, list[str]]:
    parts = []
    for key in _CONTENT_KEYS:
        if key not in table.column_names:
            continue
        lists = table.column(key).combine_chunks()
        if len(lists) == 0:
            continue
        flat = lists.flatten()
        parents = pc.list_parent_indices(lists).to_numpy()
        offsets = lists.offsets.to_numpy()[:-1]
        content, roles = flat.field("content"), flat.field("role")
        keep = pc.and_(pc.is_valid(content), pc.greater(pc.utf8_length(content), 0))
        if role is not None:
            keep = pc.and_(keep, pc.equal(roles, role))
        keep = keep.fill_null(False).to_numpy(zero_copy_only=False)
        idx = np.flatnonzero(keep)
        parts.append((parents[idx], idx - offsets[parents[idx]], key, content.filter(pa.array(keep)).to_pylist(),
                      roles.filter(pa.array(keep)).to_pylist()))
    if not parts:
        return [], np.zeros(0, dtype=np.int64), []
    rows = np.concatenate([p[0] for p in parts])
    order = np.argsort(rows, kind="stable")  # row by row, keys in order within a row
    texts = [t for p in parts for t in p[3]]
    labels = [f"{p[2]}[{i}]:{r}" for p in parts for i, r in zip(p[1].tolist(), p[4])]
    return [texts[i] for i in order.tolist()], rows[order].astype(np.int64), [labels[i] for i in order.tolist()]


def _details(p: Prepared, hit: Hit, label: str, all_hits: Sequence[Hit]) -> dict[str, Any]:
    t: BenchText = p.benchmarks.texts[hit.text]
    size = hit.size
    return {
        "benchmark": t.file,
        "benchmark_name": t.benchmark,
        "item": t.item,
        "item_id": t.item_id,
        "field": t.field,
        "ngram": make_preview(p.index.ngram(hit.text, hit.pos, size), 200),
        "n": size,
        "match": hit.kind,
        "matches": hit.matches,
        "similarity": hit.similarity,
        "message": label,
        "also": sorted({p.benchmarks.texts[h.text].benchmark for h in all_hits[1:]}),
    }


def decontaminate(df: pd.DataFrame, p: Prepared, cfg: DecontaminateConfig) -> DecontaminateResult:
    """Drop the rows of ``df`` that overlap a benchmark of ``p``; accepts an empty frame."""
    counts = Counts(rows_in=len(df))
    if len(df):
        counts.source_rows.update(str(s) for s in df[col.SOURCE].tolist())
    texts, rows, labels = message_texts(df) if len(df) else ([], np.zeros(0, dtype=np.int64), [])
    found: Matches = scan(p.index, texts, rows)
    counts.scan.update({k: v for k, v in found.stats.items() if k != "rows_hit"})
    keep = np.ones(len(df), dtype=bool)
    keep[list(found.hits)] = False
    out_rows = []
    if found.hits:
        hit_rows = sorted(found.hits)
        records = df.iloc[hit_rows].to_dict("records")
        for r, rec in zip(hit_rows, records):
            hits = found.hits[r]
            best = hits[0]
            t = p.benchmarks.texts[best.text]
            where = f"{rec.get(col.SOURCE_FILE)} {rec.get(col.LOCATOR)}"
            what = {"ngram": f"shares {best.matches} {best.size}-gram(s) with", "whole": "is a short text of",
                    "fuzzy": f"is a light edit ({best.similarity:.2f} similar) of"}[best.kind]
            reason = f"{where}: {labels[best.message].split(':')[0]} {what} {t.file} item {t.item} ({t.field})"
            out_rows.append(ledger.dropped_row(rec, stage=STAGE, rule=p.rules[t.benchmark], reason=reason,
                                               details=_details(p, best, labels[best.message], hits)))
            for h in hits:
                counts.by_benchmark[p.benchmarks.texts[h.text].benchmark] += 1
            counts.by_match[best.kind] += 1
            counts.by_benchmark_match[(t.benchmark, best.kind)] += 1
            counts.by_file[t.file] += 1
            counts.source_dropped[str(rec.get(col.SOURCE))] += 1
    examples = df.iloc[np.flatnonzero(keep)].reset_index(drop=True) if len(df) else df.copy()
    counts.rows_out = len(examples)
    return DecontaminateResult(examples, ledger.dropped_frame(out_rows), keep, counts)


def report(p: Prepared, cfg: DecontaminateConfig, parts: Iterable[Counts],
           extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``reports/decontaminate.json`` from the counts of every frame scanned."""
    total = Counts()
    for c in parts:
        total.rows_in += c.rows_in
        total.rows_out += c.rows_out
        for name in ("by_benchmark", "by_match", "by_benchmark_match", "by_file", "source_rows", "source_dropped", "scan"):
            getattr(total, name).update(getattr(c, name))
    files_of: dict[str, list[dict[str, Any]]] = {}
    for f in p.benchmarks.files:
        files_of.setdefault(f["benchmark"], []).append(f)
    benchmarks = {}
    for name in p.names:
        fs = files_of.get(name, [])
        s = p.benchmarks.settings.get(name)
        benchmarks[name] = {
            "files": {f["file"]: {"items": f["items"], "texts": f["texts"], "read_as": f.get("read_as"),
                                  "contaminated": int(total.by_file.get(f["file"], 0))} for f in fs},
            "items": sum(f["items"] for f in fs),
            "contaminated": int(total.by_benchmark.get(name, 0)),
            "by_match": {k: int(total.by_benchmark_match.get((name, k), 0)) for k in ("ngram", "whole", "fuzzy")},
            "ngram": s.ngram if s else cfg.ngram,
            "min_matches": s.min_matches if s else cfg.min_matches,
            "rule_fingerprint": p.rules[name].fingerprint(),
        }
    dropped = total.rows_in - total.rows_out
    out = {
        "rows_in": total.rows_in,
        "rows_out": total.rows_out,
        "dropped_by_rule": {BenchmarkOverlap.name: dropped} if dropped else {},
        "settings": {"ngram": cfg.ngram, "min_words": cfg.min_words, "max_item_frequency": cfg.max_item_frequency,
                     "min_matches": cfg.min_matches, "fuzzy_threshold": cfg.fuzzy_threshold},
        "benchmark_fingerprint": p.benchmarks.fingerprint(),
        "benchmarks": benchmarks,
        "by_source": {s: {"rows": int(n), "contaminated": int(total.source_dropped.get(s, 0))}
                      for s, n in sorted(total.source_rows.items())},
        "by_match": {k: int(total.by_match.get(k, 0)) for k in ("ngram", "whole", "fuzzy")},
        "index": dict(p.index.stats),
        "scan": dict(sorted(total.scan.items())),
        "notes": list(p.benchmarks.notes),
    }
    if extra:
        out.update(extra)
    return out
