"""The coverage matrix: kept examples counted by label value and by pair of label values, the
configured targets with their fill rates, and the gaps (cells under target): the worklist for
collecting or generating more data.

:class:`CoverageTally` is fed batch by batch and keeps one count per distinct set of labels, so its
memory follows the variety of the labels, not the number of rows, and the result does not depend
on the batching. ``reports/coverage.json`` is :meth:`CoverageTally.report`::

    examples   kept examples counted
    labels     {label: {distinct, labeled, unlabeled, values: {value: n}, other}}
    pairs      {label_a: {label_b: {value_a: {value_b: n}}}}
    targets    [{label, by, min_count, min_share, wanted, cells, met, fill_rate}]
    fill_rate  {"intent": 0.93, "intent by language": 0.5}
    gaps       [{label, value, (by, by_value,) count, target, missing, fill}]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

import pandas as pd

from tuneset import schema as col
from tuneset.config import CoverageConfig, CoverageTargetConfig

Combo = tuple[tuple[str, str], ...]


def _ranked(counter: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


class CoverageTally:
    """Counts of kept examples by their labels, for the coverage report."""

    def __init__(self) -> None:
        self.combos: Counter[Combo] = Counter()
        self.examples = 0

    def add(self, df: pd.DataFrame) -> None:
        labels = df[col.LABELS].tolist() if col.LABELS in df.columns else [None] * len(df)
        self.add_labels(labels)

    def add_labels(self, labels: Iterable[Mapping[str, str] | None]) -> None:
        # Counted by the items in their order (rows labelled alike share it); put in order once, in
        # _sorted, so the result does not depend on the order of a row's labels.
        raw: Counter[Combo] = Counter(tuple(m.items()) if isinstance(m, Mapping) else () for m in labels)
        for combo, n in raw.items():
            self.examples += n
            self.combos[tuple(sorted((str(k), "" if v is None else str(v)) for k, v in combo))] += n

    # --- the matrix ---------------------------------------------------------------------------

    def value_counts(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for combo, n in self.combos.items():
            for name, value in combo:
                out.setdefault(name, Counter())[value] += n
        return out

    def pair_counts(self, a: str, b: str) -> Counter[tuple[str, str]]:
        out: Counter[tuple[str, str]] = Counter()
        for combo, n in self.combos.items():
            d = dict(combo)
            if a in d and b in d:
                out[(d[a], d[b])] += n
        return out

    def report(self, cfg: CoverageConfig) -> dict[str, Any]:
        values = self.value_counts()
        names = [n for n in cfg.labels if n in values] if cfg.labels else sorted(values)
        labels: dict[str, Any] = {}
        for name in names:
            ranked = _ranked(values[name])
            labeled = sum(values[name].values())
            shown = ranked[:cfg.max_values]
            labels[name] = {"distinct": len(ranked), "labeled": labeled, "unlabeled": self.examples - labeled,
                            "values": dict(shown), "other": sum(n for _, n in ranked[cfg.max_values:])}
        if cfg.pairs:
            pairs = [(a, b) for a, b in cfg.pairs]
        else:
            small = [n for n in names if len(values[n]) <= cfg.pair_max_values]
            pairs = list(combinations(small, 2))
        crossed: dict[str, Any] = {}
        for a, b in pairs:
            cells: dict[str, dict[str, int]] = {}
            for (va, vb), n in sorted(self.pair_counts(a, b).items()):
                cells.setdefault(va, {})[vb] = n
            crossed.setdefault(a, {})[b] = cells
        targets, fill, gaps = [], {}, []
        for i, t in enumerate(cfg.targets):
            summary, cell_gaps = self._target(t, values)
            key = f"{t.label} by {t.by}" if t.by else t.label
            if key in fill:
                key = f"{key} #{i + 1}"
            fill[key] = summary["fill_rate"]
            targets.append(summary)
            gaps += cell_gaps
        return {"examples": self.examples, "labels": labels, "pairs": crossed, "targets": targets,
                "fill_rate": fill, "gaps": gaps}

    def _target(self, t: CoverageTargetConfig, values: Mapping[str, Counter[str]]) -> tuple[dict[str, Any], list[dict]]:
        wanted = max(t.min_count, math.ceil(t.min_share * self.examples) if t.min_share else 0)
        seen = values.get(t.label, Counter())
        expected = list(dict.fromkeys(t.values)) or sorted(seen)
        if t.by:
            seen_by = values.get(t.by, Counter())
            by_expected = list(dict.fromkeys(t.by_values)) or sorted(seen_by)
            counts = self.pair_counts(t.label, t.by)
            cells = [((v, bv), counts.get((v, bv), 0)) for v in expected for bv in by_expected]
        else:
            cells = [((v, None), seen.get(v, 0)) for v in expected]
        gaps = []
        fills = []
        for (v, bv), n in cells:
            fills.append(min(1.0, n / wanted) if wanted else 1.0)
            if n < wanted:
                gap: dict[str, Any] = {"label": t.label, "value": v}
                if t.by:
                    gap.update(by=t.by, by_value=bv)
                gap.update(count=n, target=wanted, missing=wanted - n, fill=round(n / wanted, 4))
                gaps.append(gap)
        gaps.sort(key=lambda g: (-g["missing"], g["value"], g.get("by_value") or ""))
        summary = {"label": t.label, "by": t.by or None, "min_count": t.min_count, "min_share": t.min_share,
                   "wanted": wanted, "cells": len(cells), "met": len(cells) - len(gaps),
                   "fill_rate": round(sum(fills) / len(fills), 4) if fills else 1.0}
        return summary, gaps
