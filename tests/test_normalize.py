import pytest

from tuneset import schema as col
from tuneset.config import NormalizeConfig
from tuneset.frames import records_frame
from tuneset.normalize import canonical_role, normalize, repair_text
from tuneset.records import message

CFG = NormalizeConfig()


def run(records, cfg=CFG):
    return normalize(records_frame(records), cfg)


def test_repair_text_fixes_mojibake_nfc_and_trims():
    assert repair_text("  donâ€™t  ", CFG) == "don’t"
    assert repair_text("cafe\u0301", CFG) == "caf\u00e9"  # NFC composes e + combining acute
    assert repair_text("plain ascii\n", CFG) == "plain ascii"


def test_role_aliases_map_to_canonical_roles():
    assert [canonical_role(r) for r in ("human", "GPT", "prompter", "observation", "weird")] == \
        ["user", "assistant", "user", "tool", "weird"]


def test_good_rows_pass_and_example_id_follows_content(record_factory):
    rec = record_factory(user="  Hi there  ", answer="Hello!  ")
    result = run([rec])
    assert len(result.examples) == 1 and result.dropped.empty
    out = result.examples.iloc[0]
    assert out[col.MESSAGES][0]["content"] == "Hi there"
    assert out[col.EXAMPLE_ID] != rec[col.EXAMPLE_ID]  # content changed, so the id did
    assert out[col.ORIGIN_ID] == rec[col.ORIGIN_ID]  # identity of the unit never changes
    assert result.report["content_changed"] == 1


@pytest.mark.parametrize("mutate, rule", [
    (lambda r: r[col.MESSAGES].__setitem__(slice(None), [message("user", "and?")]), "final_assistant_turn"),
    (lambda r: r[col.MESSAGES][-1].update(content="   "), "final_assistant_turn"),
    (lambda r: r[col.MESSAGES][0].update(role="narrator"), "known_roles"),
    (lambda r: r[col.MESSAGES].pop(0), "has_user_turn"),
    (lambda r: r[col.MESSAGES].insert(0, message("assistant", "Hello!")), "role_order"),
    (lambda r: r[col.MESSAGES].insert(1, message("user", "again")), "role_order"),
    (lambda r: r[col.MESSAGES].insert(1, message("system", "late system")), "role_order"),
])
def test_each_structural_failure_is_a_named_drop(record_factory, mutate, rule):
    good, bad = record_factory(locator="1"), record_factory(locator="2")
    mutate(bad)
    result = run([good, bad])
    assert len(result.examples) == 1
    assert result.dropped[col.RULE].tolist() == [rule]
    assert result.report["dropped_by_rule"] == {rule: 1}
    assert "data/raw/t.jsonl 2" in result.dropped[col.REASON].iat[0]


def test_a_thread_ending_on_a_user_turn_is_trimmed_not_dropped(record_factory):
    rec = record_factory(locator="1")
    rec[col.MESSAGES].append(message("user", "and?"))
    result = run([rec])
    assert result.dropped.empty and [m["role"] for m in result.examples.iloc[0][col.MESSAGES]] == ["user", "assistant"]
    assert result.report["trimmed"] == {"final_assistant_turn": 1}


def test_preference_checks(record_factory):
    good = record_factory(kind="preference", locator="1")
    ends_with_assistant = record_factory(kind="preference", locator="2")
    ends_with_assistant[col.MESSAGES].append(message("assistant", "hm"))
    empty_rejected = record_factory(kind="preference", locator="3")
    empty_rejected[col.REJECTED] = [message("assistant", " ")]
    result = run([good, ends_with_assistant, empty_rejected])
    assert len(result.examples) == 1
    assert sorted(result.dropped[col.RULE]) == ["nonempty_responses", "prompt_ends_with_user"]


def test_system_prompt_policies(record_factory):
    with_sys, without = record_factory(system="Be brief.", locator="1"), record_factory(locator="2")
    assert run([with_sys, without], NormalizeConfig(system_prompt="require")).dropped[col.LOCATOR].tolist() == ["2"]
    assert run([with_sys, without], NormalizeConfig(system_prompt="forbid")).dropped[col.LOCATOR].tolist() == ["1"]
    injected = run([with_sys, without], NormalizeConfig(system_prompt="inject:You are Northwind support."))
    firsts = [m[0]["content"] for m in injected.examples[col.MESSAGES]]
    assert firsts == ["Be brief.", "You are Northwind support."]


def test_consistency_report(record_factory):
    result = run([record_factory(system="S", locator="1"), record_factory(locator="2")])
    c = result.report["consistency"]
    assert c["with_system_prompt"] == 0.5 and c["distinct_system_prompts"] == 1 and c["turns"] == {"2": 2}


def test_empty_frame_is_fine():
    result = run([])
    assert result.examples.empty and result.dropped.empty and result.report["rows_in"] == 0


def test_tool_turns_follow_the_assistant_call_that_requested_them(record_factory):
    ok = record_factory(locator="1")
    call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    ok[col.MESSAGES][1:1] = [message("assistant", None, tool_calls=[call]), message("tool", "42", tool_call_id="c1")]
    stray = record_factory(locator="2")
    stray[col.MESSAGES].insert(1, message("tool", "42", tool_call_id="c1"))
    result = run([ok, stray])
    assert result.examples[col.LOCATOR].tolist() == ["1"]
    assert result.dropped[col.RULE].tolist() == ["role_order"]
