"""The stage scripts run in-process on a small fixture: the same code path as `dvc repro`, minus DVC."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd

from stage_helpers import run_stage

GOOD = {"messages": [{"role": "user", "content": "How do I export my files?"},
                     {"role": "assistant", "content": "Open Settings, then Export."}]}
BROKEN_LINES = [
    '{"messages": [{"role": "user", "content": "cut off"',                                    # invalid JSON
    json.dumps({"messages": [{"role": "assistant", "content": "Hi"}, {"role": "user", "content": "?"}]}),  # assistant first
    json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "   "}]}),  # empty answer
    json.dumps({"messages": [{"role": "narrator", "content": "q"}, {"role": "assistant", "content": "a"}]}),  # bad role
]


def write_fixture(root: Path) -> int:
    raw = root / "data/raw/mixed"
    raw.mkdir(parents=True)
    lines = []
    for i in range(30):
        good = json.loads(json.dumps(GOOD))
        good["messages"][0]["content"] += f" (case {i})"
        lines.append(json.dumps(good))
    lines[5:5] = BROKEN_LINES
    (raw / "chat.jsonl").write_text("\n".join(lines) + "\n")
    alpaca = [{"instruction": f"Explain plan {i}.", "input": "", "output": f"Plan {i} includes 2 TB."} for i in range(10)]
    alpaca.append({"instruction": "Missing output"})
    (raw / "kb.json").write_text(json.dumps(alpaca))
    with gzip.open(raw / "prefs.jsonl.gz", "wt") as f:
        for i in range(6):
            f.write(json.dumps({"prompt": f"Can I get a refund {i}?", "chosen": "Yes, within 30 days.", "rejected": "No."}) + "\n")
    return len(lines) + len(alpaca) + 6


def test_stages_in_process_balance_the_books(stage_workdir):
    units = write_fixture(stage_workdir)
    run_stage("check_params")
    run_stage("ingest")
    run_stage("normalize")
    run_stage("split")
    run_stage("export", "--dropped", "data/ingest/dropped.parquet", "data/normalize/dropped.parquet",
              "data/split/dropped.parquet")
    lineage = json.loads((stage_workdir / "reports/lineage.json").read_text())
    assert lineage["raw_rows"] == units and lineage["balanced"], lineage
    dropped = pd.read_parquet(stage_workdir / "data/final/dropped.parquet")
    assert sorted(dropped["rule"]) == sorted(["invalid_json", "role_order", "final_assistant_turn",
                                              "known_roles", "invalid_record"])
    assert lineage["kept"] == 30 + 10 + 6
    exported = [json.loads(line) for s in ("train", "val", "test")
                for line in (stage_workdir / f"data/final/sft/{s}.jsonl").read_text().splitlines()]
    assert len(exported) == 40
    assert all("case" not in m["content"] or m["role"] == "user" for e in exported for m in e["messages"])
    prefs = sum(len((stage_workdir / f"data/final/preference/{s}.jsonl").read_text().splitlines())
                for s in ("train", "val", "test"))
    assert prefs == 6
    gates = sorted(p.name for p in (stage_workdir / "reports/gates").glob("*.json"))
    assert "manifest.json" in gates and "ingested.json" in gates
