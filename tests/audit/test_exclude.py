"""The exclusion list at ingest: origin, group and keyed text-hash matches dropped by `excluded`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from audit import world
from tuneset import config, frames, ledger
from tuneset import schema as col
from tuneset.audit import exclude
from tuneset.config import ExcludeConfig

KEY = "test-key-1"


def frame(records):
    return frames.records_frame(records)


def three():
    return [world.record("Hi, I am Jane Roe, account 4411", "Hello Jane.", locator="1", group="c1"),
            world.record("Reset my password", "Use the link.", locator="2", group="c2"),
            world.record("Where is my parcel?", "On its way.", locator="3", group="c3", kind="preference")]


def test_text_hash_is_keyed_and_normalizes_case_space_and_width():
    h = exclude.text_hash("Hi, I am  Jane ROE", KEY)
    assert h == exclude.text_hash("  hi, i am jane roe ", KEY) == exclude.text_hash("Ｈｉ, I am Jane Roe", KEY)
    assert h != exclude.text_hash("Hi, I am Jane Roe", "other-key")
    fp, digest = exclude.check_text_hash(h)
    assert fp == exclude.key_fingerprint(KEY) and len(digest) == 64
    assert "jane" not in h.lower()


def test_nothing_listed_keeps_everything_and_needs_no_key():
    df = frame(three())
    kept, dropped = exclude.apply_exclusions(df, ExcludeConfig(), key=None)
    assert kept is df and dropped == []
    empty, none = exclude.apply_exclusions(frame([]), ExcludeConfig(origin_ids=["a" * 64]), key=None)
    assert empty.empty and none == []


def test_origin_group_and_text_matches_are_dropped_with_plain_reasons():
    records = three()
    cfg = ExcludeConfig(origin_ids=[records[1][col.ORIGIN_ID]], group_ids=[records[2][col.GROUP_ID]],
                        text_hashes=[exclude.text_hash("hi, i am jane roe, ACCOUNT 4411", KEY)])
    kept, dropped = exclude.apply_exclusions(frame(records), cfg, KEY)
    assert kept.empty
    table = ledger.dropped_frame(dropped)
    by_origin = table.set_index(col.ORIGIN_ID)
    assert set(table[col.RULE]) == {"excluded"} and set(table[col.STAGE]) == {"ingest"}
    assert by_origin.loc[records[0][col.ORIGIN_ID], col.REASON] == "messages[0] matches a keyed hash in exclude.text_hashes"
    assert by_origin.loc[records[1][col.ORIGIN_ID], col.REASON] == "origin_id is listed in exclude.origin_ids"
    assert by_origin.loc[records[2][col.ORIGIN_ID], col.REASON] == "group_id is listed in exclude.group_ids"
    assert set(table[col.PREVIEW]) == {""}, "an excluded unit's text is not kept, not even as a preview"
    assert not any("jane" in str(v).lower() for v in table.to_numpy().ravel())
    assert table[col.RULE_FINGERPRINT].nunique() == 1
    assert exclude.Excluded.from_config(cfg).fingerprint() == table[col.RULE_FINGERPRINT].iloc[0]


def test_only_whole_turns_match_a_text_hash():
    records = three()
    cfg = ExcludeConfig(text_hashes=[exclude.text_hash("Jane Roe", KEY)])
    kept, dropped = exclude.apply_exclusions(frame(records), cfg, KEY)
    assert dropped == [] and len(kept) == 3


def test_a_preference_answer_can_match():
    records = three()
    cfg = ExcludeConfig(text_hashes=[exclude.text_hash("no IDEA.", KEY)])
    kept, dropped = exclude.apply_exclusions(frame(records), cfg, KEY)
    assert [d[col.ORIGIN_ID] for d in dropped] == [records[2][col.ORIGIN_ID]]
    assert dropped[0][col.REASON] == "rejected[0] matches a keyed hash in exclude.text_hashes"
    assert kept[col.ORIGIN_ID].tolist() == [r[col.ORIGIN_ID] for r in records[:2]]


def test_text_hashes_need_the_key_they_were_made_with():
    cfg = ExcludeConfig(text_hashes=[exclude.text_hash("x", KEY)])
    with pytest.raises(exclude.ExclusionKeyError, match="TUNESET_PII_SALT is not set"):
        exclude.apply_exclusions(frame(three()), cfg, None)
    with pytest.raises(exclude.ExclusionKeyError, match=exclude.key_fingerprint(KEY)):
        exclude.apply_exclusions(frame(three()), cfg, "another key")


def test_exclusion_key_comes_from_the_environment():
    assert exclude.exclusion_key({"TUNESET_PII_SALT": "s"}) == "s"
    assert exclude.exclusion_key({"TUNESET_PII_SALT": ""}) is None and exclude.exclusion_key({}) is None


def test_quarantined_units_listed_by_origin_become_excluded_rows():
    row = ledger.dropped_row({col.ORIGIN_ID: "e" * 64, col.SOURCE_FILE: "data/raw/x.jsonl", col.LOCATOR: "3"},
                             stage="ingest", rule=exclude.Excluded(), reason="invalid JSON", preview_text=b'{"secret')
    other = dict(row, origin_id="d" * 64)
    table = ledger.dropped_frame([row, other])
    out = exclude.exclude_quarantined(table, ExcludeConfig(origin_ids=["e" * 64]))
    hit = out.set_index(col.ORIGIN_ID).loc["e" * 64]
    assert (hit[col.RULE], hit[col.PREVIEW], hit[col.REASON]) == ("excluded", "", "origin_id is listed in exclude.origin_ids")
    assert out.set_index(col.ORIGIN_ID).loc["d" * 64, col.PREVIEW] != ""
    assert len(out) == 2 and list(out.columns) == list(table.columns)


def test_config_section_validates_entries():
    good = {"exclude": {"origin_ids": ["a" * 64], "group_ids": ["chat:c1"], "text_hashes": [exclude.text_hash("x", KEY)]}}
    assert config.load_section("exclude", good).group_ids == ["chat:c1"]
    for bad in ({"origin_ids": ["abc"]}, {"text_hashes": ["sha256:" + "0" * 64]}):
        with pytest.raises(config.ConfigError, match="exclude"):
            config.load_section("exclude", {"exclude": bad})


def test_the_default_exclude_file_loads_empty():
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "conf/exclude/default.yaml").read_text())
    assert data == {"origin_ids": [], "group_ids": [], "text_hashes": []}
    assert config.load_section("exclude", {"exclude": data}) == ExcludeConfig()


def test_kept_frame_keeps_columns_and_order():
    records = three()
    df = frame(records).assign(extra=[1, 2, 3])
    kept, _ = exclude.apply_exclusions(df, ExcludeConfig(origin_ids=[records[0][col.ORIGIN_ID]]), None)
    assert list(kept.columns) == list(df.columns)
    pd.testing.assert_frame_equal(kept, df.iloc[1:].reset_index(drop=True))
