"""Benchmark files: any format ingest reads, CSV question files with a BOM or `;`, field selection, naming."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tuneset.config import BenchmarkConfig, DecontaminateConfig
from tuneset.decontaminate import load_benchmarks

CFG = DecontaminateConfig()


def texts_by(bench, **match):
    return [t for t in bench.texts if all(getattr(t, k) == v for k, v in match.items())]


def test_qa_jsonl_csv_with_bom_semicolons_and_gzip(tmp_path: Path):
    root = tmp_path / "data/benchmarks"
    (root / "qa").mkdir(parents=True)
    (root / "qa" / "test.jsonl").write_text(
        json.dumps({"id": "Q1", "question": "How many legs do three spiders have in total?", "answer": "Twenty four legs in total."}) + "\n"
        + "{not json\n", encoding="utf-8")
    (root / "quiz").mkdir()
    (root / "quiz" / "bom.csv").write_bytes(
        "\ufeffType,Question,Best Answer\nAdversarial,What happens if you swallow gum?,It passes through you\n".encode("utf-8"))
    (root / "quiz" / "semi.csv").write_text(
        'question;choices;answer\n"Which gas, of these, do plants take in?";"[\'oxygen\', \'carbon dioxide\']";1\n',
        encoding="utf-8")
    with gzip.open(root / "qa" / "more.jsonl.gz", "wt") as f:
        f.write(json.dumps({"task_id": "T/0", "prompt": "def add(a, b):\n    return a + b\n", "entry_point": "add"}) + "\n")
    (root / "qa" / "README.md").write_text("# about this benchmark\n")
    b = load_benchmarks(root, tmp_path, CFG)
    assert sorted({f["file"] for f in b.files}) == ["data/benchmarks/qa/more.jsonl.gz", "data/benchmarks/qa/test.jsonl",
                                                    "data/benchmarks/quiz/bom.csv", "data/benchmarks/quiz/semi.csv"]
    q1 = texts_by(b, file="data/benchmarks/qa/test.jsonl")
    assert [(t.benchmark, t.item, t.item_id, t.field) for t in q1] == [("qa", "1", "Q1", "question"), ("qa", "1", "Q1", "answer")]
    bom = texts_by(b, file="data/benchmarks/quiz/bom.csv")
    assert [(t.field, t.text) for t in bom] == [("Question", "What happens if you swallow gum?"),
                                                ("Best Answer", "It passes through you")]  # Type is a label, not text
    semi = texts_by(b, file="data/benchmarks/quiz/semi.csv")
    assert [t.field for t in semi] == ["question", "choices"]
    assert semi[0].text == "Which gas, of these, do plants take in?"
    code = texts_by(b, file="data/benchmarks/qa/more.jsonl.gz")
    assert [(t.field, t.item_id) for t in code] == [("prompt", "T/0")]  # entry_point: one word, task_id: an id
    notes = " ".join(b.notes)
    assert "test.jsonl: 1 unit(s) unreadable" in notes
    entry = next(f for f in b.files if f["file"].endswith("bom.csv"))
    assert entry["skipped_fields"] == ["Type"] and entry["items"] == 1
    assert len(b.fingerprint()) == 64


def test_chat_shaped_files_are_read_by_ingest(tmp_path: Path):
    root = tmp_path / "bench"
    root.mkdir()
    rows = [{"messages": [{"role": "user", "content": "Summarize the plot of the opera in two sentences please."},
                          {"role": "assistant", "content": "A prince loves a singer; fate and a curse part them."}]},
            {"instruction": "x"}]
    (root / "holdout.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    b = load_benchmarks(root, tmp_path, CFG)
    assert [(t.benchmark, t.item, t.field) for t in b.texts] == [("holdout", "1", "messages[0]"), ("holdout", "1", "messages[1]")]
    assert b.files[0]["read_as"] == "openai"


def test_declared_fields_globs_and_disabled_benchmarks(tmp_path: Path):
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "mine.jsonl").write_text(
        json.dumps({"q": "Name the largest moon of the planet Saturn please.", "meta": "internal note about it",
                    "turns": ["first turn text here", "second turn text here"]}) + "\n", encoding="utf-8")
    root = tmp_path / "data/benchmarks"
    (root / "old").mkdir(parents=True)
    (root / "old" / "x.jsonl").write_text(json.dumps({"question": "An old benchmark question we retired."}) + "\n")
    cfg = DecontaminateConfig(min_matches=2, benchmarks={
        "mine": BenchmarkConfig(glob="evals/*.jsonl", fields=["q", "turns", "missing"], ngram=8),
        "old": BenchmarkConfig(enabled=False)})
    b = load_benchmarks(root, tmp_path, cfg)
    assert [(t.benchmark, t.field) for t in b.texts] == [("mine", "q"), ("mine", "turns[0]"), ("mine", "turns[1]")]
    assert b.settings["mine"].ngram == 8 and b.settings["mine"].min_matches == 2
    assert "field 'missing' missing in 1 item(s)" in " ".join(b.notes)


def test_no_benchmark_folder_is_a_note_not_an_error(tmp_path: Path):
    b = load_benchmarks(tmp_path / "nowhere", tmp_path, CFG)
    assert b.texts == [] and b.items == 0 and "no benchmark folder" in b.notes[0]


def test_root_files_are_named_after_their_stem(tmp_path: Path):
    root = tmp_path / "bench"
    root.mkdir()
    (root / "trivia.csv").write_text("question,answer\nWhat colour is a ripe banana usually?,Yellow most of the time\n")
    b = load_benchmarks(root, tmp_path, CFG)
    assert {t.benchmark for t in b.texts} == {"trivia"}
