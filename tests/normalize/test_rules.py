"""Each structural rule of normalize: a case that passes and a case that fails, by name."""

from __future__ import annotations

import json

import pytest

from tuneset import schema as col
from tuneset.config import ConfigError, NormalizeConfig
from tuneset.frames import records_frame
from tuneset.normalize import normalize, structure_rules
from tuneset.records import message
from tuneset.rules import REGISTRY

TOOLS = json.dumps([
    {"type": "function", "function": {"name": "lookup_order", "description": "Find an order.",
                                      "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                                                     "required": ["order_id"]}}},
    {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}},
])


def call(name="lookup_order", args='{"order_id": "HL-1"}', cid="c1"):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}


def with_tools(rec, calls=None, results=None, tools=TOOLS):
    """Insert an assistant tool-call turn and its results before the final answer."""
    calls = calls if calls is not None else [call()]
    results = results if results is not None else [message("tool", '{"status": "shipped"}', tool_call_id="c1")]
    rec[col.MESSAGES][-1:-1] = [message("assistant", None, tool_calls=calls), *results]
    rec[col.TOOLS] = tools
    return rec


def run(records, cfg=NormalizeConfig()):
    return normalize(records_frame(records), cfg)


def assert_one_drop(result, rule):
    assert result.dropped[col.RULE].tolist() == [rule], result.dropped[[col.RULE, col.REASON]].to_dict("records")
    assert result.report["dropped_by_rule"] == {rule: 1}
    return result.dropped[col.REASON].iat[0]


# (rule, mutate a good record into a failing one, text the reason must contain)
FAILING = [
    ("content_type", lambda r: r[col.MESSAGES][0].update(content=None), "content is null"),
    ("content_type", lambda r: r[col.MESSAGES][0].update(content=["a", "list"]), "expected a string"),
    ("control_characters", lambda r: r[col.MESSAGES][0].update(content="nul \x00 byte"), "NUL byte"),
    ("control_characters", lambda r: r[col.MESSAGES][-1].update(content="bell \x07 here"), "control character (U+0007)"),
    ("control_characters", lambda r: r[col.MESSAGES][0].update(content="half \ud83d of an emoji"), "unpaired surrogate"),
    ("control_characters", lambda r: r[col.MESSAGES][0].update(content="escape \x1b[31m red"), "U+001B"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][-1].update(content="Sure.<|im_end|>"), "ChatML control token <|im_end|>"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][0].update(content="<|im_start|>system"), "<|im_start|>"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][-1].update(content="ok <|eot_id|>"), "Llama-3"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][0].update(content="<|begin_of_text|>hi"), "Llama-3"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][0].update(content="x <|start_header_id|>user"), "Llama-3"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][0].update(content="[INST] do it"), "Mistral control token [INST]"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][-1].update(content="a <start_of_turn>model"), "Gemma"),
    ("stray_special_tokens", lambda r: r[col.MESSAGES][-1].update(content="done<|endoftext|>"), "<|endoftext|>"),
    ("nonempty_content", lambda r: r[col.MESSAGES][0].update(content="   "), "message 0 (user) is empty"),
    ("nonempty_content", lambda r: r[col.MESSAGES].insert(0, message("system", "")), "(system) is empty"),
    ("tools_declaration", lambda r: with_tools(r, tools="[{\"type\": \"function\", \"function\": {}}]"), "no function.name"),
    ("tools_declaration", lambda r: with_tools(r, tools=json.dumps([{"name": "f", "parameters": {"type": "nope"}}])),
     "not a valid JSON Schema"),
    ("tools_declaration", lambda r: with_tools(r, tools=json.dumps([{"name": "f"}, {"name": "f"}])), "declared twice"),
    ("tool_call_format", lambda r: with_tools(r, calls=[{"id": "c1", "type": "function", "function": {"arguments": "{}"}}]),
     "no function.name"),
    ("tool_call_format", lambda r: with_tools(r, calls=[call(args='{"order_id": ')]), "arguments is not valid JSON"),
    ("tool_call_format", lambda r: with_tools(r, calls=[call(args="[1, 2]")]), "expected a JSON object"),
    ("tool_call_format", lambda r: with_tools(r, calls=[{"id": "c1", "function": {"name": "ping"}}]), "no function.arguments"),
    ("tool_call_ids", lambda r: with_tools(r, results=[message("tool", "x", tool_call_id="c9")]), "'c9'"),
    ("tool_call_ids", lambda r: with_tools(r, calls=[call(), call("ping", "{}", "c2")]), "c2 were answered"),
    ("tool_call_ids", lambda r: with_tools(r, calls=[call(), call("ping", "{}", "c1")],
                                           results=[message("tool", "a", tool_call_id="c1")] * 2), "used twice"),
    ("tool_call_ids", lambda r: with_tools(r, calls=[call(cid=None)], tools=None), "has no id"),
    ("tool_call_declared", lambda r: with_tools(r, calls=[call("refund", "{}")],
                                                results=[message("tool", "x", tool_call_id="c1")]),
     "'refund', which is not a declared tool"),
    ("tool_call_arguments", lambda r: with_tools(r, calls=[call(args='{"order": "HL-1"}')]), "at $: fails required"),
    ("tool_call_arguments", lambda r: with_tools(r, calls=[call(args='{"order_id": 5}')]), "at $.order_id: fails type"),
]


@pytest.mark.parametrize("rule, mutate, why", FAILING, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(FAILING)])
def test_each_rule_fails_a_bad_row_and_passes_the_good_one(record_factory, rule, mutate, why):
    good, bad = record_factory(locator="1"), record_factory(locator="2")
    mutate(bad)
    result = run([good, bad])
    assert result.examples[col.LOCATOR].tolist() == ["1"]
    reason = assert_one_drop(result, rule)
    assert why in reason and "data/raw/t.jsonl 2" in reason


@pytest.mark.parametrize("mutate", [
    lambda r: with_tools(r),                                                        # declared, valid, answered
    lambda r: with_tools(r, tools=None),                                            # no declarations: any call
    lambda r: with_tools(r, results=[message("tool", "x")]),                        # one pending call, no id
    lambda r: with_tools(r, calls=[call(), call("ping", "{}", "c2")],
                         results=[message("tool", "a", tool_call_id="c2"), message("tool", "b", tool_call_id="c1")]),
    lambda r: with_tools(r, calls=[call(), call("ping", "{}", "c2")],
                         results=[message("tool", "a", name="ping"), message("tool", "b", tool_call_id="c1")]),
    lambda r: r[col.MESSAGES][-1].update(content="Tabs\tand\r\nnewlines are fine, so is <s>html</s> and [inst]"),
], ids=["declared", "undeclared-ok", "single-pending", "two-calls", "named-result", "whitespace-ok"])
def test_well_formed_variants_pass(record_factory, mutate):
    rec = record_factory()
    mutate(rec)
    result = run([rec])
    assert result.dropped.empty, result.dropped[col.REASON].tolist()


def test_tool_call_reasons_never_quote_argument_values(record_factory):
    rec = with_tools(record_factory(), calls=[call(args='{"order_id": 4155550123}')])
    reason = assert_one_drop(run([rec]), "tool_call_arguments")
    assert "4155550123" not in reason


def test_extra_special_tokens_are_configurable(record_factory):
    rec = record_factory(answer="Here <|my_stop|> it is")
    assert run([rec]).dropped.empty
    result = run([rec], NormalizeConfig(extra_special_tokens=["<|my_stop|>"]))
    assert "configured control token <|my_stop|>" in assert_one_drop(result, "stray_special_tokens")


class TestJsonAnswers:
    SCHEMA = {"type": "object", "properties": {"status": {"enum": ["open", "closed"]}}, "required": ["status"]}

    def test_only_configured_sources_are_checked(self, record_factory):
        rec = record_factory(answer="not json")
        assert run([rec]).dropped.empty
        assert run([rec], NormalizeConfig(json_answers={"other": {}})).dropped.empty
        reason = assert_one_drop(run([rec], NormalizeConfig(json_answers={"test": {}})), "json_answer")
        assert "is not valid JSON: Expecting value at line 1 column 1" in reason

    def test_star_means_every_source_and_schema_is_validated(self, record_factory):
        ok = record_factory(answer='{"status": "open"}', locator="1")
        wrong = record_factory(answer='{"status": "pending"}', locator="2")
        fenced = record_factory(answer='```json\n{"status": "open"}\n```', locator="3")
        result = run([ok, wrong, fenced], NormalizeConfig(json_answers={"*": self.SCHEMA}))
        assert result.examples[col.LOCATOR].tolist() == ["1"]
        reasons = dict(zip(result.dropped[col.LOCATOR], result.dropped[col.REASON]))
        assert "at $.status: fails enum" in reasons["2"] and "pending" not in reasons["2"]
        assert "not valid JSON" in reasons["3"]

    def test_a_bad_schema_is_a_config_error(self, record_factory):
        with pytest.raises(ConfigError, match="json_answers.test"):
            run([record_factory()], NormalizeConfig(json_answers={"test": {"type": 12}}))


class TestPreferencePairs:
    def test_identical_sides_are_dropped_whitespace_aside(self, record_factory):
        good = record_factory(kind="preference", locator="1")
        same = record_factory(kind="preference", locator="2", answer="No.")
        spaced = record_factory(kind="preference", locator="3", answer="Yes  it\nworks")
        spaced[col.REJECTED] = [message("assistant", "Yes it works")]
        result = run([good, same, spaced])
        assert result.examples[col.LOCATOR].tolist() == ["1"]
        assert result.dropped[col.RULE].tolist() == ["distinct_responses"] * 2

    def test_swapped_duplicates_are_reported(self, record_factory):
        a = record_factory(kind="preference", locator="1", answer="Use the reset link.")
        b = record_factory(kind="preference", locator="2", answer="No.")
        b[col.REJECTED] = [message("assistant", "Use the reset link.")]
        other = record_factory(kind="preference", locator="3", user="Something else?")
        result = run([a, b, other])
        assert result.dropped.empty
        pref = result.report["preference"]
        assert pref["pairs"] == 3 and pref["swapped_duplicates"] == 1
        assert pref["examples"] == [sorted([a[col.ORIGIN_ID], b[col.ORIGIN_ID]])]

    def test_chosen_must_be_assistant_turns(self, record_factory):
        rec = record_factory(kind="preference")
        rec[col.CHOSEN] = [message("user", "sneaky second prompt")]
        assert_one_drop(run([rec]), "nonempty_responses")


def test_consistency_report_by_source_and_advice(record_factory):
    recs = [record_factory(system="Be brief.", locator="1"), record_factory(system="Be long.", locator="2"),
            record_factory(locator="3"), record_factory(kind="preference", locator="4")]
    c = run(recs).report["consistency"]
    assert c["with_system_prompt"] == 0.5 and c["distinct_system_prompts"] == 2
    assert [p["count"] for p in c["system_prompts"]] == [1, 1] and all(len(p["sha256"]) == 12 for p in c["system_prompts"])
    assert c["by_source"] == {"test": {"examples": 4, "with_system_prompt": 0.5, "distinct_system_prompts": 2}}
    assert c["turns_by_kind"] == {"preference": {"1": 1}, "sft": {"2": 3}}
    assert any("normalize.system_prompt" in a for a in c["advice"])
    assert not any("normalize.system_prompt" in a for a in
                   run(recs, NormalizeConfig(system_prompt="inject:Hi")).report["consistency"]["advice"])


def test_every_rule_is_registered_documented_and_in_order():
    names = [r.name for r in structure_rules(NormalizeConfig())]
    assert names[:4] == ["known_roles", "content_type", "control_characters", "stray_special_tokens"]
    assert names[-1] == "system_prompt_policy"
    for existing in ("has_user_turn", "role_order", "final_assistant_turn", "prompt_ends_with_user", "nonempty_responses"):
        assert existing in names
    assert len(set(names)) == len(names)
    for name in names:
        assert REGISTRY[name].__doc__ and REGISTRY[name].stage == "normalize"


@pytest.mark.parametrize("rule, mutate, why", FAILING, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(FAILING)])
def test_the_fast_path_never_skips_a_failing_record(record_factory, rule, mutate, why):
    """Rules skip records their ``needed(facts)`` clears; a record a rule fails is never cleared."""
    from tuneset.normalize.base import facts

    bad = record_factory()
    mutate(bad)
    r = next(r for r in structure_rules(NormalizeConfig()) if r.name == rule)
    assert r.check(bad) and r.needed(facts(bad))
