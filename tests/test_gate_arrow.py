"""The Arrow path of the flat view (gate.flat_view_of_table, used by the gates on Parquet outputs)
builds exactly the frame flat_view builds from frames.from_table: same columns, order, dtypes,
values (Python ints and str, None where flat_view has None) and index, on every edge case of the
nested columns; no GX here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tuneset import frames, gate
from tuneset import schema as col
from tuneset.gate import flat_view, flat_view_of_parquet, flat_view_of_table
from tuneset.records import message


def assert_same_view(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_dtype=True, check_index_type=True,
                                  check_column_type=True, check_exact=True)
    for c in old.columns:  # np.int64(3) == 3 passes assert_frame_equal; GX's JSON could tell them apart
        if old[c].dtype == object:
            assert [type(v) for v in new[c].tolist()] == [type(v) for v in old[c].tolist()], c


def old_view(table: pa.Table) -> pd.DataFrame:
    return flat_view(frames.from_table(table))


def native(table: pa.Table) -> pd.DataFrame:
    """The Arrow path itself, failing (rather than falling back) on a table it does not read."""
    return gate._native_flat_view(table)


def edge_records(make) -> list[dict]:
    """One record per edge case of the columns flat_view reads."""
    def rec(i: int, **changes) -> dict:
        kind = changes.pop("kind_of_base", "sft")
        r = make(f"Question {i}?", f"Answer {i}.", locator=str(i), kind=kind,
                 system="Be brief." if i % 3 == 0 else None)
        r.update(changes)
        return r

    u, a = message("user", "Hi?"), message("assistant", "Hello.")
    return [
        rec(0),                                                    # plain sft with a system prompt
        rec(1, kind_of_base="preference"),                         # plain preference pair
        rec(2, messages=None),                                     # null list
        rec(3, messages=[]),                                       # empty list
        rec(4, messages=[u, None]),                                # null message struct last
        rec(5, messages=[None, a]),                                # null message struct first
        rec(6, messages=[message(None, "x"), message(None, "y")]),  # null roles
        rec(7, messages=[u, message("assistant", None)]),          # null content (assistant)
        rec(8, messages=[u, message("assistant", "")]),            # empty content
        rec(9, messages=[u, message("assistant", "héllo wörld ✓ 🙂 日本")]),  # multi-byte text
        rec(10, messages=[u, message("tool", "{}")]),              # other last role
        rec(11, kind="other"),                                     # a kind other than sft/preference
        rec(12, kind=None),                                        # null kind
        rec(13, kind=""),                                          # empty kind
        rec(14, kind="preference"),                                # preference without chosen/rejected
        rec(15, kind_of_base="preference", chosen=[]),             # empty chosen
        rec(16, kind_of_base="preference", rejected=None),         # null rejected
        rec(17, kind_of_base="preference", chosen=[None, a], rejected=[None]),  # null structs in pairs
        rec(18, kind_of_base="preference", messages=[u, a]),       # preference ending with the assistant
        rec(19, kind="sft", chosen=[a], rejected=[a, a]),          # sft with pairs
        rec(20, tools=""),                                         # empty tools text
        rec(21, tools='[{"name": "lookup"}]'),                     # tools
        rec(22, tools=None),                                       # null tools
        rec(23, labels=None),                                      # null labels
        rec(24, labels={}),                                        # empty labels
        rec(25, labels={"intent": "refund", "lang": "en", "a": "z"}),
        rec(26, messages=[message("user", None)]),                 # one message, null content
        rec(27, messages=[a]),                                     # one message
    ]


@pytest.fixture
def edge_table(record_factory) -> pa.Table:
    return frames.to_table(frames.records_frame(edge_records(record_factory)))


def _with_n_tokens(t: pa.Table) -> pa.Table:
    # An integer column with a null: from_table makes it float64 with NaN.
    values = [None if i % 5 == 0 else i for i in range(t.num_rows)]
    return t.append_column(col.N_TOKENS, pa.array(values, pa.int64()))


def _dup_map_labels(t: pa.Table) -> pa.Table:
    """labels written by hand: unsorted keys, a key repeated within a row (dict() keeps one)."""
    rows = [[("b", "1"), ("a", "2")], [("a", "1"), ("a", "2"), ("c", "3")], None, [],
            [("x", "1"), ("y", "2"), ("x", "3")], [("k", "v")]]
    rows = (rows * (t.num_rows // len(rows) + 1))[: t.num_rows]
    i = t.column_names.index(col.LABELS)
    return t.set_column(i, col.LABELS, pa.array(rows, pa.map_(pa.string(), pa.string())))


def _null_list_over_items(t: pa.Table) -> pa.Table:
    """messages whose null rows span child items (Arrow allows it; the items must not be read)."""
    msgs = t.column(col.MESSAGES).combine_chunks()
    mask = pa.array([i % 4 == 1 for i in range(len(msgs))])
    arr = pa.ListArray.from_arrays(msgs.offsets, msgs.values, mask=mask)
    assert arr.null_count > 0 and len(arr.values) == len(msgs.values)
    return t.set_column(t.column_names.index(col.MESSAGES), col.MESSAGES, arr)


def _large_types(t: pa.Table) -> pa.Table:
    msg = pa.struct([(f.name, pa.large_string()) for f in col.MESSAGE_TYPE])
    types = {col.MESSAGES: pa.large_list(msg), col.CHOSEN: pa.large_list(msg), col.KIND: pa.large_string(),
             col.TOOLS: pa.large_string()}
    return t.cast(pa.schema([pa.field(f.name, types.get(f.name, f.type)) for f in t.schema]))


def _reordered(t: pa.Table) -> pa.Table:
    names = t.column_names
    return t.select([col.LABELS, col.TOOLS, *[c for c in names if c not in (col.LABELS, col.TOOLS)][::-1]])


def _chunked(t: pa.Table) -> pa.Table:
    return pa.concat_tables([t.slice(0, 5), t.slice(5, 0), t.slice(5, 11), t.slice(16)])


def _all_null_typed(t: pa.Table) -> pa.Table:
    for name in (col.CHOSEN, col.TOOLS, col.LABELS):
        t = t.set_column(t.column_names.index(name), name, pa.nulls(t.num_rows))
    return t


VARIANTS = {
    "canonical": lambda t: t,
    "sliced": lambda t: t.slice(3, 17),
    "chunked": _chunked,
    "empty": lambda t: t.slice(0, 0),
    "int column with nulls": _with_n_tokens,
    "map keys repeated or unsorted": _dup_map_labels,
    "null rows spanning items": _null_list_over_items,
    "large types": _large_types,
    "reordered columns": _reordered,
    "null-typed columns": _all_null_typed,
    "no messages": lambda t: t.drop_columns([col.MESSAGES]),
    "no kind": lambda t: t.drop_columns([col.KIND]),
    "no chosen, rejected": lambda t: t.drop_columns([col.CHOSEN, col.REJECTED]),
    "no tools, labels": lambda t: t.drop_columns([col.TOOLS, col.LABELS]),
    "nested columns only": lambda t: t.select(list(gate.NESTED_COLUMNS)),
    "messages and kind only": lambda t: t.select([col.MESSAGES, col.KIND]),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_arrow_flat_view_equals_flat_view_of_from_table(edge_table, variant):
    t = VARIANTS[variant](edge_table)
    new = native(t)  # the Arrow path must handle every variant (no fallback hides a difference)
    assert_same_view(new, old_view(t))
    assert_same_view(flat_view_of_table(t), new)


def test_the_edge_cases_are_the_ones_intended(edge_table):
    """Guards the test table itself: each derived value the edge cases were built for."""
    v = native(edge_table)
    assert v[gate.N_MESSAGES].tolist()[2:4] == [0, 0] and v[col.MESSAGES].tolist()[2:4] == [None, 0]
    assert v[gate.LAST_ROLE].tolist()[4] is None and v[gate.FIRST_ROLE].tolist()[5] is None
    assert v[gate.FIRST_ROLE].tolist()[6] is None and v[gate.LAST_ROLE].tolist()[10] == "tool"
    assert v[gate.LAST_CONTENT_CHARS].tolist()[7:10] == [0, 0, len("héllo wörld ✓ 🙂 日本")]
    assert v[gate.HAS_TOOLS].tolist()[20:23] == [False, True, False]
    assert v[gate.N_LABELS].tolist()[23:26] == [0, 0, 3] and v[col.LABELS].tolist()[23:26] == [None, 0, 3]
    assert v[gate.N_CHOSEN].tolist()[15:18] == [0, 1, 2] and v[col.CHOSEN].tolist()[15] == 0
    assert v[col.REJECTED].tolist()[16] is None and v[gate.N_REJECTED].tolist()[16] == 0
    ok = v[gate.STRUCTURE_OK].tolist()
    assert [i for i, x in enumerate(ok) if x] == [0, 1, 5, 9, 17, 19, 20, 21, 22, 23, 24, 25, 27]
    # Python ints in the nested columns, as flat_view leaves them
    assert type(v[col.MESSAGES].tolist()[0]) is int


def test_map_with_repeated_keys_counts_distinct_keys(edge_table):
    v = native(_dup_map_labels(edge_table))
    assert v[gate.N_LABELS].tolist()[:6] == [2, 2, 0, 0, 2, 1]
    assert v[col.LABELS].tolist()[:6] == [2, 2, None, 0, 2, 1]


def test_null_struct_fields_under_a_null_message_are_not_read():
    """A null struct whose children hold values (Arrow allows it) has no role and no content."""
    fields = list(col.MESSAGE_TYPE)
    children = [pa.array(["user", "assistant"]), pa.array(["Hi", "Hidden answer"]), pa.nulls(2, pa.string()),
                pa.nulls(2, pa.string()), pa.nulls(2, pa.string())]
    structs = pa.StructArray.from_arrays(children, fields=fields, mask=pa.array([False, True]))
    msgs = pa.ListArray.from_arrays(pa.array([0, 2], pa.int32()), structs)
    t = pa.table({col.KIND: ["sft"], col.MESSAGES: msgs})
    v = native(t)
    assert_same_view(v, old_view(t))
    assert v[gate.LAST_ROLE].tolist() == [None] and v[gate.LAST_CONTENT_CHARS].tolist() == [0]


@pytest.mark.parametrize("make_table", [
    # a struct without role and content fields
    lambda: pa.table({col.KIND: ["sft"], col.MESSAGES: pa.array([[{"name": "x"}]], pa.list_(pa.struct([("name", pa.string())])))}),
    # non-text content: flat_view counts only str content
    lambda: pa.table({col.KIND: ["sft", "sft"], col.MESSAGES: pa.array(
        [[{"role": "assistant", "content": 5}], None], pa.list_(pa.struct([("role", pa.string()), ("content", pa.int64())])))}),
    # messages as a list of text (no structs)
    lambda: pa.table({col.KIND: ["sft"], col.MESSAGES: pa.array([["hi", "there"]])}),
    # labels as a list, tools as an integer, kind as an integer
    lambda: pa.table({col.KIND: [1], col.MESSAGES: pa.array([[{"role": "user", "content": "q"}]]),
                      col.TOOLS: [3], col.LABELS: pa.array([["a", "b"]])}),
    # a column named like a derived one
    lambda: pa.table({col.MESSAGES: pa.array([[{"role": "user", "content": "q"}]]), col.KIND: ["preference"],
                      gate.N_CHOSEN: [4]}),
    # no columns
    lambda: pa.table({}),
], ids=["no-role-content", "int-content", "text-list", "odd-types", "derived-name", "no-columns"])
def test_tables_of_other_shapes_give_the_same_view(make_table):
    t = make_table()
    assert_same_view(flat_view_of_table(t), old_view(t))


def _old_parquet_view(path: Path, batch_rows: int) -> pd.DataFrame:
    views = [flat_view(b) for b in frames.iter_frames(path, batch_rows)]
    return pd.concat(views, ignore_index=True) if views else flat_view(frames.read_parquet(path))


@pytest.mark.parametrize("batch_rows", [4, 7, 1000])
def test_flat_view_of_parquet_batch_by_batch(edge_table, tmp_path, batch_rows):
    path = tmp_path / "examples.parquet"
    t = _with_n_tokens(_dup_map_labels(edge_table))
    pq.write_table(pa.concat_tables([t] * 3), path, row_group_size=10)
    new = flat_view_of_parquet(path, batch_rows=batch_rows)
    assert len(new) == 3 * edge_table.num_rows and list(new.index) == list(range(len(new)))
    assert_same_view(new, _old_parquet_view(path, batch_rows))


def test_flat_view_of_an_empty_parquet_file(tmp_path):
    path = tmp_path / "examples.parquet"
    frames.write_parquet(frames.records_frame([]), path)
    assert_same_view(flat_view_of_parquet(path), _old_parquet_view(path, 50_000))
    assert set(gate.DERIVED_COLUMNS) <= set(flat_view_of_parquet(path).columns)


def test_parquet_reads_only_the_leaves_the_view_needs(edge_table, tmp_path):
    path = tmp_path / "examples.parquet"
    pq.write_table(edge_table, path)
    names, columns = gate._parquet_columns(path)
    assert names == edge_table.column_names
    assert [c.split(".")[0] for c in columns] == [n for n in names for _ in range(2 if n == col.MESSAGES else 1)]
    assert [c.rsplit(".", 1)[-1] for c in columns if "." in c] == ["role", "content", "role", "role"]


@pytest.mark.parametrize("batch_rows", [2, 1000])
def test_flat_view_of_parquet_of_other_layouts(tmp_path, batch_rows):
    """Nested columns the leaf selection does not apply to are read whole, with the same view."""
    inner = pa.struct([("role", pa.string()), ("content", pa.string()), ("extra", pa.struct([("x", pa.int64())]))])
    no_role = pa.struct([("content", pa.string())])
    t = pa.table({
        col.KIND: ["sft", "preference", None, "sft"],
        col.MESSAGES: pa.array([[{"role": "user", "content": "q", "extra": {"x": 1}},
                                 {"role": "assistant", "content": "ans", "extra": None}],
                                [None], None, []], pa.list_(inner)),
        col.CHOSEN: pa.array([["a"], None, [], ["b", None]], pa.list_(pa.string())),
        col.REJECTED: pa.array([[{"content": "r"}], [None], None, []], pa.list_(no_role)),
    })
    path = tmp_path / "odd.parquet"
    pq.write_table(t, path)
    assert gate._parquet_columns(path)[1] == [col.KIND, col.MESSAGES, col.CHOSEN, col.REJECTED]
    assert_same_view(flat_view_of_parquet(path, batch_rows=batch_rows), _old_parquet_view(path, batch_rows))


def test_flat_view_of_parquet_written_by_the_stages_sink(record_factory, tmp_path):
    path = tmp_path / "examples.parquet"
    sink = frames.ParquetSink(path, row_group_rows=6)
    sink.write_records(edge_records(record_factory))
    sink.close()
    assert_same_view(flat_view_of_parquet(path, batch_rows=5), _old_parquet_view(path, 5))
