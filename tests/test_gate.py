"""Great Expectations gates on small canonical frames: good frames pass, corrupted ones fail for
the right reason, the summary says why, and the report is byte-identical run to run.

GX costs about 3 s to import and a few tenths of a second per validate, so corruptions are grouped
into one frame per suite and results are shared through module-scoped fixtures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from tuneset import frames, gate
from tuneset import schema as col
from tuneset.gate import GateFailed, GateResult, enforce, flat_view, run_gate, validate
from tuneset.ledger import dropped_frame, dropped_row
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message
from tuneset.rules import REGISTRY, Rule, register

SUITES = Path(__file__).resolve().parents[1] / "expectations"
INFO = SourceInfo("tickets", "data/raw/tickets.jsonl", origin="production", license="cc-by-4.0")


if "gate_test_rule" not in REGISTRY:
    @register
    @dataclass(frozen=True)
    class GateTestRule(Rule):
        """Drops what the gate tests tell it to (exists only for tests/test_gate.py)."""

        name: ClassVar[str] = "gate_test_rule"
        version: ClassVar[int] = 1
        stage: ClassVar[str] = "filter"
        threshold: float = 0.5
RULE = REGISTRY["gate_test_rule"]()


def sft(i: int, *, last: str = "assistant") -> dict:
    msgs = [message("system", "You are a support agent."), message("user", f"Where is order {i}?")]
    if last == "assistant":
        msgs.append(message("assistant", f"Order {i} ships tomorrow."))
    return build_record(Unit(str(i), f'{{"line": {i}}}'.encode(), Parsed(
        "sft", msgs, group_id=f"ticket-{i}", labels={"intent": "order_status"})), INFO)


def pref(i: int) -> dict:
    return build_record(Unit(str(i), f'{{"pair": {i}}}'.encode(), Parsed(
        "preference", [message("user", f"Summarise ticket {i}.")],
        chosen=[message("assistant", "A short, accurate summary.")],
        rejected=[message("assistant", "Whatever.")],
        tools='[{"name": "lookup_order"}]')), INFO)


def examples() -> pd.DataFrame:
    return frames.records_frame([sft(1), sft(2), sft(3), pref(4)])


def split_frame() -> pd.DataFrame:
    df = examples()
    df[col.SPLIT] = ["train", "train", "val", "test"]
    df[col.CLUSTER_ID] = df[col.ORIGIN_ID]
    return df


def manifest() -> pd.DataFrame:
    m = split_frame()[list(col.MANIFEST_COLUMNS[:-1])].copy()
    m[col.N_TOKENS] = pd.Series([21, 23, 22, 30], dtype="int64")
    return m[list(col.MANIFEST_COLUMNS)]


def dropped() -> pd.DataFrame:
    a, b = sft(10), sft(11)
    return dropped_frame([
        dropped_row(a, stage="filter", rule=RULE, reason="score 0.1 below 0.5", details={"score": 0.1}),
        dropped_row(b, stage="dedup", rule=RULE, reason="duplicate", duplicate_of=a[col.ORIGIN_ID]),
    ])


def suite(name: str) -> Path:
    return SUITES / f"{name}.json"


def failed(result: GateResult) -> dict[tuple[str, str], dict]:
    """Failures keyed by (expectation type, column)."""
    return {(f["type"], f["column"]): f for f in result.failures}


# --------------------------------------------------------------------------------------------
# flat_view (no GX)


def test_flat_view_derives_scalars_without_mutating_input():
    df = examples()
    df.at[1, col.MESSAGES] = df.at[1, col.MESSAGES][:-1] + [message("assistant", None)]
    before = df.copy(deep=True)
    fv = flat_view(df)
    pd.testing.assert_frame_equal(df, before)  # input untouched
    assert list(fv.index) == list(df.index)
    assert fv[gate.N_MESSAGES].tolist() == [3, 3, 3, 1]
    assert fv[gate.FIRST_ROLE].tolist() == ["system", "system", "system", "user"]
    assert fv[gate.LAST_ROLE].tolist() == ["assistant", "assistant", "assistant", "user"]
    assert fv[gate.LAST_CONTENT_CHARS].tolist() == [len("Order 1 ships tomorrow."), 0, len("Order 3 ships tomorrow."),
                                                   len("Summarise ticket 4.")]
    assert fv[gate.N_CHOSEN].tolist() == [0, 0, 0, 1]
    assert fv[gate.N_REJECTED].tolist() == [0, 0, 0, 1]
    assert fv[gate.HAS_TOOLS].tolist() == [False, False, False, True]
    assert fv[gate.N_LABELS].tolist() == [1, 1, 1, 0]
    assert fv[gate.STRUCTURE_OK].tolist() == [True, False, True, True]  # row 1: empty assistant turn
    # Nested columns keep their names (so suites can check they exist) but hold item counts.
    assert fv[col.MESSAGES].tolist() == [3, 3, 3, 1]
    assert fv[col.CHOSEN].tolist() == [None, None, None, 1]
    for c in gate.NESTED_COLUMNS:
        assert not any(isinstance(v, (list, dict)) for v in fv[c].tolist())


def test_flat_view_of_an_empty_frame():
    df = frames.records_frame([])
    before = df.copy(deep=True)
    fv = flat_view(df)
    assert len(fv) == 0
    assert set(gate.DERIVED_COLUMNS) <= set(fv.columns)
    assert set(col.RECORD_COLUMNS) <= set(fv.columns)
    pd.testing.assert_frame_equal(df, before)


def test_flat_view_after_a_parquet_round_trip(tmp_path: Path):
    df = examples()
    # records_frame infers pandas' NaN-backed str dtype for a text column with nulls (tools here),
    # which frames.to_table cannot write; stages hold object columns with None.
    df = df.astype(object).where(df.notna(), None)
    frames.write_parquet(df, tmp_path / "examples.parquet")
    back = frames.read_parquet(tmp_path / "examples.parquet")
    derived = list(gate.DERIVED_COLUMNS)
    pd.testing.assert_frame_equal(flat_view(back)[derived], flat_view(df)[derived])


def test_flat_view_skips_what_it_cannot_derive():
    fv = flat_view(examples().drop(columns=[col.MESSAGES]))
    assert gate.N_MESSAGES not in fv.columns and gate.STRUCTURE_OK not in fv.columns
    assert gate.N_CHOSEN in fv.columns


def test_importing_the_gate_does_not_import_gx():
    code = "import sys, tuneset.gate; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# Good frames pass


@pytest.mark.parametrize("name,make", [
    ("ingested", examples), ("normalized", examples), ("split", split_frame),
    ("manifest", manifest), ("dropped", dropped), ("dropped", lambda: dropped_frame([])),
], ids=["ingested", "normalized", "split", "manifest", "dropped", "dropped-empty"])
def test_good_frame_passes(name, make):
    result = validate(make(), suite(name))
    assert result.success, result.summary(failures_only=True)
    assert result.failures == []
    assert result.suite == name
    enforce(result)  # no exception


def test_empty_examples_table_fails_on_row_count_only():
    result = validate(frames.records_frame([]), suite("ingested"))
    assert not result.success
    assert [f["type"] for f in result.failures] == ["expect_table_row_count_to_be_between"]
    assert result.failures[0]["observed_value"] == 0


# --------------------------------------------------------------------------------------------
# Corrupted frames fail for the right reason


@pytest.fixture(scope="module")
def bad_examples() -> GateResult:
    df = examples()
    df.at[1, col.ORIGIN_ID] = df.at[0, col.ORIGIN_ID]          # duplicated unit
    df.at[2, col.KIND] = "bogus\x07" + "k" * 100               # bad kind, control char, long
    df.at[0, col.MESSAGES] = df.at[0, col.MESSAGES][:-1]       # sft whose last message is user
    df = df.drop(columns=[col.SOURCE])                          # missing column
    return validate(df, suite("normalized"))


def test_examples_corruptions_are_named(bad_examples: GateResult):
    assert not bad_examples.success
    f = failed(bad_examples)
    unique = f[("expect_column_values_to_be_unique", col.ORIGIN_ID)]
    assert unique["unexpected_count"] == 2
    kind = f[("expect_column_values_to_be_in_set", col.KIND)]
    assert kind["unexpected_count"] == 1
    assert ("expect_column_to_exist", col.SOURCE) in f
    assert f[("expect_table_columns_to_match_set", "")]["mismatched"] == {"missing": [col.SOURCE]}
    structure = f[("expect_column_values_to_be_in_set", gate.STRUCTURE_OK)]
    assert structure["unexpected_count"] == 2  # the user-ending sft row, and the bogus-kind row
    assert ("expect_column_values_to_be_in_set", gate.LAST_ROLE) not in f  # 'user' is a legal last role
    # Nothing else failed: a corruption does not spill into unrelated expectations.
    assert set(f) == {
        ("expect_table_columns_to_match_set", ""), ("expect_column_to_exist", col.SOURCE),
        ("expect_column_values_to_not_be_null", col.SOURCE), ("expect_column_values_to_be_unique", col.ORIGIN_ID),
        ("expect_column_values_to_be_in_set", col.KIND), ("expect_column_values_to_be_in_set", gate.STRUCTURE_OK),
    }


def test_summary_names_expectation_column_and_sample(bad_examples: GateResult):
    text = bad_examples.summary()
    lines = text.splitlines()
    assert lines[0] == "gate normalized: FAILED, 6 of 38 expectations failed"
    assert len(lines) == 1 + 38  # one line per expectation
    origin = examples().at[0, col.ORIGIN_ID]
    dup = next(ln for ln in lines if ln.startswith("FAIL expect_column_values_to_be_unique origin_id"))
    assert f"'{origin}' (x2)" in dup and "unexpected_count=2 of 4" in dup
    kind = next(ln for ln in lines if ln.startswith("FAIL expect_column_values_to_be_in_set kind"))
    sample = kind.split("sample: ", 1)[1]
    assert sample.startswith("'bogus\\x07kkk") and sample.endswith("…") and len(sample) == 80
    assert "\x07" not in text
    assert "FAIL expect_column_to_exist source" in text
    assert "FAIL expect_table_columns_to_match_set: missing [\"source\"]" in text
    assert "PASS expect_column_values_to_match_regex origin_id" in text


def test_enforce_raises_with_the_failures(bad_examples: GateResult):
    with pytest.raises(GateFailed) as info:
        enforce(bad_examples)
    msg = str(info.value)
    assert msg.startswith("gate normalized: FAILED")
    assert "FAIL expect_column_values_to_be_unique origin_id" in msg
    assert "PASS" not in msg


def test_split_corruptions():
    df = split_frame()
    df.at[0, col.SPLIT] = "holdout"
    df.at[1, col.CLUSTER_ID] = None
    f = failed(validate(df, suite("split")))
    assert f[("expect_column_values_to_be_in_set", col.SPLIT)]["sample"] == ["'holdout'"]
    assert f[("expect_column_values_to_not_be_null", col.CLUSTER_ID)]["unexpected_count"] == 1
    assert len(f) == 2


def test_manifest_corruptions():
    m = manifest()
    m.at[3, col.N_TOKENS] = -1
    m.at[2, col.ORIGIN_ID] = m.at[1, col.ORIGIN_ID]
    m.at[0, col.EXAMPLE_ID] = m.at[1, col.EXAMPLE_ID]  # shared content is allowed
    m["extra"] = 1
    result = validate(m, suite("manifest"))
    f = failed(result)
    assert f[("expect_table_columns_to_match_set", "")]["mismatched"] == {"unexpected": ["extra"]}
    assert f[("expect_column_values_to_be_between", col.N_TOKENS)]["sample"] == ["-1"]
    assert f[("expect_column_values_to_be_unique", col.ORIGIN_ID)]["unexpected_count"] == 2
    assert len(f) == 3
    assert 'unexpected ["extra"]' in result.summary()


def test_dropped_corruptions():
    d = dropped()
    d.at[0, col.PREVIEW] = "p" * 250
    d.at[1, col.RULE_FINGERPRINT] = "NOT-A-FINGERPRINT"
    d.at[1, col.STAGE] = "cleanup"
    d.at[1, col.ORIGIN_ID] = d.at[0, col.ORIGIN_ID]
    result = validate(d, suite("dropped"))
    f = failed(result)
    preview = f[("expect_column_value_lengths_to_be_between", col.PREVIEW)]
    assert preview["unexpected_count"] == 1 and preview["sample"] == ["'" + "p" * 78 + "…"]
    assert f[("expect_column_values_to_match_regex", col.RULE_FINGERPRINT)]["sample"] == ["'NOT-A-FINGERPRINT'"]
    assert f[("expect_column_values_to_be_in_set", col.STAGE)]["sample"] == ["'cleanup'"]
    assert ("expect_column_values_to_be_unique", col.ORIGIN_ID) in f
    assert len(f) == 4


# --------------------------------------------------------------------------------------------
# Reports


def test_report_is_byte_identical_and_context_is_reused(tmp_path: Path, capsys):
    good, bad = examples(), examples()
    bad.at[3, col.ORIGIN] = "scraped"
    first = run_gate(good, suite("normalized"), tmp_path / "a" / "report.json")
    ctx = gate._CTX.get("context")
    worse = run_gate(bad, suite("normalized"), tmp_path / "bad.json")
    again = run_gate(good, suite("normalized"), tmp_path / "b.json")
    assert gate._CTX.get("context") is ctx is not None  # one context per process
    a, b = (tmp_path / "a" / "report.json").read_bytes(), (tmp_path / "b.json").read_bytes()
    assert a == b
    assert first.success and again.success and not worse.success  # no state leaks between calls
    assert (tmp_path / "bad.json").read_bytes() != a
    report = json.loads(a)
    assert report == first.results
    assert report["success"] is True and report["suite_name"] == "normalized"
    text = a.decode()
    for volatile in ("ge_load_time", "run_id", "validation_time", "exception_traceback"):
        assert volatile not in text
    assert a.startswith(b'{\n "meta"') and a.endswith(b"}\n")  # sorted keys, indent 1
    # Results are in suite order.
    spec = json.loads(suite("normalized").read_text())
    assert [r["expectation_config"]["type"] for r in report["results"]] == [e["type"] for e in spec["expectations"]]
    err = capsys.readouterr().err
    assert err.count("gate normalized: PASSED") == 2 and "FAIL expect_column_values_to_be_in_set origin" in err
