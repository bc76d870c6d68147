"""final_assistant_turn (version 2): a conversation that goes on after its last assistant turn is
trimmed to it and kept (counted in the report's ``trimmed``), one with no assistant answer is still
dropped, and a final assistant turn that makes a tool call is an answer. Real rows: OpenAssistant
threads (oasst-en100) and OpenAI function-calling examples (openai-cookbook-ft)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tuneset import schema as col
from tuneset.config import NormalizeConfig, SourceConfig
from tuneset.frames import records_frame
from tuneset.ingest import ingest_file
from tuneset.normalize import normalize
from tuneset.normalize.structure import FinalAssistantTurn
from tuneset.records import SourceInfo, message


def run(records):
    return normalize(records_frame(records), NormalizeConfig())


def test_trailing_user_turn_is_trimmed_counted_and_rehashed(record_factory):
    good, trailing = record_factory(locator="1"), record_factory(locator="2")
    trailing[col.MESSAGES].append(message("user", "Thanks! And what about my other account?"))
    result = run([good, trailing])
    assert result.dropped.empty and len(result.examples) == 2
    assert result.report["trimmed"] == {"final_assistant_turn": 1}
    out = result.examples.set_index(col.LOCATOR)
    assert [m["role"] for m in out.at["2", col.MESSAGES]] == ["user", "assistant"]
    # The trimmed example is the good one's content: the same example_id, so dedup sees an exact copy.
    assert out.at["2", col.EXAMPLE_ID] == out.at["1", col.EXAMPLE_ID]
    assert out.at["2", col.ORIGIN_ID] == trailing[col.ORIGIN_ID]  # the unit's identity never changes


def test_several_trailing_turns_are_trimmed_to_the_last_assistant_turn(record_factory):
    rec = record_factory()
    rec[col.MESSAGES] += [message("user", "More?"), message("assistant", "More."), message("user", "And?"),
                          message("tool", "{}", tool_call_id="x")]
    result = run([rec])
    assert result.dropped.empty and result.report["trimmed"] == {"final_assistant_turn": 1}
    assert [m["content"] for m in result.examples.at[0, col.MESSAGES]][-1] == "More."


@pytest.mark.parametrize("messages, why", [
    ([message("user", "Hello?")], "nothing to train on"),
    ([message("system", "Be kind."), message("user", "Hello?")], "nothing to train on"),
])
def test_no_assistant_turn_is_still_dropped(record_factory, messages, why):
    rec = record_factory()
    rec[col.MESSAGES] = messages
    result = run([rec])
    assert result.examples.empty and result.report["trimmed"] == {}
    assert result.dropped[col.RULE].tolist() == ["final_assistant_turn"] and why in result.dropped[col.REASON].iat[0]


def test_trimmed_then_dropped_is_a_drop_not_a_trim(record_factory):
    rec = record_factory()
    rec[col.MESSAGES][-1] = message("assistant", "  ")
    rec[col.MESSAGES].append(message("user", "Hello?"))
    result = run([rec])
    assert result.report["dropped_by_rule"] == {"final_assistant_turn": 1} and result.report["trimmed"] == {}


def test_assistant_before_any_user_turn_is_not_trimmed_into_a_new_failure(record_factory):
    rec = record_factory()
    rec[col.MESSAGES] = [message("assistant", "Hi"), message("user", "?")]
    assert FinalAssistantTurn.trim(rec[col.MESSAGES]) is None
    assert run([rec]).dropped[col.RULE].tolist() == ["role_order"]  # as before


def test_final_tool_call_is_an_answer(record_factory):
    rec = record_factory()
    rec[col.MESSAGES][-1] = message("assistant", None, tool_calls=json.dumps([
        {"id": "c1", "type": "function", "function": {"name": "ping", "arguments": "{}"}}]))
    empty = record_factory(locator="2", answer="   ")
    result = run([rec, empty])
    assert result.examples[col.LOCATOR].tolist() == ["1"]
    assert "final assistant answer is empty" in result.dropped[col.REASON].iat[0]


def test_version_changed():
    assert FinalAssistantTurn.version == 2


def _read(shared_data, rel):
    path = shared_data / rel
    if not path.exists():
        pytest.skip(f"{path} not found")
    res = ingest_file(path, SourceInfo("shared", f"shared/data/{rel}"), SourceConfig())
    return res, normalize(records_frame(res.records), NormalizeConfig())


@pytest.mark.shared
def test_oasst_threads_ending_on_a_user_turn_are_trimmed_not_dropped(shared_data):
    res, result = _read(shared_data, "oasst-en100/en_100_tree.jsonl")
    ends_on_user = sum(1 for r in res.records if r[col.MESSAGES][-1]["role"] == "user")
    assert ends_on_user == 226  # 36% of the 626 threads
    # Each of them has an assistant turn after the first user turn, so each is trimmed and kept.
    assert result.report["trimmed"] == {"final_assistant_turn": ends_on_user}
    assert "final_assistant_turn" not in result.report["dropped_by_rule"]
    assert len(result.examples) + len(result.dropped) == len(res.records)  # the books balance
    assert all(m[-1]["role"] == "assistant" for m in result.examples[col.MESSAGES])
    # Sibling user leaves under one assistant turn trim to the same thread: exact copies, one tree.
    copies = Counter(result.examples[col.EXAMPLE_ID])
    repeated = {eid for eid, n in copies.items() if n > 1}
    assert repeated
    same = result.examples[result.examples[col.EXAMPLE_ID].isin(repeated)]
    assert (same.groupby(col.EXAMPLE_ID)[col.GROUP_ID].nunique() == 1).all()


@pytest.mark.shared
def test_openai_function_calling_examples_are_kept(shared_data):
    res, result = _read(shared_data, "openai-cookbook-ft/drone_training.jsonl")
    assert len(res.records) == 103
    assert result.dropped.empty, result.dropped[col.REASON].head().tolist()
    assert all(m[-1]["role"] == "assistant" and m[-1]["tool_calls"] for m in result.examples[col.MESSAGES])
