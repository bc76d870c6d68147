import json

import pytest

from tuneset import export, tokens
from tuneset import schema as col
from tuneset.config import ExportConfig
from tuneset.frames import records_frame
from tuneset.records import message

TRL, DPO = ExportConfig(), ExportConfig(preference_format="openai_dpo")


def with_split(records, split="train"):
    df = records_frame(records)
    df[col.SPLIT] = split
    return df


def test_sft_line_is_openai_chat_with_tools(record_factory):
    rec = record_factory()
    rec[col.MESSAGES].insert(1, message("assistant", None, tool_calls=[{"id": "c1", "type": "function",
                                        "function": {"name": "lookup", "arguments": "{}"}}]))
    rec[col.MESSAGES].insert(2, message("tool", "found", tool_call_id="c1"))
    rec[col.TOOLS] = '[{"type":"function","function":{"name":"lookup"}}]'
    obj = export.render(rec, TRL)
    assert obj["tools"][0]["function"]["name"] == "lookup"
    assert obj["messages"][1] == {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                  "function": {"name": "lookup", "arguments": "{}"}}]}
    assert obj["messages"][2] == {"role": "tool", "content": "found", "tool_call_id": "c1"}
    export.validate_line(export.to_line(obj), "sft", TRL)


def test_preference_formats(record_factory):
    rec = record_factory(kind="preference")
    trl = export.render(rec, TRL)
    assert set(trl) == {"prompt", "chosen", "rejected"} and trl["prompt"][-1]["role"] == "user"
    dpo = export.render(rec, DPO)
    assert set(dpo) == {"input", "preferred_output", "non_preferred_output"}
    export.validate_line(export.to_line(trl), "preference", TRL)
    export.validate_line(export.to_line(dpo), "preference", DPO)


@pytest.mark.parametrize("line, kind", [
    ('{"messages": [{"role": "user", "content": "q"}]}', "sft"),
    ('{"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "a"}]}', "sft"),
    ('{"messages": []}', "sft"),
    ('["not", "an", "object"]', "sft"),
    ('{"prompt": [{"role": "user", "content": "q"}], "chosen": [], "rejected": []}', "preference"),
])
def test_invalid_lines_are_rejected(line, kind):
    with pytest.raises(ValueError):
        export.validate_line(line, kind, TRL)


def test_validate_file_names_the_line():
    good = export.to_line({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
    with pytest.raises(ValueError, match="train.jsonl line 2"):
        export.validate_file(good + '{"messages": 1}\n', "sft", TRL, "train.jsonl")


def test_export_lines_cover_every_kind_and_split_in_stable_order(record_factory):
    df = with_split([record_factory(user=f"q{i}", locator=str(i)) for i in range(5)])
    lines = export.export_lines(df, TRL)
    assert set(lines) == {(k, s) for k in col.KINDS for s in col.SPLITS}
    assert len(lines[("sft", "train")]) == 5 and lines[("preference", "test")] == []
    assert export.export_lines(df.iloc[::-1], TRL) == lines


def test_manifest_and_version(record_factory):
    df = with_split([record_factory(user=f"q{i}", locator=str(i)) for i in range(3)], "val")
    df[col.CLUSTER_ID] = df[col.ORIGIN_ID]
    df[col.N_TOKENS] = 7
    m = export.manifest(df)
    assert list(m.columns) == list(col.MANIFEST_COLUMNS) and len(m) == 3
    v = export.version(df, "params", None)
    assert v.counts["sft"] == {"train": 0, "val": 3, "test": 0}
    assert v.dataset_version == export.version(df.iloc[::-1], "params", None).dataset_version
    assert json.loads(v.to_json())["params_fingerprint"] != json.loads(export.version(df, "other", None).to_json())["params_fingerprint"]


def test_token_counts_and_stats(record_factory):
    enc = tokens.encoding("o200k_base")
    rec = record_factory(user="hello world", answer="hello world")
    # 3 primer + 2 * (4 framing + 2 tokens for "hello world")
    assert export.count_record_tokens(rec, enc) == 3 + 2 * (4 + 2)
    df = with_split([rec])
    df[col.N_TOKENS] = [10]
    stats = export.token_stats(df, context_tokens=10)
    assert stats["max"] == 10 and stats["over_context"] == 0 and stats["near_context"] == 1
