"""IDs and prefixes: one answer, or a plain error listing the candidates."""

from __future__ import annotations

import pytest

from audit import world
from tuneset import schema as col
from tuneset.audit import AuditError, resolve
from tuneset.audit import index as idx
from tuneset.audit.store import Snapshot


def reader_of(tmp_path, kept, gone):
    world.write_final(tmp_path, kept, gone)
    snap = Snapshot(tmp_path)
    return snap, idx.IndexReader.open(snap, world.FINAL)


@pytest.mark.parametrize("raw", ["abc", "abcdefg", "not-hex-at-all", "g" * 8, "a" * 65])
def test_malformed_ids_are_refused_plainly(raw):
    with pytest.raises(AuditError, match="at least 8 hex characters"):
        resolve.normalize_id(raw)


def test_full_ids_prefixes_and_case_resolve(tmp_path):
    kept, gone = world.sample()
    snap, reader = reader_of(tmp_path, kept, gone)
    with snap:
        eid, oid = kept[0][col.EXAMPLE_ID], kept[0][col.ORIGIN_ID]
        assert resolve.find([reader], eid) == resolve.Match(col.EXAMPLE_ID, eid)
        assert resolve.find([reader], f"  {oid[:12].upper()} ") == resolve.Match(col.ORIGIN_ID, oid)
        with pytest.raises(AuditError, match="no example_id or origin_id starts with 00000000"):
            resolve.find([reader], "00000000")


def test_an_ambiguous_prefix_lists_the_candidates(tmp_path):
    kept, gone = world.sample(3)
    kept[0][col.ORIGIN_ID] = "abcdef12" + "0" * 56
    kept[1][col.ORIGIN_ID] = "abcdef12" + "1" * 56
    snap, reader = reader_of(tmp_path, kept, gone)
    with snap, pytest.raises(AuditError) as info:
        resolve.find([reader], "abcdef12")
    message = str(info.value)
    assert "ambiguous" in message and kept[0][col.ORIGIN_ID] in message and kept[1][col.ORIGIN_ID] in message
    assert "kept in" in message and "data/raw/chat.jsonl" in message


def test_an_example_id_shared_with_dropped_duplicates_resolves_to_the_kept_row(tmp_path):
    kept, _ = world.sample(2)
    twin = world.record("Question 0 about my invoice?", "Answer 0: open Billing.", locator="77", group="t0")
    assert twin[col.EXAMPLE_ID] == kept[0][col.EXAMPLE_ID] and twin[col.ORIGIN_ID] != kept[0][col.ORIGIN_ID]
    gone = [world.dropped(twin, reason="exact duplicate")]
    snap, reader = reader_of(tmp_path, kept, gone)
    with snap:
        match = resolve.find([reader], kept[0][col.EXAMPLE_ID][:10])
        units = resolve.units_for(reader, match)
        assert len(units) == 2
        assert resolve.pick(units, match)[col.ORIGIN_ID] == kept[0][col.ORIGIN_ID]


def test_an_example_id_dropped_twice_and_kept_nowhere_asks_for_an_origin_id(tmp_path):
    a = world.record("Same?", "", locator="1")
    b = world.record("Same?", "", locator="2")
    snap, reader = reader_of(tmp_path, [], [world.dropped(a), world.dropped(b)])
    with snap:
        match = resolve.find([reader], a[col.EXAMPLE_ID])
        with pytest.raises(AuditError, match="kept nowhere") as info:
            resolve.pick(resolve.units_for(reader, match), match)
    assert a[col.ORIGIN_ID] in str(info.value) and b[col.ORIGIN_ID] in str(info.value)


def test_an_unknown_id_lists_the_closest_ids(tmp_path):
    kept, gone = world.sample(3)
    snap, reader = reader_of(tmp_path, kept, gone)
    oid = kept[0][col.ORIGIN_ID]
    typo = oid[:9] + ("0" if oid[9] != "0" else "1") + oid[10:14]
    with snap, pytest.raises(AuditError) as info:
        resolve.find([reader], typo)
    assert f"no example_id or origin_id starts with {typo}" in str(info.value)
    assert "closest ids" in str(info.value) and oid in str(info.value)
