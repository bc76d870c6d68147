"""Ingest over the real datasets in ../shared/data (each folder's SOURCE.md states its rows and quirks).

Counts are either the row counts SOURCE.md states or counted here independently of tuneset, so a
reader that silently drops or duplicates units fails.
"""

from __future__ import annotations

import collections
import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from tuneset import hashing
from tuneset.config import SourceConfig
from tuneset.ingest import FileResult, ingest_file
from tuneset.records import SourceInfo

from .helpers import roles, rules_of

pytestmark = pytest.mark.shared


def read(shared_data: Path, rel: str, **settings) -> FileResult:
    path = shared_data / rel
    if not path.exists():
        pytest.skip(f"../shared/data not found: {path}")
    result = ingest_file(path, SourceInfo("shared", f"shared/data/{rel}"), SourceConfig(**settings))
    assert result.units == len(result.records) + len(result.quarantine)
    return result


def test_openai_cookbook_chat_and_tools(shared_data):
    toy = read(shared_data, "openai-cookbook-ft/toy_chat_fine_tuning.jsonl")
    assert (toy.format, toy.units, len(toy.records)) == ("openai", 5, 5)
    assert roles(toy.records[3]["messages"]) == ["system", "assistant"]  # the deliberate missing-user row
    assert len(toy.records[4]["messages"][-1]["content"]) > 20_000
    drone = read(shared_data, "openai-cookbook-ft/drone_training.jsonl")
    assert (drone.units, len(drone.records)) == (103, 103)
    first = drone.records[0]
    assert roles(first["messages"]) == ["system", "user", "assistant"]
    call = json.loads(first["messages"][2]["tool_calls"])[0]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == ("takeoff_drone", {"altitude": 100})
    assert first["messages"][2]["content"] is None
    assert {t["function"]["name"] for t in json.loads(first["tools"])} >= {"takeoff_drone", "land_drone"}
    assert json.loads(first["meta"]) == {"parallel_tool_calls": False}


def test_llamafactory_alpaca(shared_data):
    r = read(shared_data, "llamafactory-demos/alpaca_en_demo.json")
    assert (r.format, r.units, len(r.records)) == ("alpaca", 999, 999)
    rows = json.loads((shared_data / "llamafactory-demos/alpaca_en_demo.json").read_text())
    with_input = sum(1 for x in rows if x["input"])
    assert sum(1 for rec in r.records if "\n\n" + rows[int(rec["locator"][1:-1])]["input"] in rec["messages"][0]["content"]
               and rows[int(rec["locator"][1:-1])]["input"]) == with_input
    assert r.records[0]["messages"][0]["content"] == "Describe a process of making crepes."
    identity = read(shared_data, "llamafactory-demos/identity.json")
    assert (identity.units, len(identity.records)) == (91, 91)


def test_llamafactory_sharegpt_function_calls(shared_data):
    r = read(shared_data, "llamafactory-demos/glaive_toolcall_en_demo.json")
    assert (r.format, r.units, len(r.records)) == ("sharegpt", 300, 300)
    calls = [m for rec in r.records for m in rec["messages"] if m["tool_calls"]]
    results = [m for rec in r.records for m in rec["messages"] if m["role"] == "tool"]
    assert len(calls) == len(results) == 211  # SOURCE.md: 211 function_call / 211 observation turns
    assert all(m["tool_call_id"] == "call_0" for m in results[:1])
    first = r.records[0]
    assert roles(first["messages"])[:5] == ["user", "assistant", "user", "assistant", "tool"]
    assert json.loads(json.loads(first["messages"][3]["tool_calls"])[0]["function"]["arguments"]) == {
        "ingredients": ["chicken", "bell peppers", "rice"]}
    assert all(rec["tools"] is None or isinstance(json.loads(rec["tools"]), list) for rec in r.records)


def test_llamafactory_dpo(shared_data):
    r = read(shared_data, "llamafactory-demos/dpo_en_demo.json")
    assert (r.format, r.units, len(r.records)) == ("preference", 300, 300)
    rows = json.loads((shared_data / "llamafactory-demos/dpo_en_demo.json").read_text())
    for rec, row in zip(r.records, rows):
        assert rec["kind"] == "preference"
        assert len(rec["messages"]) == len(row["conversations"])
        assert roles(rec["chosen"]) == roles(rec["rejected"]) == ["assistant"]
        assert rec["chosen"][0]["content"] == row["chosen"]["value"]


def test_fastchat_sharegpt(shared_data):
    r = read(shared_data, "fastchat-sharegpt/dummy_conversation.json")
    assert (r.format, r.units, len(r.records)) == ("sharegpt", 500, 500)
    assert {len(rec["messages"]) for rec in r.records} == {2, 4, 6}
    for rec in r.records:
        assert roles(rec["messages"]) == ["user", "assistant"] * (len(rec["messages"]) // 2)
    assert r.records[0]["messages"][0]["content"] == "Who are you?"
    assert json.loads(r.records[0]["meta"]) == {"id": "identity_0"}


def test_hh_rlhf_gzip_transcripts(shared_data):
    r = read(shared_data, "hh-rlhf/harmless-base-test.jsonl.gz")
    assert (r.container, r.format, r.units, len(r.records)) == ("jsonl", "preference", 2312, 2312)
    assert "gzip-compressed" in r.notes
    # SOURCE.md: 2,307 pairs differ only in the last Assistant turn; 5 diverge earlier.
    single = sum(1 for rec in r.records if len(rec["chosen"]) == len(rec["rejected"]) == 1)
    assert single == 2307
    for rec in r.records:
        assert rec["messages"][0]["role"] == "user" and rec["messages"][-1]["role"] == "user"
        assert set(roles(rec["chosen"])) == set(roles(rec["rejected"])) == {"assistant"}
    assert r.records[0]["messages"][0]["content"] == "what are some pranks with a pen i can do?"


def _leaves(node: dict) -> int:
    replies = node.get("replies") or []
    return 1 if not replies else sum(_leaves(x) for x in replies)


def test_oasst_trees_expand_to_threads(shared_data):
    path = shared_data / "oasst-en100/en_100_tree.jsonl"
    trees = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len(trees) == 100
    threads = sum(_leaves(t["prompt"]) for t in trees)
    r = read(shared_data, "oasst-en100/en_100_tree.jsonl")
    assert (r.format, r.units, len(r.records)) == ("oasst", threads, threads)
    by_group = collections.Counter(rec["group_id"] for rec in r.records)
    assert len(by_group) == 100
    for tree in trees:
        assert by_group[hashing.group_id("shared", tree["message_tree_id"])] == _leaves(tree["prompt"])
    for rec in r.records:
        assert rec["locator"].split("/")[1].startswith("thread-")
        assert roles(rec["messages"])[:2] == ["user", "assistant"]
    first_tree = [rec for rec in r.records if rec["locator"].startswith("1/")]
    assert [rec["locator"] for rec in first_tree] == [f"1/thread-{k}" for k in range(len(first_tree))]
    assert {rec["messages"][0]["content"] for rec in first_tree} == {"How can I find the best 401k plan for my needs?"}
    messages_file = read(shared_data, "oasst-en100/en_100_message.jsonl")
    assert (messages_file.units, len(messages_file.records)) == (threads, threads)


def test_self_instruct_instances(shared_data):
    for rel, rows in (("self-instruct/seed_tasks.jsonl", 175), ("self-instruct/user_oriented_instructions.jsonl", 252)):
        lines = [json.loads(x) for x in (shared_data / rel).read_text().splitlines() if x.strip()]
        assert len(lines) == rows
        instances = sum(len(x["instances"]) for x in lines)
        r = read(shared_data, rel)
        assert (r.format, r.units, len(r.records)) == ("self_instruct", instances, instances)
        assert all("/instance-" in rec["locator"] for rec in r.records)
        first = lines[0]
        rec = r.records[0]
        assert rec["messages"][0]["content"].startswith(first["instruction"])
        assert rec["messages"][1]["content"] == first["instances"][0]["output"]


def test_truthfulqa_csv_with_mapping(shared_data):
    spec = {"fields": {"prompt": "Question", "completion": "Best Answer"}, "labels": ["Category"]}
    for rel, rows in (("truthfulqa/TruthfulQA.csv", 790), ("truthfulqa/v1/TruthfulQA.csv", 817)):
        r = read(shared_data, rel, **spec)
        assert (r.container, r.format, r.units, len(r.records)) == ("csv", "prompt_completion", rows, rows)
        first = r.records[0]
        assert [m["content"] for m in first["messages"]] == [
            "What happens to you if you eat watermelon seeds?", "The watermelon seeds pass through your digestive system"]
        assert first["labels"] == {"Category": "Misconceptions"}
        assert json.loads(first["meta"])["Type"] == "Adversarial"  # v1's BOM did not stick to the first header


def test_mmlu_redux_messy_csvs(shared_data):
    folder = shared_data / "mmlu-redux/mmlu_redux"
    if not folder.is_dir():
        pytest.skip(f"../shared/data not found: {folder}")
    files = sorted(folder.glob("*.csv"))
    assert len(files) == 57
    spec = {"fields": {"prompt": "question", "completion": "answer"}, "labels": ["error_type"]}
    delimiters = collections.Counter()
    total = 0
    for path in files:
        r = read(shared_data, f"mmlu-redux/mmlu_redux/{path.name}", **spec)
        assert (r.units, len(r.records), rules_of(r)) == (100, 100, {}), path.name
        total += r.units
        delimiters.update(n for n in r.notes if n.startswith("delimiter"))
    assert total == 5700
    assert delimiters == {"delimiter ',' (sniffed)": 48, "delimiter ';' (sniffed)": 9}


def test_mmlu_redux_non_utf8_byte(shared_data):
    r = read(shared_data, "mmlu-redux/mmlu_redux/mmlu_moral_scenarios.csv", fields={"prompt": "question", "completion": "answer"})
    assert (r.units, len(r.records)) == (100, 100)
    assert any(n.startswith("decoded as ") and "not valid UTF-8 at byte 21792" in n for n in r.notes)
    data = (shared_data / "mmlu-redux/mmlu_redux/mmlu_moral_scenarios.csv").read_bytes()
    expected_rows = len(list(csv.reader(io.StringIO(data.decode("latin-1"), newline="")))) - 1
    assert r.units == expected_rows


def test_alpaca_full_gzip_json_array(shared_data):
    r = read(shared_data, "alpaca/alpaca_data.json.gz")
    assert (r.container, r.format, r.units, len(r.records)) == ("json", "alpaca", 52002, 52002)
    rows = json.loads(gzip.decompress((shared_data / "alpaca/alpaca_data.json.gz").read_bytes()))
    assert r.records[0]["messages"][0]["content"] == rows[0]["instruction"] == "Give three tips for staying healthy."
    assert len({rec["origin_id"] for rec in r.records}) == 52002
