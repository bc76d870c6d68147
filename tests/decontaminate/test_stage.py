"""stages/decontaminate.py in-process: streams batches, keeps order, writes the dropped table, report and gates."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from tuneset import frames

from stage_helpers import run_stage

QUESTION = ("Which two prime numbers that differ by exactly two add up to the number thirty six, and how can a "
            "student check the answer quickly?")


def test_stage_drops_contaminated_rows_and_keeps_the_rest_in_order(stage_workdir, record_factory):
    bench = stage_workdir / "data/benchmarks/primes"
    bench.mkdir(parents=True)
    (bench / "test.jsonl").write_text(json.dumps({"id": "P1", "question": QUESTION, "answer": "17 and 19."}) + "\n")
    records = [record_factory(user=f"Question {i}: how do I rename folder number {i}?", locator=str(i)) for i in range(1, 8)]
    records.insert(3, record_factory(user=f"Homework: {QUESTION}", locator="99"))
    frames.write_parquet(frames.records_frame(records), "data/dedup/examples.parquet")
    run_stage("decontaminate", "--input", "data/dedup/examples.parquet")
    kept = pq.read_table("data/decontaminate/examples.parquet")
    assert kept.column("locator").to_pylist() == [str(i) for i in range(1, 8)]
    assert kept.schema == pq.read_schema("data/dedup/examples.parquet")
    dropped = frames.read_parquet("data/decontaminate/dropped.parquet")
    assert dropped["locator"].tolist() == ["99"] and dropped["rule"].tolist() == ["benchmark_overlap"]
    details = json.loads(dropped["details"].iat[0])
    assert details["benchmark"] == "data/benchmarks/primes/test.jsonl" and details["item_id"] == "P1"
    report = json.loads(Path("reports/decontaminate.json").read_text())
    assert report["rows_in"] == 8 and report["rows_out"] == 7
    assert report["dropped_by_rule"] == {"benchmark_overlap": 1}
    assert report["benchmarks"]["primes"]["contaminated"] == 1
    assert report["by_source"] == {"test": {"rows": 8, "contaminated": 1}}
    assert Path("reports/gates/decontaminated.json").exists() and Path("reports/gates/decontaminate_dropped.json").exists()
    first = Path("data/decontaminate/examples.parquet").read_bytes()
    run_stage("decontaminate", "--input", "data/dedup/examples.parquet")
    assert Path("data/decontaminate/examples.parquet").read_bytes() == first  # byte-identical rerun


def test_stage_without_benchmarks_keeps_everything(stage_workdir, record_factory):
    frames.write_parquet(frames.records_frame([record_factory(locator="1")]), "in.parquet")
    run_stage("decontaminate", "--input", "in.parquet", "--benchmarks", "data/benchmarks")
    assert pq.read_table("data/decontaminate/examples.parquet").num_rows == 1
    report = json.loads(Path("reports/decontaminate.json").read_text())
    assert report["dropped_by_rule"] == {} and "no benchmark folder" in report["notes"][0]
