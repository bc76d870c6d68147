"""The per-version index: built from what export writes, read by key ranges and prefixes."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit import world
from tuneset import frames
from tuneset import schema as col
from tuneset.audit import AuditError
from tuneset.audit import index as idx
from tuneset.audit.store import Snapshot


def built(tmp_path, **kw):
    kept, gone = world.sample()
    world.write_final(tmp_path, kept, gone, **kw)
    return kept, gone


def test_units_hold_every_kept_and_dropped_unit_sorted_by_origin(tmp_path):
    kept, gone = built(tmp_path)
    units = pd.read_parquet(tmp_path / "data/final/index/units.parquet")
    assert units[col.ORIGIN_ID].tolist() == sorted(r[col.ORIGIN_ID] for r in [*kept, *gone])
    status = dict(zip(units[col.ORIGIN_ID], units[idx.STATUS]))
    assert all(status[r[col.ORIGIN_ID]] == "kept" for r in kept)
    assert all(status[r[col.ORIGIN_ID]] == "dropped" for r in gone)
    row = units.set_index(col.ORIGIN_ID).loc[gone[0][col.ORIGIN_ID]]
    assert (row[col.STAGE], row[col.RULE]) == ("normalize", "empty_answer")
    by_example = pd.read_parquet(tmp_path / "data/final/index/by_example.parquet")
    assert by_example[col.EXAMPLE_ID].is_monotonic_increasing
    assert len(by_example) == len(kept) + len(gone)


def test_quarantined_units_have_no_example_row(tmp_path):
    kept, _ = world.sample(4)
    quarantined = {col.ORIGIN_ID: "f" * 64, col.SOURCE_FILE: "data/raw/chat.jsonl", col.LOCATOR: "9"}
    from tuneset import ledger
    from tuneset.audit.exclude import Excluded

    row = ledger.dropped_row(quarantined, stage="ingest", rule=Excluded(), reason="unreadable", preview_text=b"{bad")
    world.write_final(tmp_path, kept, [row])
    by_example = pd.read_parquet(tmp_path / "data/final/index/by_example.parquet")
    assert "f" * 64 not in set(by_example[col.ORIGIN_ID])
    with Snapshot(tmp_path) as snap:
        reader = idx.IndexReader.open(snap, world.FINAL)
        assert reader.units_by_origin(["f" * 64])[0][col.EXAMPLE_ID] is None


def test_text_rows_point_at_manifest_positions(tmp_path):
    built(tmp_path)
    manifest = pd.read_parquet(tmp_path / "data/final/manifest.parquet")
    examples = frames.read_parquet(tmp_path / "data/final/examples.parquet").set_index(col.ORIGIN_ID)
    text = pd.read_parquet(tmp_path / "data/final/index/text.parquet")
    for row, t in zip(text[idx.ROW], text[idx.TEXT_COLUMN]):
        messages = examples.loc[manifest[col.ORIGIN_ID][row], col.MESSAGES]
        assert t in [m["content"] for m in messages]
    assert set(text[idx.ROW]) == set(range(len(manifest)))


def test_prefix_and_equal_lookups_prune_row_groups_and_match_a_full_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(idx, "ID_ROW_GROUP", 3)
    kept, gone = built(tmp_path)
    pf = pq.ParquetFile(tmp_path / "data/final/index/units.parquet")
    assert pf.num_row_groups > 3
    table = idx.SortedTable(pf, col.ORIGIN_ID)
    memory = idx.SortedTable(pf.read(), col.ORIGIN_ID)
    ids = sorted(r[col.ORIGIN_ID] for r in [*kept, *gone])
    for oid in ids:
        for source in (table, memory):
            assert source.prefix(oid[:8]).column(col.ORIGIN_ID).to_pylist() == [i for i in ids if i.startswith(oid[:8])]
            assert source.equal([oid]).column(col.ORIGIN_ID).to_pylist() == [oid]
    assert table._groups(ids[0], ids[0] + "\x00") == [0]  # one row group read, not the file
    assert table.equal([]).num_rows == 0 and table.prefix("0" * 63 + "g").num_rows == 0


def test_transformations_from_stage_ids_and_edit_counts(tmp_path):
    kept, gone = world.sample(4)
    touched = kept[0][col.ORIGIN_ID]
    ingest = pd.DataFrame({col.ORIGIN_ID: [r[col.ORIGIN_ID] for r in [*kept, *gone]],
                           col.EXAMPLE_ID: ["0" * 64 if r[col.ORIGIN_ID] == touched else r[col.EXAMPLE_ID]
                                            for r in [*kept, *gone]]})
    normalize = pd.DataFrame({col.ORIGIN_ID: [r[col.ORIGIN_ID] for r in [*kept, *gone]],
                              col.EXAMPLE_ID: [r[col.EXAMPLE_ID] for r in [*kept, *gone]]})
    pii = [json.dumps({"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 0}) if r[col.ORIGIN_ID] == touched else None for r in kept]
    world.write_final(tmp_path, kept, gone, stage_outputs={"ingest": ingest, "normalize": normalize},
                      extra_columns={"pii_edits": pii})
    with Snapshot(tmp_path) as snap:
        reader = idx.IndexReader.open(snap, world.FINAL)
        assert reader.stages == ["ingest", "normalize"]
        unit = reader.units_by_origin([touched])[0]
        other = reader.units_by_origin([kept[1][col.ORIGIN_ID]])[0]
    assert idx.transformations(unit) == [{"stage": "normalize", "edits": {"content_changed": 1}},
                                         {"stage": "scrub", "edits": {"EMAIL_ADDRESS": 2}}]
    assert idx.transformations(other) == []


def test_transformations_prefer_a_stage_s_own_counts_and_ignore_junk():
    unit = {"ids__ingest": "a", "ids__normalize": "b", "edits__normalize": '{"text_repaired": 2}',
            "edits__scrub": "not json", "edits__filter": '["x"]'}
    assert idx.transformations(unit) == [{"stage": "normalize", "edits": {"text_repaired": 2}}]
    assert idx.stage_of_edits("pii_edits") == "scrub" and idx.stage_of_edits("dedup_edits") == "dedup"
    assert idx.stage_of_edits("edits") is None and idx.stage_of_edits("_edits") is None


def test_read_stage_outputs_reads_ids_and_edit_columns_only(tmp_path):
    df = pd.DataFrame({col.ORIGIN_ID: ["a"], col.EXAMPLE_ID: ["b"], "pii_edits": ['{"EMAIL": 1}'], "other": [1]})
    path = tmp_path / "scrub" / "examples.parquet"
    path.parent.mkdir()
    df.to_parquet(path)
    out = idx.read_stage_outputs([path])
    assert list(out) == ["scrub"] and out["scrub"].column_names == [col.ORIGIN_ID, col.EXAMPLE_ID, "pii_edits"]


def test_search_text_is_case_insensitive_literal_and_covers_every_turn(tmp_path):
    kept = [world.record("My email is JANE@Example.com", "Noted.", locator="1", split="train"),
            world.record("Refund?", "Sure, jane@example.COM is on file.", locator="2", split="val", kind="preference"),
            world.record("Look up order", "Done.", locator="3", tool_calls=[{"id": "c1", "function": {"arguments": "jane@example.com"}}]),
            world.record("a.b literal", "x", locator="4"),
            world.record("axb", "y", locator="5")]
    world.write_final(tmp_path, kept, [])
    with Snapshot(tmp_path) as snap:
        hits = idx.search_text(snap, world.FINAL, "jane@EXAMPLE.com")
        assert sorted(hits[col.ORIGIN_ID]) == sorted(r[col.ORIGIN_ID] for r in kept[:3])
        assert idx.search_text(snap, world.FINAL, "a.b")[col.ORIGIN_ID].tolist() == [kept[3][col.ORIGIN_ID]]
        assert idx.search_text(snap, world.FINAL, "not there").empty
        with pytest.raises(AuditError, match="empty"):
            idx.search_text(snap, world.FINAL, "  ")
    (tmp_path / "data/final/index/text.parquet").unlink()  # a version without a text index: the slow scan
    with Snapshot(tmp_path) as snap:
        slow = idx.search_text(snap, world.FINAL, "jane@EXAMPLE.com")
    assert sorted(slow[col.ORIGIN_ID]) == sorted(hits[col.ORIGIN_ID])


def test_a_version_without_index_files_is_indexed_in_memory(tmp_path):
    kept, gone = built(tmp_path, index=False)
    with Snapshot(tmp_path) as snap:
        reader = idx.IndexReader.open(snap, world.FINAL)
        assert reader.built
        assert reader.units_by_origin([gone[0][col.ORIGIN_ID]])[0][idx.STATUS] == "dropped"
        assert reader.example_prefix(kept[0][col.EXAMPLE_ID][:10], 5) == [kept[0][col.EXAMPLE_ID]]


def test_empty_version_indexes_and_answers(tmp_path):
    world.write_final(tmp_path, [], [])
    with Snapshot(tmp_path) as snap:
        reader = idx.IndexReader.open(snap, world.FINAL)
        assert reader.origin_prefix("abcdef12", 5) == []
        assert idx.search_text(snap, world.FINAL, "anything").empty


def test_a_stale_index_is_refused(tmp_path):
    built(tmp_path)
    version = tmp_path / "data/final/VERSION.json"
    version.write_text(json.dumps({"dataset_version": "1" * 64}))
    with Snapshot(tmp_path) as snap, pytest.raises(AuditError, match="stale.*dvc repro export"):
        idx.IndexReader.open(snap, world.FINAL)


def test_index_bytes_are_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    kept, gone = world.sample()
    world.write_final(a, kept, gone)
    world.write_final(b, list(reversed(kept)), list(reversed(gone)))
    for name in (idx.UNITS, idx.BY_EXAMPLE, idx.TEXT):
        assert (a / "data/final/index" / name).read_bytes() == (b / "data/final/index" / name).read_bytes(), name


def test_metadata_records_format_and_dataset_version(tmp_path):
    version = world.write_final(tmp_path, *world.sample())
    meta = pq.read_schema(tmp_path / "data/final/index/units.parquet").metadata
    assert meta[b"tuneset.index"] == idx.FORMAT.encode()
    assert meta[b"dataset_version"].decode() == version["dataset_version"]
    assert pq.read_schema(tmp_path / "data/final/index/text.parquet").field(idx.ROW).type == pa.int32()
