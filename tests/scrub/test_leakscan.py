"""The leak scan checks scrub's promises per group: a replaced value left in its own group fails, the same
word elsewhere does not; a structured value must be a surrogate or allowed; findings never show a value."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from tuneset import frames
from tuneset.scrub import allow
from tuneset.scrub.leakscan import (ExportLine, LeakScanError, line_texts, leak_scan, read_exports, redetector,
                                    scan_final)
from tuneset.scrub.salt import Keyed, fingerprint
from tuneset.scrub.surrogates import mention_form

from stage_helpers import run_stage
from .conftest import SALT, cfg

K = Keyed(SALT)
NAME = "Marisol Quenneville"
PHONE = "(415) 555-0173"
SURROGATE_PHONE = "(212) 555-0148"
SURROGATE_EMAIL = "ava.brooks@example.com"


# --------------------------------------------------------------------------------------------
# Hand-built vault, manifest and exports (the contract of scrub's vault and export's line order)


def original(value: str, type_: str, group: str) -> list[tuple]:
    form = mention_form(value)
    rows = [("original", "tokens", type_, len(form.split()), K.hash(form), group),
            ("original", "first", type_, 1, K.hash(form.split()[0]), group)]
    digits = "".join(c for c in value if c.isdigit())
    if type_ in ("PHONE", "CREDIT_CARD", "US_SSN") and len(digits) >= 7:
        rows.append(("original", "digits", type_, 1, K.hash(digits), group))
    return rows


def surrogate(value: str, type_: str) -> tuple:
    return ("surrogate", "exact", type_, 1, K.hash(value), "")


def vault(*rows: tuple) -> pd.DataFrame:
    df = pd.DataFrame(sorted(set(rows)), columns=["kind", "form", "type", "n_tokens", "hash", "group_id"])
    return df.astype({"n_tokens": "int64"})


VAULT = vault(*original(NAME, "PERSON", "chat:g1"), *original("Max", "PERSON", "chat:g1"),
              *original(PHONE, "PHONE", "chat:g1"), surrogate(SURROGATE_PHONE, "PHONE"),
              surrogate(SURROGATE_EMAIL, "EMAIL"))


def chat(user: str, assistant: str = "Noted.", **extra) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant, **extra}]}


def origin(example_id: str) -> str:
    return hashlib.sha256(example_id.encode()).hexdigest()


def write_final(root: Path, examples: list[tuple[str, str, dict]], kind: str = "sft", split: str = "train") -> Path:
    """``examples``: (example id, group, JSON object); written in example_id order, as export does."""
    final = root / "final"
    for k in ("sft", "preference"):
        for s in ("train", "val", "test"):
            (final / k).mkdir(parents=True, exist_ok=True)
            (final / k / f"{s}.jsonl").write_text("")
    rows = sorted(examples)
    (final / kind / f"{split}.jsonl").write_text("".join(json.dumps(obj) + "\n" for _, _, obj in rows))
    manifest = pd.DataFrame([{"example_id": eid, "origin_id": origin(eid), "kind": kind, "split": split, "group_id": g,
                              "source": g.split(":")[0], "origin": "production"} for eid, g, _ in rows],
                            columns=["example_id", "origin_id", "kind", "split", "group_id", "source", "origin"])
    frames.write_parquet(manifest, final / "manifest.parquet")
    return final


def scan(tmp_path: Path, examples, *, v: pd.DataFrame = VAULT, **kw):
    return scan_final(write_final(tmp_path, examples), v, SALT, cfg(), **kw)


def found(result) -> set[tuple]:
    return {(f.line, f.check, f.type) for f in result.findings}


# --------------------------------------------------------------------------------------------
# The checks


def test_a_replaced_name_left_in_its_own_group_is_a_finding_that_shows_no_value(tmp_path):
    result = scan(tmp_path, [("e1", "chat:g1", chat("hello", f"Sure, {NAME}, I can help.")),
                             ("e2", "chat:g1", chat("hello", "Sure, Ava Brooks."))])
    assert found(result) == {(1, "original_value", "PERSON")}, "a full name is one finding, not one per word"
    f = result.findings[0]
    assert (f.example_id, f.origin_id, f.group_id, f.source) == ("e1", origin("e1"), "chat:g1", "chat")
    assert f.value == NAME and len(f.id) == 10 and f.hash == K.hash(NAME)
    text = json.dumps(result.report)
    assert "Marisol" not in text and "Quenneville" not in text and "help" not in text
    assert NAME not in repr(f) and set(f.as_dict()) >= {"id", "file", "line", "check", "type", "hash", "example_id",
                                                        "origin_id", "source"}


def test_the_same_name_in_another_group_is_not_a_leak(tmp_path):
    result = scan(tmp_path, [("e1", "chat:g2", chat(f"{NAME} wrote a book about Max.")),
                             ("e2", "kb:g9", chat("Max is a common first name."))])
    assert result.passed, result.report


def test_case_is_kept_max_the_name_is_not_max_speed(tmp_path):
    assert scan(tmp_path, [("e1", "chat:g1", chat("What is the max speed?"))]).passed
    assert found(scan(tmp_path, [("e1", "chat:g1", chat("Max says hi"))])) == {(1, "original_value", "PERSON")}


def test_a_replaced_number_in_another_format_is_an_original_digits_finding(tmp_path):
    result = scan(tmp_path, [("e1", "chat:g1", chat("order 12, ring 415.555.0173 please"))])
    assert ("original_digits", "PHONE") in {(f.check, f.type) for f in result.findings}
    assert "0173" not in json.dumps(result.report)
    assert scan(tmp_path, [("e1", "chat:g2", chat("order 12, ring 415.555.0173 tomorrow"))]).findings[0].check \
        == "unscrubbed_value", "in another group the number is no original there, but still an unscrubbed phone"


def test_a_surrogate_passes_and_a_planted_phone_fails(tmp_path):
    assert scan(tmp_path, [("e1", "chat:g3", chat(f"call me at {SURROGATE_PHONE} or {SURROGATE_EMAIL}"))]).passed
    result = scan(tmp_path, [("e1", "chat:g3", chat("hi", "call me at (415) 555-0199 tomorrow"))])
    assert found(result) == {(1, "unscrubbed_value", "PHONE")}
    assert result.findings[0].value == "(415) 555-0199"
    assert "555" not in json.dumps(result.report)


def test_tool_call_arguments_are_scanned_inside(tmp_path):
    args = json.dumps({"email": "jane.roe@corp-mail.org", "note": f"for {NAME}"})
    call = {"tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": args}}]}
    result = scan(tmp_path, [("e1", "chat:g1", {"messages": [{"role": "user", "content": "find me"},
                                                             {"role": "assistant", "content": None, **call}]})])
    assert {(f.check, f.type) for f in result.findings} == {("unscrubbed_value", "EMAIL"), ("original_value", "PERSON")}
    assert {f.value for f in result.findings} == {"jane.roe@corp-mail.org", NAME}


def test_line_texts_skip_structure_but_not_arguments():
    line = {"messages": [{"role": "assistant", "content": "ok", "tool_calls": [
        {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": '{"id": "A-1", "type": "x"}'}}]},
        {"role": "tool", "tool_call_id": "call_9", "content": "done"}],
        "tools": [{"type": "function", "function": {"name": "f", "description": "finds"}}]}
    assert line_texts(line) == ["ok", "f", "A-1", "x", "done", "f", "finds"]
    assert line_texts({"messages": [{"role": "user", "content": "x", "arguments": "not json"}]}) == ["x", "not json"]


def test_allow_by_keyed_hash_and_by_plain_allow_list(tmp_path):
    examples = [("e1", "chat:g3", chat("the office line is (415) 555-0199"))]
    f = scan(tmp_path, examples).findings[0]
    allowed = allow.AllowList()
    allowed.add([allow.Entry(f.hash, f.check, f.type, f.id)])
    result = scan(tmp_path, examples, allow=allowed)
    assert result.passed and result.report["allowed"]["hits_by_check"] == {"unscrubbed_value": 1}
    other = allow.AllowList([allow.Entry(f.hash, "original_value", f.type, f.id)])
    assert not scan(tmp_path, examples, allow=other).passed, "an entry allows its own check only"
    plain = scan_final(write_final(tmp_path, examples), VAULT, SALT, cfg(allow_list=["(415) 555-0199"]))
    assert plain.passed


def test_a_source_profile_restricts_the_unscrubbed_check(tmp_path):
    examples = [("e1", "kb:g3", chat("mail help@corp-mail.org or call (415) 555-0199"))]
    assert {f.type for f in scan(tmp_path, examples).findings} == {"EMAIL", "PHONE"}
    only_email = scan(tmp_path, examples, entities_for=lambda source: {"EMAIL"} if source == "kb" else None)
    assert {f.type for f in only_email.findings} == {"EMAIL"}


def test_another_key_cannot_vouch_for_surrogates(tmp_path):
    final = write_final(tmp_path, [("e1", "chat:g3", chat(f"call me at {SURROGATE_PHONE}"))])
    assert not scan_final(final, VAULT, "not-the-key", cfg()).passed


# --------------------------------------------------------------------------------------------
# Mapping lines to examples


def test_lines_follow_the_manifest_order_of_their_file(tmp_path):
    final = write_final(tmp_path, [("b2", "chat:g2", chat("two")), ("a1", "chat:g1", chat("one"))])
    lines, files = read_exports(final, frames.read_parquet(final / "manifest.parquet"))
    got = [(ln.number, ln.example.example_id, json.loads(ln.text)["messages"][0]["content"]) for ln in lines
           if ln.example]
    assert got == [(1, "a1", "one"), (2, "b2", "two")] and files["unmapped"] == []


def test_a_file_that_disagrees_with_the_manifest_is_an_error_naming_it(tmp_path):
    final = write_final(tmp_path, [("e1", "chat:g1", chat("one"))])
    with open(final / "sft/train.jsonl", "a") as f:
        f.write(json.dumps(chat("an extra line")) + "\n")
    with pytest.raises(LeakScanError, match=r"final/sft/train.jsonl has 2 lines but .* lists 1 sft train"):
        scan_final(final, VAULT, SALT, cfg())


def test_an_unmapped_export_target_gets_the_global_checks_only(tmp_path):
    final = write_final(tmp_path, [("e1", "chat:g1", chat("one"))])
    (final / "axolotl").mkdir()
    (final / "axolotl/train.jsonl").write_text(json.dumps(chat(f"{NAME} (415) 555-0199")) + "\n")
    result = scan_final(final, VAULT, SALT, cfg())
    assert found(result) == {(1, "unscrubbed_value", "PHONE")}
    assert result.findings[0].example_id == "" and result.report["unmapped_files"] == [f"{final.as_posix()}/axolotl/train.jsonl"]
    assert "identifiers and secrets only" in result.report["unmapped_note"]


def test_leak_scan_takes_lines_without_a_manifest_and_ids_are_stable(tmp_path):
    lines = [ExportLine("x.jsonl", 3, json.dumps(chat("call (415) 555-0199")), None, "x.jsonl")]
    a, b = leak_scan(lines, VAULT, SALT, cfg()), leak_scan(lines, VAULT, SALT, cfg(), redetector(cfg()))
    assert [f.id for f in a.findings] == [f.id for f in b.findings] and len(a.findings) == 1


def test_a_vault_without_groups_is_an_error_not_a_pass(tmp_path):
    old = VAULT.drop(columns="group_id")
    with pytest.raises(LeakScanError, match="group_id.*re-run scrub"):
        scan(tmp_path, [("e1", "chat:g1", chat(NAME))], v=old)


# --------------------------------------------------------------------------------------------
# The stage


def stage_files(root: Path, examples) -> None:
    write_final(root / "data", examples)
    frames.write_parquet(VAULT, root / "data/scrub/pii_vault.parquet")
    (root / "data/salt.fingerprint").write_text(fingerprint(SALT) + "\n")


def test_the_stage_names_each_finding_and_the_review_command_never_the_value(stage_workdir, monkeypatch, capsys):
    monkeypatch.setenv("TUNESET_PII_SALT", SALT)
    stage_files(stage_workdir, [("e1", "chat:g1", chat("hi", f"Dear {NAME}, call (415) 555-0199"))])
    run_stage("leak_scan", "--final", "data/final", "--vault", "data/scrub/pii_vault.parquet", code=1)
    err = capsys.readouterr().err
    report = (stage_workdir / "reports/leak_scan.json").read_text()
    for where in (err, report):
        assert "Quenneville" not in where and "555-0199" not in where
    assert "LEAK " in err and "data/final/sft/train.jsonl:1 original_value PERSON" in err
    assert "data/final/sft/train.jsonl:1 unscrubbed_value PHONE" in err
    assert "ERROR: 2 finding(s)" in err and "run `tuneset pii review` to see each one in context" in err


def test_the_stage_refuses_an_allow_file_of_another_key(stage_workdir, monkeypatch, capsys):
    monkeypatch.setenv("TUNESET_PII_SALT", SALT)
    stage_files(stage_workdir, [("e1", "chat:g3", chat("hi"))])
    path = stage_workdir / "conf/pii/allow.yaml"
    allow.save(path, allow.AllowList([allow.Entry("0" * 32, "unscrubbed_value", "PHONE", "abc")]), "another-key")
    run_stage("leak_scan", "--allow-file", str(path), code=1)
    assert ("was made with another TUNESET_PII_SALT; its 1 entries no longer match anything: run `tuneset pii review` "
            "again") in capsys.readouterr().err
    allow.save(path, allow.AllowList(), "another-key")  # no entries: any key
    run_stage("leak_scan", "--allow-file", str(path), code=0)
