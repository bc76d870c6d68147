"""Matching rules: main n-grams, whole short texts, probes for light edits, ubiquity, per-benchmark thresholds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tuneset.config import BenchmarkConfig, DecontaminateConfig
from tuneset.decontaminate import decontaminate, prepare
from tuneset.decontaminate.benchmarks import BenchmarkSet, BenchText
from tuneset.decontaminate.index import probe_size
from tuneset.frames import records_frame

CFG = DecontaminateConfig()

LONG_Q = ("A bakery sells muffins in boxes of six and cookies in tins of twenty, and on Saturday it sold "
          "fourteen boxes and nine tins before the noon rush began. How many baked goods did it sell before noon?")
LONG_A = ("Fourteen boxes of six muffins make eighty four muffins and nine tins of twenty cookies make one hundred "
          "eighty cookies, so the bakery sold two hundred sixty four baked goods before noon.")
MID_Q = "Which river carries the most water into the Mediterranean Sea every single spring season?"  # 14 words
SHORT_Q = "Which dwarf planet orbits nearest the Sun?"  # 7 words
EIGHT_Q = "What is the most popular sport in Japan?"  # 8 words


def bench_set(items: list[dict[str, str]], name: str = "evals", settings: BenchmarkConfig | None = None) -> BenchmarkSet:
    texts = [BenchText(name, f"data/benchmarks/{name}/items.jsonl", str(i + 1), f"Q-{i + 1}", field, text, i)
             for i, item in enumerate(items) for field, text in item.items()]
    s = settings or BenchmarkConfig()
    eff = BenchmarkConfig(ngram=s.ngram or CFG.ngram, min_matches=s.min_matches or CFG.min_matches)
    return BenchmarkSet(texts, [{"file": texts[0].file, "benchmark": name, "items": len(items), "texts": len(texts),
                                 "sha256": "0" * 64}], [], {name: eff})


def frame(record_factory, users: list[str], answer: str = "Sure, here is what I found.") -> object:
    return records_frame([record_factory(user=u, answer=answer, locator=str(i + 1)) for i, u in enumerate(users)])


def dropped_locators(result) -> list[str]:
    return sorted(result.dropped["locator"].tolist(), key=int)


@pytest.fixture
def prepared():
    return prepare(bench_set([{"question": LONG_Q, "answer": LONG_A}, {"question": MID_Q},
                              {"question": SHORT_Q}, {"question": EIGHT_Q}]), CFG)


def test_a_copied_question_or_answer_is_dropped_with_benchmark_item_and_ngram(record_factory, prepared):
    df = records_frame([
        record_factory(user=f"Please solve: {LONG_Q}", locator="1"),
        record_factory(user="How much did the bakery sell?", answer=LONG_A, locator="2"),
        record_factory(user="Tell me about muffins and cookies at bakeries.", locator="3"),
    ])
    result = decontaminate(df, prepared, CFG)
    assert dropped_locators(result) == ["1", "2"]
    assert result.keep.tolist() == [False, False, True]
    assert result.examples["locator"].tolist() == ["3"]
    rows = result.dropped.set_index("locator")
    d1, d2 = json.loads(rows.loc["1", "details"]), json.loads(rows.loc["2", "details"])
    assert d1["benchmark"] == "data/benchmarks/evals/items.jsonl" and d1["benchmark_name"] == "evals"
    assert (d1["item"], d1["item_id"], d1["field"], d1["match"]) == ("1", "Q-1", "question", "ngram")
    assert d1["ngram"] == "a bakery sells muffins in boxes of six and cookies in tins of"
    assert d1["matches"] == len(LONG_Q.split()) - 12 and d1["message"] == "messages[0]:user"
    assert (d2["field"], d2["message"]) == ("answer", "messages[1]:assistant")
    assert set(rows["rule"]) == {"benchmark_overlap"} and set(rows["stage"]) == {"decontaminate"}
    assert "items.jsonl item 1" in rows.loc["1", "reason"]


EDITS = {
    "greeting": lambda q: "Hi there, quick question for you! " + q,
    "case": lambda q: q.upper(),
    "drop": lambda q: " ".join(w for i, w in enumerate(q.split()) if i != len(q.split()) // 2),
    "swap": lambda q: " ".join(_swap(q.split(), len(q.split()) // 2)),
    "replace": lambda q: " ".join("Danube" if i == len(q.split()) // 2 else w for i, w in enumerate(q.split())),
}


def _swap(ws: list[str], i: int) -> list[str]:
    ws = list(ws)
    ws[i], ws[i + 1] = ws[i + 1], ws[i]
    return ws


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_light_edits_of_a_question_too_short_for_a_surviving_ngram_are_caught(record_factory, prepared, edit):
    assert probe_size(len(MID_Q.split()), 13) > 0  # one edit in the middle breaks every 13-gram of it
    result = decontaminate(frame(record_factory, [EDITS[edit](MID_Q)]), prepared, CFG)
    assert len(result.dropped) == 1, edit
    d = json.loads(result.dropped["details"].iat[0])
    assert d["item"] == "2" and d["match"] in ("ngram", "fuzzy")
    if edit in ("drop", "swap", "replace"):
        assert d["match"] == "fuzzy" and CFG.fuzzy_threshold <= d["similarity"] < 1.0


@pytest.mark.parametrize("edit", ["greeting", "case", "drop", "swap"])
def test_light_edits_of_an_eight_word_question_are_caught(record_factory, prepared, edit):
    result = decontaminate(frame(record_factory, [EDITS[edit](EIGHT_Q)]), prepared, CFG)
    assert len(result.dropped) == 1, edit


def test_a_short_question_with_its_key_word_replaced_is_another_question(record_factory, prepared):
    others = ["What is the most popular sport in the US?",  # last word replaced (and one added)
              "What is the most popular dish in Japan?",  # a word replaced in an 8-word text: 0.875 < 0.9
              "What is the most popular sport in"]  # the last word dropped: only a prefix, not a copy
    assert decontaminate(frame(record_factory, others), prepared, CFG).dropped.empty


def test_short_texts_are_matched_whole(record_factory, prepared):
    df = frame(record_factory, [SHORT_Q.lower(), f"My son asked me: {SHORT_Q} I did not know."])
    result = decontaminate(df, prepared, CFG)
    assert dropped_locators(result) == ["1"]
    assert json.loads(result.dropped["details"].iat[0])["match"] == "whole"


def test_ubiquitous_ngrams_are_ignored(record_factory):
    boiler = "Read the passage below carefully and then answer the question that follows it with one word"
    items = [{"question": f"{boiler}. Passage {i}: the {w} river floods each year."}
             for i, w in enumerate(["red", "blue", "green", "amber", "black", "white", "grey", "pink", "gold",
                                    "teal", "navy", "rose"])]
    df = frame(record_factory, [boiler + ". Passage: my cat sleeps all day long in the warm sun."])
    assert decontaminate(df, prepare(bench_set(items), CFG), CFG).dropped.empty
    loose = DecontaminateConfig(max_item_frequency=20)
    assert len(decontaminate(df, prepare(bench_set(items), loose), loose).dropped) == 1


def test_per_benchmark_min_matches_ignores_shared_boilerplate_but_not_copies(record_factory):
    code = ("def longest_common_subsequence(a, b):\n    m, n = len(a), len(b)\n"
            "    dp = [[0] * (n + 1) for _ in range(m + 1)]\n    for i in range(1, m + 1):\n"
            "        for j in range(1, n + 1):\n            if a[i - 1] == b[j - 1]:\n"
            "                dp[i][j] = dp[i - 1][j - 1] + 1\n            else:\n"
            "                dp[i][j] = max(dp[i - 1][j], dp[i][j - 1])\n    return dp[m][n]\n")
    loop = "for i in range(1, m + 1):\n    for j in range(1, n + 1):\n        if a[i - 1] == b[j - 1]:"
    df = frame(record_factory, [f"My edit distance code:\n{loop}\n            cost = 0", f"Explain this:\n{code}"])
    default = prepare(bench_set([{"prompt": code}], "code"), CFG)
    assert dropped_locators(decontaminate(df, default, CFG)) == ["1", "2"]
    strict_cfg = DecontaminateConfig(benchmarks={"code": BenchmarkConfig(min_matches=20)})
    strict = prepare(bench_set([{"prompt": code}], "code", strict_cfg.benchmarks["code"]), strict_cfg)
    result = decontaminate(df, strict, strict_cfg)
    assert dropped_locators(result) == ["2"]
    assert strict.rules["code"].min_matches == 20 and strict.rules["code"].fingerprint() != default.rules["code"].fingerprint()


def test_answer_keys_and_symbol_lists_are_not_indexed(record_factory):
    b = prepare(bench_set([{"answer": "True"}, {"choices": "['3,4', '1,3', '2,3', '4,1']"}, {"answer": "6"}]), CFG)
    df = frame(record_factory, ["True", "3 4 1 3 2 3 4 1", "6"], answer="True")
    assert decontaminate(df, b, CFG).dropped.empty
    assert b.index.stats["whole_texts"] == 0 and b.index.stats["probe_texts"] == 0


def test_empty_frame_and_empty_benchmark(record_factory, prepared):
    empty = records_frame([])
    result = decontaminate(empty, prepared, CFG)
    assert result.examples.empty and result.dropped.empty and result.counts.rows_in == 0
    nothing = prepare(BenchmarkSet(), CFG)
    df = frame(record_factory, [LONG_Q])
    assert decontaminate(df, nothing, CFG).dropped.empty


def test_results_do_not_depend_on_how_texts_are_chunked(record_factory, monkeypatch):
    from tuneset.decontaminate import ngrams

    items = [{"question": LONG_Q, "answer": LONG_A}, {"question": MID_Q}, {"question": SHORT_Q}, {"question": EIGHT_Q}]
    users = [f"Please solve: {LONG_Q}", EDITS["drop"](MID_Q), SHORT_Q, "Nothing to see here at all, friend.",
             EDITS["swap"](EIGHT_Q), LONG_A]
    whole = decontaminate(frame(record_factory, users), prepare(bench_set(items), CFG), CFG)
    monkeypatch.setattr(ngrams, "CHUNK_WORDS", 7)
    assert ngrams.chunks(np.array([0, 3, 5, 20, 22])) == [(0, 2), (2, 3), (3, 4)]
    chunked = decontaminate(frame(record_factory, users), prepare(bench_set(items), CFG), CFG)
    assert dropped_locators(chunked) == dropped_locators(whole) == ["1", "2", "3", "5", "6"]
    assert chunked.dropped["details"].tolist() == whole.dropped["details"].tolist()


def test_message_texts_from_arrow_equal_the_pandas_ones(record_factory):
    from tuneset.decontaminate import message_texts
    from tuneset.frames import to_table

    df = records_frame([record_factory(user="first question here", answer="an answer", system="Be brief.", locator="1"),
                        record_factory(user="", answer="only answer", locator="2"),
                        record_factory(user="pref question", answer="good", kind="preference", locator="3")])
    a, b = message_texts(df), message_texts(to_table(df))
    assert a[0] == b[0] and a[1].tolist() == b[1].tolist() == [0, 0, 0, 1, 2, 2, 2] and a[2] == b[2]
    assert a[2][:3] == ["messages[0]:system", "messages[1]:user", "messages[2]:assistant"]
    users = message_texts(to_table(df), role="user")
    assert users[0] == ["first question here", "pref question"] and users[1].tolist() == [0, 2]
    assert message_texts(df, role="user")[0] == users[0]
