"""The bundled sample: its planted copies of support_bench items are caught, and nothing else is."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tuneset import config, frames
from tuneset.decontaminate import decontaminate, load_benchmarks, prepare, report
from tuneset.ingest import discover, ingest_file, source_info
from tuneset.normalize import normalize

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "data/benchmarks/sample/support_bench.jsonl"


def _normalized_sample():
    sources = config.load_sources({"sources": yaml.safe_load((REPO / "conf/sources/sample.yaml").read_text())})
    files, _ = discover(REPO / "data/raw", REPO, sources)
    records = []
    for path, name, spec in files:
        records += ingest_file(path, source_info(path, REPO, name, spec), spec).records
    return normalize(frames.records_frame(records), config.NormalizeConfig()).examples


def test_the_planted_contamination_of_the_sample_is_caught_exactly():
    df = _normalized_sample()
    questions = {json.loads(line)["question"].lower() for line in BENCH.read_text(encoding="utf-8").splitlines()}
    # Ground truth, independent of the matcher: rows holding a benchmark question (any case).
    planted = {o for o, msgs in zip(df["origin_id"], df["messages"])
               if any((m.get("content") or "").lower() in questions for m in msgs)}
    case_changed = {o for o, msgs in zip(df["origin_id"], df["messages"])
                    if any((m.get("content") or "").lower() in questions and m.get("content") not in
                           {json.loads(x)["question"] for x in BENCH.read_text().splitlines()} for m in msgs)}
    assert len(planted) == 10 and len(case_changed) == 3
    cfg = config.DecontaminateConfig()
    bench = prepare(load_benchmarks(REPO / "data/benchmarks", REPO, cfg), cfg)
    result = decontaminate(df, bench, cfg)
    assert set(result.dropped["origin_id"]) == planted
    details = [json.loads(d) for d in result.dropped["details"]]
    assert {d["benchmark"] for d in details} == {"data/benchmarks/sample/support_bench.jsonl"}
    assert all(d["ngram"] and d["item_id"].startswith("SB-") for d in details)
    summary = report(bench, cfg, [result.counts])
    assert summary["benchmarks"]["sample"]["contaminated"] == 10
    assert summary["rows_in"] == len(df) and summary["rows_out"] == len(df) - 10
    assert sum(v["contaminated"] for v in summary["by_source"].values()) == 10
    assert summary["dropped_by_rule"] == {"benchmark_overlap": 10}
