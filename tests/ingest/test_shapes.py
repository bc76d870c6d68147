"""Record shapes: each one parsed into canonical messages, and each one's malformed records quarantined."""

from __future__ import annotations

import json

from tuneset import hashing

from .helpers import locators, roles, rules_of


def jsonl(*records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def msg(role, content):
    return {"role": role, "content": content}


# --- openai ----------------------------------------------------------------------------------

def test_openai_tools_tool_calls_and_content_parts(ingest):
    call = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    rec = {"messages": [
        {"role": "system", "content": [{"type": "text", "text": "be brief"}, {"type": "text", "text": "and kind"}]},
        {"role": "user", "content": "  hi  ", "name": "ann"},
        {"role": "assistant", "tool_calls": call, "weight": 0},
        {"role": "tool", "content": "42", "tool_call_id": "c1"},
        {"role": "assistant", "content": "It is 42."},
    ], "tools": json.dumps(tools), "parallel_tool_calls": False}
    r = ingest("a.jsonl", jsonl(rec))
    [out] = r.records
    m = out["messages"]
    assert roles(m) == ["system", "user", "assistant", "tool", "assistant"]
    assert m[0]["content"] == "be brief\nand kind"
    assert (m[1]["content"], m[1]["name"]) == ("  hi  ", "ann")  # never stripped at ingest
    assert m[2]["content"] is None and json.loads(m[2]["tool_calls"]) == call
    assert m[3]["tool_call_id"] == "c1"
    assert json.loads(out["tools"]) == tools  # the JSON string became canonical JSON text
    assert json.loads(out["meta"]) == {"parallel_tool_calls": False, "message_fields": {"2": {"weight": 0}}}


def test_openai_malformed_records(ingest):
    good = {"messages": [msg("user", "q"), msg("assistant", "a")]}
    r = ingest("a.jsonl", jsonl(
        good,
        {"messages": [msg("user", "q"), msg("assistant", 42)]},
        {"messages": [{"content": "no role"}]},
        {"messages": []},
        {"messages": [msg("user", [{"type": "image_url", "image_url": {"url": "x"}}])]},
        {"messages": [msg("user", "q")], "tools": "{not json"},
        {"messages": [msg("user", "q")], "chosen": "a", "rejected": "b"},
    ))
    assert (r.units, len(r.records), rules_of(r)) == (7, 1, {"invalid_record": 6})
    reasons = [q["reason"] for q in r.quarantine]
    assert reasons[0].startswith("data/raw/t/a.jsonl line 2: messages[1].content is a number")
    assert "messages[0].role is missing" in reasons[1]
    assert "messages is empty" in reasons[2]
    assert "'image_url' content part" in reasons[3]
    assert "tools is a string that is not valid JSON" in reasons[4]
    assert "format: preference" in reasons[5]
    assert all("(format openai, detected for this file)" in x for x in reasons)


def test_legacy_function_call_becomes_tool_calls(ingest):
    rec = {"messages": [msg("user", "q"), {"role": "assistant", "content": None,
                                           "function_call": {"name": "f", "arguments": "{}"}}]}
    [out] = ingest("a.jsonl", jsonl(rec)).records
    assert json.loads(out["messages"][1]["tool_calls"]) == [
        {"id": "call_0", "type": "function", "function": {"name": "f", "arguments": "{}"}}]


# --- sharegpt --------------------------------------------------------------------------------

def test_sharegpt_with_function_calls(ingest):
    rec = {"system": "sys", "tools": '[{"name": "get_time"}]', "conversations": [
        {"from": "human", "value": "time?"},
        {"from": "function_call", "value": '{"name": "get_time", "arguments": {"tz": "UTC"}}'},
        {"from": "observation", "value": "12:00"},
        {"from": "gpt", "value": "Noon."},
        {"from": "narrator", "value": "odd"},
    ]}
    [out] = ingest("a.json", json.dumps([rec])).records
    m = out["messages"]
    assert roles(m) == ["system", "user", "assistant", "tool", "assistant", "narrator"]
    assert json.loads(m[2]["tool_calls"]) == [
        {"id": "call_0", "type": "function", "function": {"name": "get_time", "arguments": '{"tz":"UTC"}'}}]
    assert (m[3]["content"], m[3]["tool_call_id"]) == ("12:00", "call_0")
    assert json.loads(out["tools"]) == [{"name": "get_time"}]


def test_sharegpt_malformed(ingest):
    r = ingest("a.json", json.dumps([
        {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
        {"conversations": [{"from": "human"}, {"from": "gpt", "value": {"x": 1}}]},
        {"conversations": [{"from": "function_call", "value": "not json"}]},
    ]))
    r2 = ingest("b.json", json.dumps([{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": {"x": 1}}]}]))
    assert (len(r.records), rules_of(r), locators(r.quarantine)) == (1, {"invalid_record": 2}, ["[1]", "[2]"])
    assert "[1]: conversations[0].value is missing" in r.quarantine[0]["reason"]
    assert "function_call that is not valid JSON" in r.quarantine[1]["reason"]
    assert "conversations[1].value is an object, expected a string" in r2.quarantine[0]["reason"]


# --- alpaca / prompt_completion ---------------------------------------------------------------

def test_alpaca_with_input_history_and_system(ingest):
    r = ingest("a.json", json.dumps([
        {"instruction": "Translate", "input": "chat", "output": "cat", "system": "S",
         "history": [["hi", "hello"]], "id": 3},
        {"instruction": "Say hi", "input": "", "output": "hi"},
        {"instruction": "Broken", "input": "", "output": None},
    ]))
    a, b = r.records
    assert [(x["role"], x["content"]) for x in a["messages"]] == [
        ("system", "S"), ("user", "hi"), ("assistant", "hello"), ("user", "Translate\n\nchat"), ("assistant", "cat")]
    assert json.loads(a["meta"]) == {"id": 3}
    assert [x["content"] for x in b["messages"]] == ["Say hi", "hi"]
    assert "[2]: output is missing" in r.quarantine[0]["reason"]


def test_prompt_completion_and_question_answer(ingest):
    r = ingest("a.jsonl", jsonl({"prompt": "p", "completion": "c"},
                                {"prompt": [msg("system", "s"), msg("user", "u")], "completion": "c"}))
    assert [roles(x["messages"]) for x in r.records] == [["user", "assistant"], ["system", "user", "assistant"]]
    qa = jsonl({"question": "q", "answer": "a"})
    [auto] = ingest("b.jsonl", qa).records  # GSM8K's shape, dropped in undeclared, is read as it is
    assert [x["content"] for x in auto["messages"]] == ["q", "a"]
    [out] = ingest("c.jsonl", qa, format="prompt_completion").records
    assert [x["content"] for x in out["messages"]] == ["q", "a"]
    assert rules_of(ingest("d.jsonl", jsonl({"question": "q", "answer": 3}))) == {"unrecognized_shape": 1}


def test_unrecognized_shape_names_keys_not_values(ingest):
    r = ingest("a.jsonl", jsonl({"text": "SECRET VALUE", "label": 1}, {"text": "x", "label": 2}))
    assert (r.format, rules_of(r)) == ("undetected", {"unrecognized_shape": 2})
    reason = r.quarantine[0]["reason"]
    assert "keys seen: label, text" in reason and "tried openai_dpo, preference, openai" in reason
    assert "SECRET" not in reason and "conf/sources" in reason


def test_auto_detection_takes_the_majority_and_quarantines_the_rest(ingest):
    chat = {"messages": [msg("user", "q"), msg("assistant", "a")]}
    share = {"conversations": [{"from": "human", "value": "q"}]}
    r = ingest("a.jsonl", jsonl(chat, share, chat, chat))
    assert (r.format, len(r.records), locators(r.quarantine)) == ("openai", 3, ["2"])
    assert "this record looks like sharegpt" in r.quarantine[0]["reason"]


def test_declared_format_overrides_detection(ingest):
    r = ingest("a.jsonl", jsonl({"instruction": "i", "output": "o"}), format="sharegpt")
    assert (r.format, rules_of(r)) == ("sharegpt", {"invalid_record": 1})
    assert "conversations is missing (format sharegpt, set for this source)" in r.quarantine[0]["reason"]


# --- preference ------------------------------------------------------------------------------

def test_preference_prompt_chosen_rejected_strings_and_messages(ingest):
    full = [msg("user", "q"), msg("assistant", "good")]
    r = ingest("a.jsonl", jsonl(
        {"prompt": "q", "chosen": "good", "rejected": "bad"},
        {"prompt": [msg("user", "q")], "chosen": full, "rejected": [msg("user", "q"), msg("assistant", "bad")]},
    ))
    for rec in r.records:
        assert rec["kind"] == "preference"
        assert [(x["role"], x["content"]) for x in rec["messages"]] == [("user", "q")]
        assert [(x["role"], x["content"]) for x in rec["chosen"]] == [("assistant", "good")]
        assert [(x["role"], x["content"]) for x in rec["rejected"]] == [("assistant", "bad")]
    assert r.records[0]["example_id"] == r.records[1]["example_id"]


def test_preference_llamafactory_dpo(ingest):
    rec = {"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "good"},
           "rejected": {"from": "gpt", "value": "bad"}}
    [out] = ingest("a.json", json.dumps([rec])).records
    assert (roles(out["messages"]), roles(out["chosen"]), out["rejected"][0]["content"]) == (["user"], ["assistant"], "bad")


def test_preference_hh_transcripts(ingest):
    prefix = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: help me"
    r = ingest("a.jsonl", jsonl(
        {"chosen": prefix + "\n\nAssistant: sure", "rejected": prefix + "\n\nAssistant: no"},
        {"chosen": prefix + "\n\nAssistant: one\n\nAssistant: two", "rejected": prefix + "\n\nAssistant: no"},
        {"chosen": prefix, "rejected": prefix},
    ))
    a, b = r.records
    assert [(x["role"], x["content"]) for x in a["messages"]] == [("user", "hi"), ("assistant", "hello"), ("user", "help me")]
    assert [x["content"] for x in a["chosen"]] == ["sure"] and [x["content"] for x in a["rejected"]] == ["no"]
    assert [x["content"] for x in b["chosen"]] == ["one", "two"]
    assert rules_of(r) == {"invalid_record": 1} and "identical" in r.quarantine[0]["reason"]


def test_openai_dpo(ingest):
    rec = {"input": {"messages": [msg("user", "q")], "tools": [{"type": "function", "function": {"name": "f"}}]},
           "preferred_output": [msg("assistant", "good")], "non_preferred_output": [msg("assistant", "bad")]}
    r = ingest("a.jsonl", jsonl(rec, {"input": {"messages": [msg("user", "q")]}, "preferred_output": [],
                                      "non_preferred_output": [msg("assistant", "bad")]}))
    assert r.format == "openai_dpo"
    [out] = r.records
    assert (out["kind"], out["chosen"][0]["content"], out["rejected"][0]["content"]) == ("preference", "good", "bad")
    assert json.loads(out["tools"]) == [{"type": "function", "function": {"name": "f"}}]
    assert "preferred_output is empty" in r.quarantine[0]["reason"]


# --- expanded shapes -------------------------------------------------------------------------

def tree(tree_id, prompt_text, replies):
    return {"message_tree_id": tree_id, "tree_state": "ready_for_export",
            "prompt": {"message_id": tree_id, "role": "prompter", "text": prompt_text, "replies": replies}}


def node(mid, role, text, replies=()):
    return {"message_id": mid, "role": role, "text": text, "replies": list(replies)}


def test_oasst_tree_expands_to_threads(ingest):
    t1 = tree("T1", "q", [node("a1", "assistant", "A1", [node("p2", "prompter", "more?", [node("a3", "assistant", "A3")])]),
                          node("a2", "assistant", "A2")])
    t2 = tree("T2", "q2", [node("b1", "assistant", None)])  # no valid thread
    t3 = tree("T3", "q3", [node("c1", "assistant", "C1"), node("c2", "assistant", 5)])
    r = ingest("a.jsonl", jsonl(t1, t2, t3))
    assert r.format == "oasst"
    assert locators(r.records) == ["1/thread-0", "1/thread-1", "3/thread-0"]
    assert locators(r.quarantine) == ["2", "3/thread-1"]
    assert r.units == 5
    first, second = r.records[:2]
    assert [(x["role"], x["content"]) for x in first["messages"]] == [
        ("user", "q"), ("assistant", "A1"), ("user", "more?"), ("assistant", "A3")]
    assert [x["content"] for x in second["messages"]] == ["q", "A2"]
    assert first["group_id"] == second["group_id"] == hashing.group_id("t", "T1")
    assert first["origin_id"] != second["origin_id"]
    assert json.loads(first["meta"]) == {"message_ids": ["T1", "a1", "p2", "a3"], "tree_state": "ready_for_export"}
    assert "no valid thread" in r.quarantine[0]["reason"] and "line 2" in r.quarantine[0]["reason"]


def test_self_instruct_instances(ingest):
    rows = [
        {"id": "t0", "instruction": "Add", "instances": [{"input": "1+1", "output": "2"}, {"input": "", "output": "0"}]},
        {"id": "t1", "instruction": "Empty", "instances": []},
        {"id": "t2", "instruction": "Mixed", "instances": [{"input": "", "output": "ok"}, {"input": "x"}]},
    ]
    r = ingest("a.jsonl", jsonl(*rows))
    assert r.format == "self_instruct"
    assert locators(r.records) == ["1/instance-0", "1/instance-1", "3/instance-0"]
    assert locators(r.quarantine) == ["2", "3/instance-1"]
    a, b = r.records[:2]
    assert [x["content"] for x in a["messages"]] == ["Add\n\n1+1", "2"]
    assert [x["content"] for x in b["messages"]] == ["Add", "0"]
    assert a["group_id"] == b["group_id"] != r.records[2]["group_id"]
    assert json.loads(a["meta"]) == {"id": "t0"}
    assert "instances[1].output is missing" in r.quarantine[1]["reason"]


# --- mapping -----------------------------------------------------------------------------------

def test_mapping_fields_group_labels_meta_and_system(ingest):
    csv = "Ticket,Question,Answer,Intent,Agent\nT-1,Where is it?,On its way.,shipping,bob\nT-1,Thanks,Welcome,,bob\n"
    r = ingest("a.csv", csv, fields={"prompt": "Question", "completion": "Answer"}, group_key="Ticket",
               labels=["Intent", "Missing"], system="You are support.")
    a, b = r.records
    assert [(x["role"], x["content"]) for x in a["messages"]] == [
        ("system", "You are support."), ("user", "Where is it?"), ("assistant", "On its way.")]
    assert a["group_id"] == b["group_id"] == hashing.group_id("t", "T-1")
    assert a["group_id"].startswith("t:") and "T-1" not in a["group_id"]  # the key itself is not written
    assert (a["labels"], b["labels"]) == ({"Intent": "shipping"}, {})
    assert json.loads(a["meta"]) == {"Agent": "bob"}


def test_mapped_field_missing_names_the_source_column(ingest):
    r = ingest("a.csv", "Q,A\nx,y\n", fields={"prompt": "Question", "completion": "A"}, format="prompt_completion")
    assert "prompt is missing (mapped from source field 'Question')" in r.quarantine[0]["reason"]


def test_system_prompt_not_added_when_present(ingest):
    rec = {"messages": [msg("system", "mine"), msg("user", "q")]}
    [out] = ingest("a.jsonl", jsonl(rec), system="theirs").records
    assert [x["content"] for x in out["messages"]] == ["mine", "q"]
