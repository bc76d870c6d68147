"""The inputs of the data card, normalized once: frames, reports, and the orders every section uses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from tuneset import schema as col
from tuneset.report import tally
from tuneset.report.html import Safe


@dataclass(frozen=True)
class Ctx:
    """Everything a section may read; built once by :func:`tuneset.report.datacard.build_datacard`."""

    manifest: pd.DataFrame
    examples: pd.DataFrame
    dropped: pd.DataFrame
    lineage: Mapping[str, Any]
    stage_reports: Mapping[str, Mapping[str, Any]]
    version: Mapping[str, Any]
    extras: Mapping[str, Any]  # other reports by name (``contradictions``, ``coverage``), parsed JSON
    splits: tuple[str, ...]
    kinds: tuple[str, ...]
    stages: tuple[str, ...]
    enabled: frozenset[str]

    @classmethod
    def build(cls, *, manifest: pd.DataFrame, examples: pd.DataFrame, dropped: pd.DataFrame,
              lineage: Mapping[str, Any], stage_reports: Mapping[str, Mapping[str, Any]],
              version: Mapping[str, Any], extras: Mapping[str, Any] | None = None) -> Ctx:
        manifest = manifest if manifest is not None else pd.DataFrame(columns=list(col.MANIFEST_COLUMNS))
        examples = examples if examples is not None else pd.DataFrame(columns=list(col.RECORD_COLUMNS))
        dropped = dropped if dropped is not None else pd.DataFrame(columns=list(col.DROPPED_COLUMNS))
        if col.SPLIT not in examples.columns and not examples.empty:
            split_of = dict(zip(tally.text_column(manifest, col.ORIGIN_ID), tally.column(manifest, col.SPLIT)))
            examples = examples.assign(**{col.SPLIT: [split_of.get(o) for o in
                                                      tally.text_column(examples, col.ORIGIN_ID)]})
        reports = {str(k): (v if isinstance(v, Mapping) else {}) for k, v in (stage_reports or {}).items()}
        return cls(
            manifest=manifest, examples=examples, dropped=dropped, lineage=lineage or {},
            stage_reports=reports, version=version or {},
            extras={str(k): v for k, v in (extras or {}).items() if v is not None},
            splits=tally.ordered(tally.column(manifest, col.SPLIT) + tally.column(examples, col.SPLIT), col.SPLITS),
            kinds=tally.kind_order(manifest, examples, dropped),
            stages=tally.stage_order(reports, dropped),
            enabled=tally.enabled_stages(reports, dropped),
        )

    @cached_property
    def labels(self) -> tally.LabelStats:
        return tally.label_stats(self.examples)

    # Lineage numbers, from reports/lineage.json when given, else counted from the frames.
    def count(self, key: str) -> int:
        value = tally.int_or_none(self.lineage.get(key))
        if value is not None:
            return value
        stages = tally.text_column(self.dropped, col.STAGE)
        quarantined = sum(1 for s in stages if s == "ingest")
        computed = {"quarantined": quarantined, "dropped": len(stages) - quarantined, "kept": len(self.manifest)}
        computed["raw_rows"] = sum(computed.values())
        return computed.get(key, 0)

    def kept_by_split(self) -> dict[str, int]:
        given = self.lineage.get("by_split")
        if isinstance(given, Mapping):
            return {s: tally.int_or_none(given.get(s)) or 0 for s in tally.ordered(given, self.splits)}
        counted = Counter(tally.text_column(self.manifest, col.SPLIT, "(none)"))
        return {s: counted.get(s, 0) for s in self.splits}


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    body: Safe
    lead: str = ""
