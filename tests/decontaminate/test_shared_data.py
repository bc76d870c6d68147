"""Acceptance on real benchmarks in ../shared/data: GSM8K light edits, the five benchmark sets, code boilerplate."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tuneset.config import BenchmarkConfig, DecontaminateConfig, SourceConfig
from tuneset.decontaminate import decontaminate, load_benchmarks, prepare
from tuneset.frames import records_frame
from tuneset.ingest import ingest_file, source_info
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message

pytestmark = pytest.mark.shared

# gsm8k/SOURCE.md: train lines that genuinely near-copy test items 633, 582 and 603.
KNOWN_NEAR_COPIES = {21: 633, 407: 582, 1315: 603, 5163: 603}
FIVE = {
    "gsm8k": BenchmarkConfig(glob="gsm8k/test.jsonl"),
    "humaneval": BenchmarkConfig(glob="humaneval/HumanEval.jsonl.gz"),
    "truthfulqa": BenchmarkConfig(glob="truthfulqa/v1/TruthfulQA.csv"),
    "mmlu": BenchmarkConfig(glob="mmlu-redux/mmlu_redux/*.csv"),
    "mtbench": BenchmarkConfig(glob="mt-bench/question.jsonl"),
}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _record(user: str, answer: str, locator: str, file: str) -> dict:
    parsed = Parsed(kind="sft", messages=[message("user", user), message("assistant", answer)])
    return build_record(Unit(locator, f"{file}:{locator}".encode(), parsed=parsed), SourceInfo("train", file))


def _edit(question: str, kind: str, rng: random.Random) -> str:
    words = question.split()
    i = rng.randrange(1, len(words) - 2)  # inside the question: its first and last words stay
    if kind == "greeting":
        return rng.choice(["Hi! ", "Hello there, can you help me with this? ", "Good morning. "]) + question
    if kind == "case":
        return question.lower() if rng.random() < 0.5 else question.upper()
    if kind == "drop":
        return " ".join(words[:i] + words[i + 1:])
    words[i], words[i + 1] = words[i + 1], words[i]  # swap
    return " ".join(words)


def test_gsm8k_light_edits_are_removed_and_clean_train_rows_survive(shared_data: Path, tmp_path: Path):
    cfg = DecontaminateConfig(benchmarks={"gsm8k": FIVE["gsm8k"]})
    bench = prepare(load_benchmarks(tmp_path / "none", shared_data, cfg), cfg)
    assert bench.benchmarks.items == 1319
    train = _lines(shared_data / "gsm8k/train.jsonl")
    test = _lines(shared_data / "gsm8k/test.jsonl")
    rng = random.Random(20261122)
    kinds = ("greeting", "drop", "swap", "case")
    records = [_record(r["question"], r["answer"], str(i + 1), "data/raw/gsm8k_train.jsonl") for i, r in enumerate(train)]
    # Each test question, lightly edited, with a clean train answer: only the question can give it away.
    records += [_record(_edit(r["question"], kinds[i % 4], rng), train[i]["answer"], str(i + 1), "data/raw/hidden.jsonl")
                for i, r in enumerate(test)]
    result = decontaminate(records_frame(records), bench, cfg)
    dropped = result.dropped
    hidden = dropped[dropped["source_file"] == "data/raw/hidden.jsonl"]
    assert len(hidden) / len(test) >= 0.95, f"caught {len(hidden)} of {len(test)} edited test questions"
    own = sum(int(json.loads(d)["item"]) == int(loc) for loc, d in zip(hidden["locator"], hidden["details"]))
    assert own / len(hidden) >= 0.99  # the rest hit another test item sharing a template (reported: the first)
    flagged_train = {int(loc): json.loads(d) for loc, d, f in zip(dropped["locator"], dropped["details"], dropped["source_file"])
                     if f == "data/raw/gsm8k_train.jsonl"}
    for line, item in KNOWN_NEAR_COPIES.items():
        assert line in flagged_train and int(flagged_train[line]["item"]) == item, line
    clean = len(train) - len(KNOWN_NEAR_COPIES)
    survived = clean - len(set(flagged_train) - set(KNOWN_NEAR_COPIES))
    assert survived / clean >= 0.98, f"{survived} of {clean} clean train rows survived"


def _ingest(shared_data: Path, rel: str) -> object:
    spec = SourceConfig()
    return records_frame(ingest_file(shared_data / rel, source_info(shared_data / rel, shared_data, "x", spec), spec).records)


def test_all_five_benchmark_sets_load_with_their_text_fields(shared_data: Path, tmp_path: Path):
    cfg = DecontaminateConfig(benchmarks=FIVE)
    bench = load_benchmarks(tmp_path / "none", shared_data, cfg)
    items = {}
    for f in bench.files:
        items[f["benchmark"]] = items.get(f["benchmark"], 0) + f["items"]
    assert items == {"gsm8k": 1319, "humaneval": 164, "truthfulqa": 817, "mmlu": 5700, "mtbench": 80}
    fields = {(t.benchmark, t.field.split("[")[0]) for t in bench.texts}
    assert {("truthfulqa", "Question"), ("truthfulqa", "Best Answer"), ("mmlu", "question"), ("mmlu", "choices"),
            ("humaneval", "prompt"), ("humaneval", "canonical_solution"), ("mtbench", "turns")} <= fields
    assert not {("truthfulqa", "Category"), ("truthfulqa", "Type"), ("mmlu", "error_type"), ("humaneval", "task_id"),
                ("humaneval", "entry_point"), ("mtbench", "category")} & fields
    moral = next(f for f in bench.files if f["file"].endswith("mmlu_moral_scenarios.csv"))
    assert moral["items"] == 100  # the non-UTF-8 byte does not lose the file


def test_code_boilerplate_needs_a_per_benchmark_threshold(shared_data: Path, tmp_path: Path):
    """INDEX.md: alpaca_zh_demo.json [12] shares DP-loop 13-grams with MT-Bench question 124."""
    zh = _ingest(shared_data, "llamafactory-demos/alpaca_zh_demo.json")
    row = zh[zh["locator"] == "[12]"]
    q124 = next(q for q in _lines(shared_data / "mt-bench/question.jsonl") if q["question_id"] == 124)
    copy = records_frame([_record(q124["turns"][0], "Looks right to me.", "1", "data/raw/copy.jsonl")])
    loose = DecontaminateConfig(benchmarks={"mtbench": FIVE["mtbench"]})
    b = prepare(load_benchmarks(tmp_path / "none", shared_data, loose), loose)
    hit = decontaminate(row, b, loose).dropped
    assert len(hit) == 1 and json.loads(hit["details"].iat[0])["item_id"] == "124"
    strict = DecontaminateConfig(benchmarks={"mtbench": BenchmarkConfig(glob="mt-bench/question.jsonl", min_matches=10)})
    b = prepare(load_benchmarks(tmp_path / "none", shared_data, strict), strict)
    assert decontaminate(row, b, strict).dropped.empty
    assert len(decontaminate(copy, b, strict).dropped) == 1  # a real copy still shares every n-gram
