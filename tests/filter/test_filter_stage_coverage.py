"""The filter stage script end to end on a small table: labels in the output, balance caps as drops,
reports/filter.json and reports/coverage.json written, gates passed; and `tuneset rules`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tuneset import frames
from tuneset import schema as col
from tuneset.cli import main as cli_main
from tuneset.rules import REGISTRY

from stage_helpers import run_stage

REPO = Path(__file__).resolve().parents[2]


def test_stage_writes_labels_coverage_and_balance_drops(tmp_path, monkeypatch, record_factory):
    shutil.copytree(REPO / "expectations", tmp_path / "expectations")
    monkeypatch.chdir(tmp_path)
    recs = [record_factory(locator=str(i), user=f"I was charged twice, ticket {i}", answer=f"Refunded charge {i}.",
                           labels={"category": "Billing"}) for i in range(8)]
    recs += [record_factory(locator=str(100 + i), user=f"I want a refund for order {i}", answer=f"Refund {i} is on its way.")
             for i in range(2)]
    recs.append(record_factory(locator="200", user="Any update?", answer="As an AI language model, I cannot check."))
    frames.write_parquet(frames.records_frame(recs), "in/examples.parquet")
    params = {"target": {"tokenizer": "o200k_base", "context_tokens": 8192, "template": "chatml"},
              "filter": {"rules": [{"rule": "context_limit"}, {"rule": "refusal", "action": "label"}],
                         "labels": {"fields": {"intent": "category"}, "values": {"intent": {"Billing": "billing"}},
                                    "taxonomies": {"intent": {"classes": [{"value": "refund", "keywords": ["refund"]}],
                                                              "default": "other"}}},
                         "coverage": {"targets": [{"label": "intent", "min_count": 3,
                                                   "values": ["billing", "refund", "login"]}]},
                         "balance": [{"label": "intent", "max_count": 5}]}}
    Path("params.yaml").write_text(yaml.safe_dump(params))
    run_stage("filter", "--input", "in/examples.parquet", "--out", "data/filter")
    kept = frames.read_parquet("data/filter/examples.parquet")
    intents = sorted(m["intent"] for m in kept[col.LABELS])
    assert intents == ["billing"] * 5 + ["other"] + ["refund"] * 2
    assert sorted(m["refusal"] for m in kept[col.LABELS]) == ["no"] * 7 + ["yes"]
    assert not Path("data/filter/_before_balance.parquet").exists()
    dropped = frames.read_parquet("data/filter/dropped.parquet")
    assert dropped[col.RULE].tolist() == ["balance_cap"] * 3
    report = json.loads(Path("reports/filter.json").read_text())
    assert report["rows_in"] == 11 and report["rows_out"] == 8 and report["dropped_by_rule"] == {"balance_cap": 3}
    assert set(report["score_distributions"]) == {"template_renders", "context_limit", "refusal"}
    coverage = json.loads(Path("reports/coverage.json").read_text())
    assert coverage["examples"] == 8
    assert [(g["value"], g["count"]) for g in coverage["gaps"]] == [("login", 0), ("refund", 2)]
    assert Path("reports/gates/filtered.json").exists()


def test_rules_command_prints_the_catalogue(capsys):
    assert cli_main(["rules", "--stage", "filter"]) == 0
    out = capsys.readouterr().out
    for name in ("min_answer_tokens", "repeated_ngrams", "refusal", "language", "metadata", "license",
                 "template_leftovers", "restates_question", "balance_cap", "context_limit"):
        assert f"\n{name}  (version {REGISTRY[name].version})\n" in "\n" + out
    assert "fewest answer tokens kept" in out  # a parameter's help
    assert cli_main(["rules", "--stage", "filter", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    refusal = next(e for e in entries if e["rule"] == "refusal")
    assert refusal["stage"] == "filter" and {p["name"] for p in refusal["params"]} == {"action", "phrases",
                                                                                      "extra_phrases", "label"}
    assert cli_main(["rules", "--stage", "nope"]) == 1
