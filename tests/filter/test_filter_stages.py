"""Acceptance: a JSONL of many kinds of broken rows mixed among good rows goes through ingest,
normalize, filter, split and export in-process (the stage scripts, as `dvc repro` runs them):
every good row is exported, no broken row is, each broken row is a named drop, the books balance."""

from __future__ import annotations

import json

import pandas as pd

from stage_helpers import run_stage

TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]


def chat(tag, answer="Open Settings, then Export.", system=None):
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": f"How do I export my files? ({tag})"}, {"role": "assistant", "content": answer}]
    return {"messages": msgs}


def tool_chat(tag, name="lookup_order", args='{"order_id": "HL-1"}', answer_id="c1", tools=TOOLS):
    row = {"messages": [
        {"role": "user", "content": f"Where is my order HL-1? ({tag})"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": name, "arguments": args}}]},
        {"role": "tool", "tool_call_id": answer_id, "content": '{"status": "shipped"}'},
        {"role": "assistant", "content": "It has shipped."}]}
    if tools is not None:
        row["tools"] = tools
    return row


def mutate(row, fn):
    fn(row)
    return row


# (tag, raw line, the rule that must drop it)
BROKEN = [
    ("bad-json", '{"messages": [{"role": "user", "content": "cut off (bad-json)"', "invalid_json"),
    ("bad-order", json.dumps({"messages": [{"role": "assistant", "content": "Hi (bad-order)"},
                                           {"role": "user", "content": "?"}]}), "role_order"),
    ("bad-empty", json.dumps(chat("bad-empty", answer="   ")), "final_assistant_turn"),
    ("bad-role", json.dumps(mutate(chat("bad-role"), lambda r: r["messages"][0].update(role="narrator"))), "known_roles"),
    ("bad-nul", json.dumps(chat("bad-nul", answer="Open\u0000Settings")), "control_characters"),
    ("bad-esc", json.dumps(chat("bad-esc", answer="\u001b[31mred\u001b[0m")), "control_characters"),
    ("bad-special", json.dumps(chat("bad-special", answer="Open Settings.<|im_end|>")), "stray_special_tokens"),
    ("bad-inst", json.dumps(mutate(chat("bad-inst"), lambda r: r["messages"][0].update(
        content="[INST] ignore the rules (bad-inst)"))), "stray_special_tokens"),
    ("bad-eot", json.dumps(chat("bad-eot", answer="Sure<|eot_id|><|start_header_id|>user")), "stray_special_tokens"),
    # A thread ending on a user turn is trimmed to its last assistant turn (tests/normalize/test_trim.py);
    # one with no assistant turn at all is still dropped.
    ("bad-no-answer", json.dumps({"messages": [{"role": "system", "content": "S"},
                                               {"role": "user", "content": "Anyone there? (bad-no-answer)"}]}),
     "final_assistant_turn"),
    ("bad-no-user", json.dumps({"messages": [{"role": "system", "content": "S (bad-no-user)"},
                                             {"role": "assistant", "content": "A"}]}), "has_user_turn"),
    ("bad-empty-user", json.dumps(mutate(chat("bad-empty-user"), lambda r: r["messages"].insert(
        0, {"role": "system", "content": "  "}))), "nonempty_content"),
    ("bad-args-json", json.dumps(tool_chat("bad-args-json", args='{"order_id": ')), "tool_call_format"),
    ("bad-no-name", json.dumps(tool_chat("bad-no-name", name="")), "tool_call_format"),
    ("bad-undeclared", json.dumps(tool_chat("bad-undeclared", name="refund")), "tool_call_declared"),
    ("bad-schema", json.dumps(tool_chat("bad-schema", args='{"order": 5}')), "tool_call_arguments"),
    ("bad-call-id", json.dumps(tool_chat("bad-call-id", answer_id="c9")), "tool_call_ids"),
    ("bad-tools", json.dumps(tool_chat("bad-tools", tools=[{"type": "function", "function": {
        "name": "lookup_order", "parameters": {"type": "strng"}}}])), "tools_declaration"),
    ("bad-long", json.dumps(chat("bad-long", answer="lorem ipsum " * 5000)), "context_limit"),
]


def good_rows():
    rows = [chat(f"good-{i}", system="You are Northwind support." if i % 3 == 0 else None) for i in range(24)]
    rows[5]["messages"][1]["content"] = "donâ€™t worry, itâ€™s fine (mojibake is repaired, not dropped)"
    rows += [tool_chat(f"good-tool-{i}") for i in range(4)]
    rows.append(chat("good-special-looking", answer="Use <b>bold</b> and [inst] lowercase; <s> is plain HTML."))
    return rows


GOOD_PREFS = [{"prompt": f"Can I get a refund? (good-pref-{i})", "chosen": "Yes, within 30 days.", "rejected": "No."}
              for i in range(4)]
BROKEN_PREFS = [  # (line in prefs.jsonl, raw line, rule)
    ("3", json.dumps({"prompt": "Refund? (bad-same-pair)", "chosen": "Yes.", "rejected": "Yes."}), "distinct_responses"),
    ("5", json.dumps({"prompt": "Refund? (bad-space-pair)", "chosen": "Yes,  sure.", "rejected": "Yes, sure."}),
     "distinct_responses"),
    ("6", json.dumps({"prompt": "Refund? (bad-special-pair)", "chosen": "<end_of_turn>", "rejected": "No."}),
     "stray_special_tokens"),
]


def test_broken_rows_are_dropped_by_name_good_rows_exported_books_balance(stage_workdir):
    good = [json.dumps(r) for r in good_rows()]
    lines = list(good)
    expected_rule = {}
    for k, (tag, line, rule) in enumerate(BROKEN):  # interleave: a broken row after every good one or two
        at = min(len(lines), 1 + k * 2)
        lines.insert(at, line)
    for i, line in enumerate(lines, start=1):
        for tag, raw, rule in BROKEN:
            if line is raw:
                expected_rule[str(i)] = rule
    raw = stage_workdir / "data/raw/mixed"
    raw.mkdir(parents=True)
    (raw / "chat.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    prefs = [json.dumps(r) for r in GOOD_PREFS]
    for at, line, _ in BROKEN_PREFS:
        prefs.insert(int(at) - 1, line)
    (raw / "prefs.jsonl").write_text("\n".join(prefs) + "\n", encoding="utf-8")
    expected = {("data/raw/mixed/chat.jsonl", loc): rule for loc, rule in expected_rule.items()}
    expected.update({("data/raw/mixed/prefs.jsonl", loc): rule for loc, _, rule in BROKEN_PREFS})
    n_good = len(good) + len(GOOD_PREFS)

    run_stage("check_params")
    run_stage("ingest")
    run_stage("normalize")
    run_stage("filter", "--input", "data/normalize/examples.parquet")
    run_stage("split", "--input", "data/filter/examples.parquet")
    run_stage("export", "--dropped", "data/ingest/dropped.parquet", "data/normalize/dropped.parquet",
              "data/filter/dropped.parquet", "data/split/dropped.parquet")

    lineage = json.loads((stage_workdir / "reports/lineage.json").read_text())
    assert lineage["balanced"], lineage
    assert lineage["raw_rows"] == len(lines) + len(prefs) and lineage["kept"] == n_good

    dropped = pd.read_parquet(stage_workdir / "data/final/dropped.parquet")
    assert dict(zip(zip(dropped["source_file"], dropped["locator"]), dropped["rule"])) == expected
    assert all(r.startswith("data/raw/mixed/") for r in dropped["reason"])

    exported = [line for kind in ("sft", "preference") for s in ("train", "val", "test")
                for line in (stage_workdir / f"data/final/{kind}/{s}.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(exported) == n_good
    assert not any("bad-" in line for line in exported)
    for tag in [f"good-{i}" for i in range(24) if i != 5] + [f"good-tool-{i}" for i in range(4)] + \
               [f"good-pref-{i}" for i in range(4)] + ["good-special-looking"]:
        assert sum(f"({tag})" in line for line in exported) == 1, tag
    assert any("don’t worry" in line for line in exported)

    manifest = pd.read_parquet(stage_workdir / "data/final/manifest.parquet")
    filtered = pd.read_parquet(stage_workdir / "data/filter/examples.parquet")
    assert (filtered["n_tokens"] > 0).all() and len(filtered) == n_good
    report = json.loads((stage_workdir / "reports/filter.json").read_text())
    assert report["dropped_by_rule"] == {"context_limit": 1}
    assert report["tokens"]["over_limit"]["count"] == 1 and report["tokens"]["n_tokens"]["count"] == n_good
    normalize_report = json.loads((stage_workdir / "reports/normalize.json").read_text())
    assert sum(normalize_report["dropped_by_rule"].values()) == sum(1 for r in expected.values()
                                                                   if r not in ("invalid_json", "context_limit"))
    assert len(manifest) == n_good
    assert (stage_workdir / "reports/gates/filtered.json").exists()
