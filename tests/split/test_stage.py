"""stages/split.py in-process: example_id order, history from git HEAD, the leakage gate's exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tuneset import frames
from tuneset import schema as col

from stage_helpers import run_stage

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def write_input(records, path="data/decontaminate/examples.parquet"):
    df = frames.records_frame(records)
    df[col.CLUSTER_ID] = df[col.ORIGIN_ID]
    frames.write_parquet(df, path)
    return df


def distinct(record_factory, n: int, start: int = 0):
    return [record_factory(user=f"Case {i}: the {w} widget shows code {i * 7} after update {i % 5}.",
                           answer=f"Reinstall the {w} widget, version {i}.", locator=str(i), group=f"t{i // 2}")
            for i, w in zip(range(start, start + n), (f"w{j}" for j in range(start, start + n)))]


def test_stage_writes_example_id_order_and_passes_the_gate(stage_workdir, record_factory):
    write_input(distinct(record_factory, 60))
    run_stage("split", "--input", "data/decontaminate/examples.parquet")
    table = pq.read_table("data/split/examples.parquet")
    keys = list(zip(table.column(col.EXAMPLE_ID).to_pylist(), table.column(col.ORIGIN_ID).to_pylist()))
    assert keys == sorted(keys) and table.num_rows == 60
    assert {col.SPLIT, col.CLUSTER_ID} <= set(table.column_names)
    report = json.loads(Path("reports/split.json").read_text())
    assert report["leakage"]["ok"] and "history" not in report  # a metric: a function of the output alone
    run = json.loads(Path("reports/timings/split.json").read_text())
    assert run["history"]["status"].startswith("no history") and run["rows"] == 60
    assert pq.read_table("data/split/dropped.parquet").num_rows == 0
    assert Path("reports/gates/split.json").exists()


def test_stage_fails_and_names_the_pair_when_something_leaks(stage_workdir, record_factory, capsys):
    # the same short example under 20 different tickets: nothing groups them, so some straddle splits
    same = [record_factory(user="Reset my password please", answer="Use the reset link.", locator=str(i), group=f"x{i}")
            for i in range(20)]
    write_input(distinct(record_factory, 20) + same)
    run_stage("split", "--input", "data/decontaminate/examples.parquet", code=1)
    report = json.loads(Path("reports/split.json").read_text())
    assert not report["leakage"]["ok"] and report["leakage"]["violations"]["exact"] >= 1
    example = next(e for e in report["leakage"]["examples"] if e["check"] == "exact")
    assert example["a"].split()[1:] != example["b"].split()[1:] and "data/raw/t.jsonl" in example["a"]
    assert "LEAK exact:" in capsys.readouterr().err


def test_stage_keeps_the_splits_committed_at_head(stage_workdir, record_factory):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["git", "init", "-q"], check=True, env=env)
    write_input(distinct(record_factory, 80))
    run_stage("split", "--input", "data/decontaminate/examples.parquet")
    first = frames.read_parquet("data/split/examples.parquet")
    # commit a manifest (git-tracked here; DVC-tracked in the pipeline) as the last dataset version
    frames.write_parquet(first[[col.EXAMPLE_ID, col.ORIGIN_ID, col.SPLIT]], "data/final/manifest.parquet")
    subprocess.run(["git", "add", "data/final/manifest.parquet", "params.yaml"], check=True, env=env)
    subprocess.run([*GIT, "commit", "-qm", "v1"], check=True, env=env)
    write_input(distinct(record_factory, 80) + distinct(record_factory, 20, start=80))
    # a different salt in params.yaml would reshuffle: keep it, change only the data
    run_stage("split", "--input", "data/decontaminate/examples.parquet")
    second = frames.read_parquet("data/split/examples.parquet")
    before = dict(zip(first[col.ORIGIN_ID], first[col.SPLIT]))
    after = dict(zip(second[col.ORIGIN_ID], second[col.SPLIT]))
    assert all(after[o] == s for o, s in before.items())
    run = json.loads(Path("reports/timings/split.json").read_text())["history"]
    assert run["used"] and run["existing_rows"] == 80 and run["new_rows"] == 20
    assert run["status"] == "80 assignments from data/final/manifest.parquet at HEAD"
