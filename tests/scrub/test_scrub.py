"""The scrub stage function on frames: replacements, counts, drops, redact numbering, the vault."""

from __future__ import annotations

import json

import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.frames import records_frame
from tuneset.ledger import record_text
from tuneset.records import compute_example_id
from tuneset.scrub import PII_EDITS, scrub
from tuneset.scrub.detectors import Detector

from .conftest import SALT, cfg

EMAIL = "marisol.q@example.com"


def run(df, **overrides):
    c = cfg(**overrides)
    return scrub(df, c, SALT, detector=Detector(c))


def test_values_are_replaced_counted_and_ids_recomputed(frame):
    df = frame((f"Reach me at {EMAIL} or call me on +44 20 7946 0958.", "Thanks, we will email you."),
               ("How do I reset my password?", "Use the reset link."))
    r = run(df)
    rec = r.examples.to_dict("records")
    assert EMAIL not in record_text(rec[0]) and "7946 0958" not in record_text(rec[0])
    assert json.loads(rec[0][PII_EDITS]) == {"EMAIL": 1, "PHONE": 1}
    assert rec[0][col.EXAMPLE_ID] == compute_example_id(rec[0]) != df[col.EXAMPLE_ID][0]
    assert rec[1][PII_EDITS] == "{}" and rec[1][col.EXAMPLE_ID] == df[col.EXAMPLE_ID][1]
    assert r.report["pii_by_type"] == {"EMAIL": 1, "PHONE": 1}
    assert r.report["pii_by_source"] == {"test": {"EMAIL": 1, "PHONE": 1}}
    assert r.report["examples_with_pii"] == 1


def test_consistency_within_a_group_not_across(frame):
    same = frame((f"I am {EMAIL}", "ok"), (f"Again, {EMAIL}", "ok"), group="t1")
    other = frame((f"I am {EMAIL}", "ok"), group="t2")
    df = records_frame(same.to_dict("records") + [{**other.to_dict("records")[0], col.ORIGIN_ID: "x" * 64}])
    texts = [r[col.MESSAGES][0]["content"] for r in run(df, consistency="group").examples.to_dict("records")]
    surrogate = texts[0].removeprefix("I am ")
    assert texts[1] == f"Again, {surrogate}" and texts[2] != texts[0]
    dataset_wide = [r[col.MESSAGES][0]["content"] for r in run(df, consistency="dataset").examples.to_dict("records")]
    assert dataset_wide[2] == dataset_wide[0]


def test_redact_numbers_per_type_and_keeps_numbers_for_repeats(frame):
    df = frame((f"Mail {EMAIL}, or b@example.org, or {EMAIL} again.", f"Noted: {EMAIL}."))
    rec = run(df, mode="redact").examples.to_dict("records")[0]
    assert rec[col.MESSAGES][0]["content"] == "Mail <EMAIL_1>, or <EMAIL_2>, or <EMAIL_1> again."
    assert rec[col.MESSAGES][1]["content"] == "Noted: <EMAIL_1>."
    assert json.loads(rec[PII_EDITS]) == {"EMAIL": 4}


def test_secrets_drop_the_example_without_leaking_the_value(frame):
    key = "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8"
    df = frame((f"my token is {key}, email {EMAIL}", "Please revoke it."), ("fine", "ok"))
    r = run(df)
    assert len(r.examples) == 1 and len(r.dropped) == 1
    row = r.dropped.to_dict("records")[0]
    assert row["rule"] == "pii_drop_types" and row["stage"] == "scrub"
    assert json.loads(row["details"])["types"] == {"GITHUB_TOKEN": 1}
    blob = json.dumps(row) + json.dumps(r.report)
    assert key not in blob and EMAIL not in blob
    assert "<GITHUB_TOKEN_1>" in row["preview"] and "<EMAIL_1>" in row["preview"]
    assert r.report["dropped_by_rule"] == {"pii_drop_types": 1}
    kept = run(df, drop_types=[])
    assert len(kept.examples) == 2 and key not in record_text(kept.examples.to_dict("records")[0])


def test_tool_call_arguments_tools_and_meta_are_scrubbed(record_factory):
    rec = record_factory("Look up my account", "Done.", meta={"customer_email": EMAIL})
    call = [{"id": "c1", "type": "function", "function": {"name": "lookup",
             "arguments": json.dumps({"email": EMAIL, "note": "call me on +44 20 7946 0958"})}}]
    rec[col.MESSAGES] = [rec[col.MESSAGES][0], {"role": "assistant", "content": None, "name": None,
                         "tool_calls": hashing.canonical_json(call), "tool_call_id": None},
                         {"role": "tool", "content": f"found {EMAIL}", "name": None, "tool_calls": None, "tool_call_id": "c1"},
                         rec[col.MESSAGES][1]]
    out = run(records_frame([rec])).examples.to_dict("records")[0]
    blob = json.dumps(out, default=str)
    assert EMAIL not in blob and "7946 0958" not in blob
    args = json.loads(json.loads(out[col.MESSAGES][1]["tool_calls"])[0]["function"]["arguments"])
    assert set(args) == {"email", "note"} and args["email"].endswith(("example.com", "example.net", "example.org"))
    assert json.loads(out[PII_EDITS])["EMAIL"] == 3


def test_vault_holds_keyed_hashes_only(frame):
    df = frame((f"I am Marisol Quenneville. Mail {EMAIL}, card 4111 1111 1111 1111.", "ok"))
    r = run(df)
    vault = r.vault
    assert list(vault.columns) == ["kind", "form", "type", "n_tokens", "hash", "group_id"]
    assert set(vault["kind"]) == {"original", "surrogate"}
    assert vault["hash"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert not vault.astype(str).apply(lambda c: c.str.contains("marisol|4111|example", case=False)).any().any()


def test_empty_frame_and_determinism(frame):
    empty = run(records_frame([]))
    assert empty.examples.empty and PII_EDITS in empty.examples.columns and empty.report["rows_in"] == 0
    df = frame((f"Mail {EMAIL} or call me on 020 7946 0240", "ok"), ("Regards, Talia Ashgrove", "ok"))
    a, b = run(df), run(df)
    pd.testing.assert_frame_equal(a.examples, b.examples)
    pd.testing.assert_frame_equal(a.vault, b.vault)
    assert a.report == b.report
    assert scrub(df, cfg(), "another-salt", detector=Detector(cfg())).examples[col.EXAMPLE_ID].tolist() != \
        a.examples[col.EXAMPLE_ID].tolist()


def test_detection_in_worker_processes_gives_the_same_result(frame, monkeypatch):
    from tuneset.scrub import core

    pairs = [(f"Reach {EMAIL} or +44 20 7946 0958 (ticket {i}).", f"Thanks Ann Lee, noted {i}.") for i in range(9)]
    pairs += [("My key is sk-proj-4fT9qLmZ2xVbN8cRwYe1Hs7KdPa3GuJo", "Rotate it."), ("No PII here.", "Fine.")]
    df = frame(*pairs, group="t1")
    c = cfg(ner=True)
    monkeypatch.setattr(core, "DETECT_CHUNK", 4)  # several chunks, handed out to the workers
    one = scrub(df, c, SALT, detector=Detector(c), workers=1)
    two = scrub(df, c, SALT, detector=Detector(c), workers=2)
    assert one.report["distinct_texts"] > 8 and one.report["pii_by_type"]["EMAIL"] == 9 and len(one.dropped) == 1
    pd.testing.assert_frame_equal(one.examples, two.examples)
    pd.testing.assert_frame_equal(one.dropped, two.dropped)
    pd.testing.assert_frame_equal(one.vault, two.vault)
    assert one.report == two.report


def test_two_passes_over_batches_give_the_whole_table_result(frame, monkeypatch):
    from tuneset.scrub import core

    pairs = [(f"Reach {EMAIL} or +44 20 7946 0958 (ticket {i}).", f"Thanks Ann Lee, noted {i}.") for i in range(7)]
    pairs += [("My key is sk-proj-4fT9qLmZ2xVbN8cRwYe1Hs7KdPa3GuJo", "Rotate it."), ("No PII here.", "Fine."),
              (f"Again {EMAIL}, from Ann Lee.", "Noted.")]
    df = frame(*pairs, group="t1")
    c = cfg()
    monkeypatch.setattr(core, "DETECT_CHUNK", 5)  # chunks that straddle the batches
    whole = scrub(df, c, SALT, detector=Detector(c))
    batches = [df.iloc[i:i + 3].reset_index(drop=True) for i in range(0, len(df), 3)]
    run = core.ScrubRun(c, SALT, detector=Detector(c))
    run.detect(iter(batches))
    run.plan(iter(batches))
    parts = [run.replace(b) for b in batches]
    kept = pd.concat([k for k, _ in parts], ignore_index=True)
    dropped = pd.concat([d for _, d in parts if len(d)], ignore_index=True)
    pd.testing.assert_frame_equal(kept, whole.examples)
    pd.testing.assert_frame_equal(dropped, whole.dropped)
    pd.testing.assert_frame_equal(run.vault(), whole.vault)
    assert run.report() == whole.report and whole.report["rows_in"] == 10 and len(whole.dropped) == 1
    assert len(run.spans) < whole.report["distinct_texts"]  # only texts with spans are kept


def test_replace_before_detect_is_an_error(frame):
    import pytest

    from tuneset.scrub import core

    run = core.ScrubRun(cfg(), SALT, detector=Detector(cfg()))
    with pytest.raises(RuntimeError, match="before detect"):
        run.replace(frame(("a", "b")))


def test_stage_in_batches_and_workers_writes_the_bytes_of_one_batch(stage_workdir, frame, monkeypatch):
    from stage_helpers import run_stage

    from tuneset import frames

    pairs = [(f"Reach {EMAIL} or +44 20 7946 0958 (ticket {i}).", f"Thanks Ann Lee, noted {i}.") for i in range(8)]
    pairs += [("My key is sk-proj-4fT9qLmZ2xVbN8cRwYe1Hs7KdPa3GuJo", "Rotate it."), ("No PII here.", "Fine.")]
    frames.write_parquet(frame(*pairs, group="t1"), "in.parquet")
    monkeypatch.setenv("TUNESET_PII_SALT", SALT)
    outputs = ("examples.parquet", "dropped.parquet", "pii_vault.parquet", "report.json")
    for name, batch_rows, workers in (("one", "50000", "1"), ("many", "3", "2")):
        monkeypatch.setenv("TUNESET_WORKERS", workers)
        run_stage("scrub", "--input", "in.parquet", "--out", name, "--report", f"{name}/report.json",
                  "--salt-fingerprint", "none.fingerprint", "--batch-rows", batch_rows)
    for out in outputs:
        assert (stage_workdir / "one" / out).read_bytes() == (stage_workdir / "many" / out).read_bytes(), out
    assert json.loads((stage_workdir / "many/report.json").read_text())["dropped_by_rule"] == {"pii_drop_types": 1}
