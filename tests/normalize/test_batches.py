"""Normalize batch by batch: the merged counters give the report of one call on the whole table, and the
stage's outputs are the bytes that one call would write."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tuneset import config, frames, ledger, stagekit
from tuneset import schema as col
from tuneset.config import NormalizeConfig
from tuneset.normalize import ConsistencyStats, NormalizeStats, SwappedPairs, consistency, normalize, swapped_pairs
from tuneset.records import message

from stage_helpers import run_stage

CFG = NormalizeConfig()
SYSTEMS = ["You are the billing assistant.", "You are the shipping assistant.", "  Be brief.  "]


def dataset(make_record) -> list[dict]:
    """Mixed rows: two sources, three system prompts (and none), 1-2 exchanges, drops whose locators
    do not follow the input order, and preference pairs whose swapped twins sit far apart."""
    rows = []
    for i in range(24):
        rec = make_record(user=f"Question {i}?", answer=f"Answer {i}.", locator=str(30 - i),
                          system=SYSTEMS[i % 4] if i % 4 < 3 else None)
        if i % 5 == 0:
            rec[col.MESSAGES][-1:] = [message("assistant", "First."), message("user", "More?"),
                                      message("assistant", f"More {i}.")]
        rec[col.SOURCE] = "chat" if i % 3 else "tickets"
        rows.append(rec)
    rows[3][col.MESSAGES][-1] = message("assistant", "   ")   # final_assistant_turn, locator 27: trimmed,
    rows[3][col.MESSAGES].append(message("user", "and?"))      # then dropped (empty answer): a drop only
    rows[6][col.MESSAGES].append(message("user", "Thanks!"))   # trimmed to its last assistant turn, kept
    rows[17][col.MESSAGES].pop(-1)                              # final_assistant_turn, locator 13
    rows[20][col.MESSAGES].insert(0, message("assistant", "Hi"))  # role_order, locator 10

    def pref(locator, chosen, rejected, user="Refund?"):
        return make_record(kind="preference", user=user, locator=locator,
                           chosen=[message("assistant", chosen)], rejected=[message("assistant", rejected)])

    rows[1:1] = [pref("p1", "Yes, within 30 days.", "No.")]
    rows[9:9] = [pref("p2", "No.", "Yes,  within 30 days.")]       # p1 swapped (whitespace differs)
    rows[14:14] = [pref("p3", "Yes, within 30 days.", "No.")]      # p1 again: p1 stays the one named
    rows[22:22] = [pref("p4", "Sure.", "Never.", user="Upgrade?"), pref("p5", "Never.", "Sure.", user="Upgrade?"),
                   pref("p6", "Sure.", "Never.", user="Downgrade?")]
    return rows


@pytest.fixture
def records(record_factory):
    return dataset(record_factory)


def run_in_batches(df: pd.DataFrame, size: int):
    stats, kept, dropped = NormalizeStats(), [], []
    for start in range(0, len(df), size):
        result = normalize(df.iloc[start:start + size].reset_index(drop=True), CFG)
        stats.merge(result.stats)
        kept.append(result.examples)
        dropped.append(result.dropped)
    return stats, pd.concat(kept, ignore_index=True), ledger.concat_dropped(dropped)


def test_whole_table_report_has_what_the_batches_must_reproduce(records):
    report = normalize(frames.records_frame(records), CFG).report
    assert report["dropped_by_rule"] == {"final_assistant_turn": 2, "role_order": 1}
    assert report["trimmed"] == {"final_assistant_turn": 1}
    assert report["preference"]["pairs"] == 6 and report["preference"]["swapped_duplicates"] == 2
    oid = {r[col.LOCATOR]: r[col.ORIGIN_ID] for r in records}
    assert report["preference"]["examples"] == sorted([sorted([oid["p1"], oid["p2"]]), sorted([oid["p4"], oid["p5"]])])
    cons = report["consistency"]
    assert cons["distinct_system_prompts"] == 3 and set(cons["by_source"]) == {"chat", "test", "tickets"}
    assert set(cons["turns"]) == {"1", "2", "4"} and cons["turns_by_kind"]["preference"] == {"1": 6}


@pytest.mark.parametrize("size", [1, 4, 7, 100])
def test_merged_batches_give_the_whole_table_result(records, size):
    df = frames.records_frame(records)
    whole = normalize(df, CFG)
    stats, kept, dropped = run_in_batches(df, size)
    assert stats.report(CFG) == whole.report
    pd.testing.assert_frame_equal(kept, whole.examples)
    pd.testing.assert_frame_equal(dropped, whole.dropped)
    assert dropped[col.LOCATOR].tolist() == ["10", "13", "27"]  # file order across batches, not batch order


def test_swapped_pairs_name_the_first_row_of_a_key_across_batches(records):
    kept = normalize(frames.records_frame(records), CFG).examples
    prefs = kept[kept[col.KIND] == "preference"].reset_index(drop=True)
    oid = dict(zip(prefs[col.LOCATOR], prefs[col.ORIGIN_ID]))
    merged = SwappedPairs()
    for i in range(len(prefs)):  # one row per batch, so p3 arrives after p1 was already seen
        merged.merge(SwappedPairs().add(prefs.iloc[i:i + 1]))
    assert merged.report() == swapped_pairs(prefs)
    assert sorted([oid["p1"], oid["p2"]]) in merged.report()["examples"]
    assert all(oid["p3"] not in pair for pair in merged.report()["examples"])
    assert len(merged.seen) == 5  # one entry per distinct (prompt, chosen, rejected): p3 repeats p1


def test_consistency_counters_merge_in_any_order(records):
    kept = normalize(frames.records_frame(records), CFG).examples
    halves = [kept.iloc[::2], kept.iloc[1::2]]
    forward = ConsistencyStats().add(halves[0]).merge(ConsistencyStats().add(halves[1]))
    backward = ConsistencyStats().add(halves[1]).merge(ConsistencyStats().add(halves[0]))
    expected = consistency(kept)
    assert forward.report() == backward.report() == expected
    assert expected["system_prompts"][0]["count"] == sum(forward.systems.values()) - \
        sum(p["count"] for p in expected["system_prompts"][1:])
    assert len(forward.systems) == 3  # one entry per distinct prompt, whatever the rows


def test_empty_stats_report_like_an_empty_frame():
    empty = frames.records_frame([])
    assert NormalizeStats().report(CFG) == normalize(empty, CFG).report
    assert NormalizeStats().report(CFG)["consistency"] == consistency(empty)


# ---------------------------------------------------------------------------------------------
# The stage script


def test_stage_writes_the_bytes_of_one_whole_table_call(stage_workdir, records, monkeypatch):
    df = frames.records_frame(records)
    frames.write_parquet(df, "in.parquet")
    cfg = config.load_section("normalize", config.read_params("params.yaml"))
    whole = normalize(frames.read_parquet("in.parquet"), cfg)
    frames.write_parquet(whole.examples, "want/examples.parquet")
    frames.write_parquet(whole.dropped, "want/dropped.parquet", col.DROPPED_TYPES)
    stagekit.write_json("want/report.json", whole.report)

    run_stage("normalize", "--input", "in.parquet", "--out", "one", "--report", "one/report.json")
    for name in ("examples.parquet", "dropped.parquet", "report.json"):
        assert (stage_workdir / "one" / name).read_bytes() == (stage_workdir / "want" / name).read_bytes(), name

    # Batches of 5 rows, judged in one process and in two worker processes: the same bytes.
    for workers in ("1", "2"):
        monkeypatch.setenv("TUNESET_WORKERS", workers)
        out = f"many{workers}"
        run_stage("normalize", "--input", "in.parquet", "--out", out, "--report", f"{out}/report.json",
                  "--batch-rows", "5")
        for name in ("examples.parquet", "dropped.parquet", "report.json"):
            want = (stage_workdir / "want" / name).read_bytes()
            assert (stage_workdir / out / name).read_bytes() == want, (workers, name)
    assert json.loads((stage_workdir / "many2/report.json").read_text())["preference"]["swapped_duplicates"] == 2
    assert json.loads((stage_workdir / "reports/timings/normalize.json").read_text())["workers"] == 2


def test_rewritten_rows_are_converted_the_rest_taken_as_they_are(records):
    from tuneset.normalize import normalize_table

    records[0][col.MESSAGES][0]["content"] = "  padded question  "  # trimmed: rewritten, new example_id
    records[2][col.MESSAGES][-1]["content"] = "donâ€™t"  # mojibake repaired: rewritten
    table = frames.to_table(frames.records_frame(records))
    result = normalize(frames.from_table(table), CFG)
    assert 2 <= result.rewritten.sum() < len(result.rewritten) and len(result.dropped) == 3
    kept, dropped, stats = normalize_table(table, CFG)
    assert kept.equals(frames.to_table(result.examples))
    assert kept.column(col.MESSAGES)[0].as_py()[0]["content"] == "padded question"
    assert kept.column(col.EXAMPLE_ID)[0].as_py() != table.column(col.EXAMPLE_ID)[0].as_py()
    assert stats.report(CFG) == result.report


def test_stage_on_an_empty_input_writes_empty_tables_then_the_gate_stops(stage_workdir):
    frames.write_parquet(frames.records_frame([]), "in.parquet")
    run_stage("normalize", "--input", "in.parquet", "--out", "out", "--report", "out/report.json",
              code=1)  # row count >= 1
    assert pq.read_table("out/examples.parquet").num_rows == 0
    assert pq.read_schema("out/examples.parquet").names == list(col.RECORD_COLUMNS)
    assert pq.read_table("out/dropped.parquet").num_rows == 0
    assert json.loads(Path("out/report.json").read_text())["rows_in"] == 0
