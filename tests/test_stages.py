"""The stage scripts run in-process on a small fixture: the same code path as `dvc repro`, minus DVC."""

from __future__ import annotations

import gzip
import json
import runpy
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from tuneset import config

REPO = Path(__file__).resolve().parents[1]

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


def run_stage(name: str, *args: str) -> None:
    argv = sys.argv
    sys.argv = [f"stages/{name}.py", *args]
    try:
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(REPO / "stages" / f"{name}.py"), run_name="__main__")
        assert exit_info.value.code == 0, f"stage {name} exited {exit_info.value.code}"
    finally:
        sys.argv = argv


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for d in ("conf", "expectations"):
        shutil.copytree(REPO / d, tmp_path / d)
    (tmp_path / "conf/config.yaml").write_text((REPO / "conf/config.yaml").read_text().replace("sources: sample", "sources: none"))
    monkeypatch.chdir(tmp_path)
    config.compose_params("conf", "params.yaml")
    return tmp_path


def test_stages_in_process_balance_the_books(workdir):
    units = write_fixture(workdir)
    run_stage("check_params")
    run_stage("ingest")
    run_stage("normalize")
    run_stage("split")
    run_stage("export", "--dropped", "data/ingest/dropped.parquet", "data/normalize/dropped.parquet",
              "data/split/dropped.parquet")
    lineage = json.loads((workdir / "reports/lineage.json").read_text())
    assert lineage["raw_rows"] == units and lineage["balanced"], lineage
    dropped = pd.read_parquet(workdir / "data/final/dropped.parquet")
    assert sorted(dropped["rule"]) == sorted(["invalid_json", "role_order", "final_assistant_turn",
                                              "known_roles", "invalid_record"])
    assert lineage["kept"] == 30 + 10 + 6
    exported = [json.loads(line) for s in ("train", "val", "test")
                for line in (workdir / f"data/final/sft/{s}.jsonl").read_text().splitlines()]
    assert len(exported) == 40
    assert all("case" not in m["content"] or m["role"] == "user" for e in exported for m in e["messages"])
    prefs = sum(len((workdir / f"data/final/preference/{s}.jsonl").read_text().splitlines()) for s in ("train", "val", "test"))
    assert prefs == 6
    gates = sorted(p.name for p in (workdir / "reports/gates").glob("*.json"))
    assert "manifest.json" in gates and "ingested.json" in gates
