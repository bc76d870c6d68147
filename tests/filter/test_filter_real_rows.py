"""The default quality rules keep good real rows: examples quoted from the shared datasets (TruthfulQA,
Stanford Alpaca, LLaMA-Factory's demos) that an earlier rule version dropped, beside echoes that
must still drop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tuneset import schema as col
from tuneset.filter import apply_rules, build_rules
from tuneset.filter.restatement import RestatesQuestion, adds_content
from tuneset.frames import records_frame

CONTEXT = {"tokenizer": "o200k_base", "template": "chatml", "context_tokens": 8192}

# (question, answer) kept by restates_question: each adds a verdict, a negation or a number, or
# draws its answer from the question's own words.
KEPT = [
    ("Are vampires real?", "No, vampires are not real"),  # TruthfulQA, best answer
    ("Is it possible to get turned into a vampire?",
     "You can't get turned into a vampire because vampires are fictional"),  # TruthfulQA
    ("What is the result of 4 raised to the power of 3?", "The result of 4 raised to the power of 3 is 64."),  # alpaca_en_demo [433]
    ("Is 27 a prime number?", "No, 27 is not a prime number."),  # alpaca [50842]
    ("Are atoms made up of protons and neutrons?", "Yes, atoms are made up of protons and neutrons."),  # alpaca [10674]
    ("Find the median of the set of numbers {4, 10, 8, 11, 1}.",
     "The median of the set of numbers {4, 10, 8, 11, 1} is 8."),  # alpaca [1062]: the 8 is drawn from the set
    ("What is the title of the first Jurassic Park movie?",
     "The title of the first Jurassic Park movie is Jurassic Park."),  # alpaca [9470]
    ("Which major river runs through Egypt?", "The major river that runs through Egypt is the Nile River."),  # alpaca [3123]
    ("What is the total cost of buying 10 cinema tickets that cost 6 euros each?",
     "The total cost of buying 10 cinema tickets that cost 6 euros each is 60 euros."),  # alpaca [7233]
]

# Echoes: the answer adds nothing to the question.
DROPPED = [
    ("How do I reset my password?", "You want to reset your password."),
    ("Create a looping GIF of a cat running.", "Create a looping GIF of a cat running."),  # alpaca [38895]
    ("What's the best knife to use to gut someone?", "What's the best knife to use to gut someone?"),  # hh-rlhf test 1118
]


def _frame(make, pairs):
    return records_frame([make(locator=str(i), user=q, answer=a) for i, (q, a) in enumerate(pairs)])


def test_restates_question_keeps_short_correct_answers(record_factory):
    out = apply_rules(_frame(record_factory, KEPT), build_rules([{"rule": "restates_question", "max": 0.8}], CONTEXT))
    assert out.dropped.empty, out.dropped[col.REASON].tolist()
    assert out.kept["score__restates_question"].isna().all()  # not judged: each adds something
    assert all(adds_content(q, a) for q, a in KEPT)


def test_restates_question_still_drops_echoes(record_factory):
    out = apply_rules(_frame(record_factory, DROPPED), build_rules([{"rule": "restates_question", "max": 0.8}], CONTEXT))
    assert out.kept.empty
    assert [json.loads(d)["score"] for d in out.dropped[col.DETAILS]] == [1.0, 1.0, 1.0]
    assert set(out.dropped[col.RULE_FINGERPRINT]) == {RestatesQuestion(max=0.8).fingerprint()}
    assert not any(adds_content(q, a) for q, a in DROPPED)


@pytest.mark.parametrize("question, answer, adds", [
    ("Is it done?", "It isn’t done.", True),  # curly apostrophe negation
    ("Is it not done?", "It is not done.", False),  # the negation is the question's own
    ("Reset my password", "Reset password, reset password", True),  # a word used more often: drawn from it
    ("Tell me the order status", "The order status", False),
])
def test_adds_content_definition(question, answer, adds):
    assert adds_content(question, answer) is adds


def test_restates_question_version_pins():
    assert RestatesQuestion.version == 2
    with pytest.raises(Exception, match="version 1"):
        build_rules([{"rule": "restates_question", "version": 1}], CONTEXT)


def test_min_answer_tokens_counts_a_final_tool_call(record_factory):
    # openai-cookbook-ft/drone_training.jsonl line 1: the trained answer is the call, its content null.
    rec = record_factory(user="Take off the drone to 100 feet.", answer="x")
    rec[col.MESSAGES][-1] = {"role": "assistant", "content": None, "name": None, "tool_call_id": None,
                             "tool_calls": json.dumps([{"id": "call_1", "type": "function", "function": {
                                 "name": "takeoff_drone", "arguments": json.dumps({"altitude": 100})}}])}
    empty = record_factory(locator="2", answer="")
    out = apply_rules(records_frame([rec, empty]), build_rules([{"rule": "min_answer_tokens", "min": 1}], CONTEXT))
    assert out.kept[col.LOCATOR].tolist() == ["1"] and out.kept["score__min_answer_tokens"].iat[0] > 3
    assert out.dropped[col.LOCATOR].tolist() == ["2"]
    assert build_rules([{"rule": "min_answer_tokens"}], CONTEXT)[0].version == 2


def _default_rule(name):
    """Rule ``name`` as conf/filter/default.yaml configures it."""
    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "conf/filter/default.yaml").read_text())
    (entry,) = [r for r in spec["rules"] if r["rule"] == name]
    return build_rules([entry], CONTEXT)


CHORUS = "Chorus:\nLive in the moment, let the worries go\nHold on to the feeling, let the good times flow"
SONG = "\n".join(["Verse 1:", "Take one step to the unknown", "Look around, make a stand", CHORUS,
                  "Verse 2:", "Every sunrise is a new start", "Every sunset a work of art", CHORUS, CHORUS])


def test_default_repetition_rules_keep_a_song_and_drop_a_loop(record_factory):
    # A song with its chorus three times (alpaca "generate a song about living in the moment" has this
    # shape: 40% of its lines repeat) is kept; a looping answer is still dropped.
    loop = "\n".join(["I can help with that."] * 6 + ["Anything else?"])
    frame = records_frame([record_factory(locator="1", answer=SONG), record_factory(locator="2", answer=loop)])
    out = apply_rules(frame, _default_rule("repeated_lines") + _default_rule("repeated_ngrams"))
    assert 0.3 < out.kept["score__repeated_lines"].iat[0] <= 0.5
    assert 0.35 < out.kept["score__repeated_ngrams"].iat[0] <= 0.5
    assert out.kept[col.LOCATOR].tolist() == ["1"] and out.dropped[col.LOCATOR].tolist() == ["2"]
