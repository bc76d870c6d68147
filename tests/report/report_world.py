"""A small, fully known dataset for the data card tests, built with the real record and ledger helpers.

A plain module (not conftest) so test files can import its helpers by a name no other test folder uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import frames, ledger
from tuneset import schema as col
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message
from tuneset.rules import Rule, register


@register
@dataclass(frozen=True)
class ReportTestRule(Rule):
    """Test-only rule for the data card tests: drops whatever the test says."""

    name: ClassVar[str] = "report_test_rule"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = "filter"
    threshold: int = 3


@register
@dataclass(frozen=True)
class ReportTestUnparseable(Rule):
    """Test-only quarantine rule: the line is not JSON."""

    name: ClassVar[str] = "report_test_unparseable"
    version: ClassVar[int] = 2
    stage: ClassVar[str] = "ingest"


@register
@dataclass(frozen=True)
class ReportTestNearDup(Rule):
    """Test-only dedup rule: a near duplicate of a kept row."""

    name: ClassVar[str] = "report_test_near_dup"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = "dedup"
    jaccard: float = 0.8


@register
@dataclass(frozen=True)
class ReportTestOverlap(Rule):
    """Test-only decontamination rule: an n-gram shared with a benchmark item."""

    name: ClassVar[str] = "report_test_ngram_overlap"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = "decontaminate"
    ngram: int = 13


SCRIPT = "<script>alert(1)</script>"
TICKETS = SourceInfo(source="tickets", source_file="data/raw/tickets.jsonl", origin="production", license="CC-BY-4.0")
PAIRS = SourceInfo(source="pairs<b>", source_file="data/raw/pairs.jsonl", origin="expert", license="internal")


def sft(info: SourceInfo, line: int, user: str, answer: str, *, labels: dict[str, str] | None = None,
        system: str | None = None, group: str | None = None) -> dict[str, Any]:
    msgs = ([message("system", system)] if system else []) + [message("user", user), message("assistant", answer)]
    unit = Unit(locator=str(line), raw=f"{info.source_file}:{line}:{user}:{answer}".encode(),
                parsed=Parsed(kind="sft", messages=msgs, labels=labels or {}, group_id=group))
    return build_record(unit, info)


def pref(info: SourceInfo, line: int, prompt: str, chosen: str, rejected: str,
         labels: dict[str, str] | None = None) -> dict[str, Any]:
    unit = Unit(locator=str(line), raw=f"{line}:{prompt}".encode(),
                parsed=Parsed(kind="preference", messages=[message("user", prompt)],
                              chosen=[message("assistant", chosen)], rejected=[message("assistant", rejected)],
                              labels=labels or {}))
    return build_record(unit, info)


def kept_frames(rows: list[tuple[dict[str, Any], str, int, str | None]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(manifest, examples) from (record, split, n_tokens, cluster_id or None) tuples."""
    recs = []
    for rec, split, n, cluster in rows:
        recs.append({**rec, col.SPLIT: split, col.N_TOKENS: n, col.CLUSTER_ID: cluster or rec[col.ORIGIN_ID]})
    columns = (*col.RECORD_COLUMNS, col.SPLIT, col.CLUSTER_ID, col.N_TOKENS)
    examples = frames.records_frame(recs, columns)
    manifest = frames.records_frame(recs, col.MANIFEST_COLUMNS)
    return manifest, examples


@dataclass
class World:
    manifest: pd.DataFrame
    examples: pd.DataFrame
    dropped: pd.DataFrame
    lineage: dict[str, Any]
    stage_reports: dict[str, dict[str, Any]]
    version: dict[str, Any]
    records: dict[str, dict[str, Any]]

    def kwargs(self) -> dict[str, Any]:
        return dict(manifest=self.manifest, examples=self.examples, dropped=self.dropped, lineage=self.lineage,
                    stage_reports=self.stage_reports, version=self.version)


def make_world(tmp_path=None) -> World:
    r = {
        "a": sft(TICKETS, 1, "Where is my parcel?", "It ships tomorrow.", labels={"category": "shipping", "intent": "track"},
                 system="You are a helpful agent."),
        "b": sft(TICKETS, 2, "Refund please", "Refund issued.", labels={"category": "refunds", "intent": "refund"}),
        "c": sft(TICKETS, 3, "Bill is wrong", "Let me check the bill.", labels={"category": "billing", "intent": "dispute"}),
        "d": sft(TICKETS, 4, "Parcel lost", "We will resend it.", labels={"category": "shipping", "intent": "track"}),
        "e": sft(TICKETS, 5, "Parcel lost!!", "We will resend it.", labels={"category": "shipping", "intent": "track"}),
        "v1": sft(TICKETS, 6, f"Hi {SCRIPT} see https://evil.example/x.js", "Plain answer.",
                  labels={"category": "billing", "<i>odd</i>": "<b>bold</b>"}),
        "v2": pref(PAIRS, 1, "Write a haiku", "Autumn moonlight", "no", labels={"category": "shipping"}),
        "t1": sft(TICKETS, 7, "Long one", "x" * 5000, labels={"category": "refunds"}),
        "t2": sft(TICKETS, 8, "Change address", "Done.", labels={"category": "shipping"}),
    }
    kept = [
        (r["a"], "train", 5, None), (r["b"], "train", 15, None), (r["c"], "train", 15, None),
        (r["d"], "train", 120, None), (r["e"], "train", 30, r["d"][col.ORIGIN_ID]),
        (r["v1"], "val", 40, None), (r["v2"], "val", 22, None),
        (r["t1"], "test", 1300, None), (r["t2"], "test", 8, None),
    ]
    manifest, examples = kept_frames(kept)

    # Dropped units: 2 quarantined at ingest, 5 filtered, 1 dedup duplicate of d, 1 contaminated.
    bad, filt, dup, cont = ReportTestUnparseable(), ReportTestRule(), ReportTestNearDup(), ReportTestOverlap()
    rows = []
    for i in range(2):
        prov = {col.ORIGIN_ID: f"q{i}" + "0" * 62, col.SOURCE: "tickets", col.SOURCE_FILE: "data/raw/broken.jsonl",
                col.LOCATOR: str(i + 1), col.ORIGIN: "production"}
        rows.append(ledger.dropped_row(prov, stage="ingest", rule=bad, reason=f"line {i + 1}: not JSON {SCRIPT}",
                                       preview_text=b"{oops"))
    for i in range(5):
        rec = sft(TICKETS, 100 + i, f"short {i}", f"ok {i}")
        rows.append(ledger.dropped_row(rec, stage="filter", rule=filt, reason=f"too short ({i} < 3)",
                                       details={"score": i, "threshold": 3}))
    dup_rec = sft(TICKETS, 200, "Parcel lost?", "We will resend it.")
    rows.append(ledger.dropped_row(dup_rec, stage="dedup", rule=dup, reason="near duplicate",
                                   duplicate_of=r["d"][col.ORIGIN_ID], details={"jaccard": 0.91}))
    bench_rec = sft(TICKETS, 300, "What is the capital of France?", "Paris.")
    rows.append(ledger.dropped_row(bench_rec, stage="decontaminate", rule=cont, reason="13-gram overlap with mmlu",
                                   details={"benchmark": "mmlu-dev", "ngram": "what is the capital of france"}))
    dropped = ledger.dropped_frame(rows)

    by_split = {"train": 5, "val": 2, "test": 2}
    raw_ids = manifest[col.ORIGIN_ID].tolist() + dropped[col.ORIGIN_ID].tolist()
    lineage = ledger.lineage(raw_ids, manifest, dropped)
    assert lineage["raw_rows"] == 18 and lineage["balanced"] and lineage["by_split"] == by_split
    stage_reports = {
        "ingest": {"rows_in": 18, "rows_out": 16, "dropped_by_rule": {"report_test_unparseable": 2},
                   "files": 3, "formats": {"openai": 2, "unknown": 1}},
        "normalize": {"rows_in": 16, "rows_out": 16, "dropped_by_rule": {}},
        "filter": {"rows_in": 16, "rows_out": 11, "dropped_by_rule": {"report_test_rule": 5},
                   "score_mean": 0.25},
        "dedup": {"rows_in": 11, "rows_out": 10, "dropped_by_rule": {"report_test_near_dup": 1},
                  "contradictions": 0},
        "decontaminate": {"rows_in": 10, "rows_out": 9, "dropped_by_rule": {"report_test_ngram_overlap": 1}},
        "split": {"rows_in": 9, "rows_out": 9, "dropped_by_rule": {}, "by_split": by_split},
    }
    version = {"dataset_version": "ab" * 32, "counts": {"sft": {"train": 5, "val": 1, "test": 2},
                                                        "preference": {"train": 0, "val": 1, "test": 0}},
               "params_fingerprint": "cd" * 32, "pii_salt_fingerprint": "ef" * 8}
    world = World(manifest, examples, dropped, lineage, stage_reports, version, r)
    if tmp_path is not None:  # the frames as the pipeline hands them over: through Parquet
        frames.write_parquet(manifest, tmp_path / "manifest.parquet")
        frames.write_parquet(examples, tmp_path / "examples.parquet")
        frames.write_parquet(dropped, tmp_path / "dropped.parquet", col.DROPPED_TYPES)
        world.manifest = frames.read_parquet(tmp_path / "manifest.parquet")
        world.examples = frames.read_parquet(tmp_path / "examples.parquet")
        world.dropped = frames.read_parquet(tmp_path / "dropped.parquet")
    return world


def cut_section(page: str, section_id: str) -> str:
    """The inner HTML of ``<section id=section_id>`` (sections never nest)."""
    m = re.search(rf'<section id="{re.escape(section_id)}"[^>]*>(.*?)</section>', page, re.S)
    assert m, f"no section {section_id!r} in the page"
    return m.group(1)


def cut_stage(page: str, stage: str) -> str:
    """The block of one stage inside the stage-reports section."""
    body = cut_section(page, "stages")
    m = re.search(rf'id="stage-{re.escape(stage)}">(.*?)(?=<div class="stage"|$)', body, re.S)
    assert m, f"no stage block {stage!r}"
    return m.group(1)
