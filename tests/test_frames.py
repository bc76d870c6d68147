import pyarrow.parquet as pq

from tuneset import frames
from tuneset import schema as col


def test_round_trip_keeps_nested_types_and_nulls(tmp_path, record_factory):
    rec = record_factory(kind="preference", labels={"intent": "billing"})
    path = tmp_path / "x.parquet"
    frames.write_parquet(frames.records_frame([rec]), path)
    schema = pq.read_schema(path)
    assert schema.field(col.MESSAGES).type == col.MESSAGES_TYPE
    assert str(schema.field(col.LABELS).type).startswith("map<string, string")
    back = frames.read_parquet(path).iloc[0].to_dict()
    assert back[col.LABELS] == {"intent": "billing"}
    assert back[col.TOOLS] is None and back[col.CHOSEN] == rec[col.CHOSEN]
    assert back[col.EXAMPLE_ID] == rec[col.EXAMPLE_ID]


def test_writes_are_byte_identical_and_empty_frames_work(tmp_path, record_factory):
    df = frames.records_frame([record_factory(locator=str(i)) for i in range(3)])
    frames.write_parquet(df, tmp_path / "a.parquet")
    frames.write_parquet(df, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    frames.write_parquet(frames.records_frame([]), tmp_path / "e.parquet")
    assert frames.read_parquet(tmp_path / "e.parquet").columns.tolist() == list(col.RECORD_COLUMNS)


def test_read_frames_share_repeated_strings_and_release_nested_values(tmp_path, record_factory):
    import gc
    import sys

    from tuneset.gate import flat_view

    rows = [record_factory(locator=str(i), user=f"Question {i}?") for i in range(4)]
    rows[1][col.TOOLS] = "[]"
    frames.write_parquet(frames.records_frame(rows), tmp_path / "x.parquet")
    df = frames.read_parquet(tmp_path / "x.parquet")
    assert df[col.TOOLS].tolist() == [None, "[]", None, None]
    assert df[col.SOURCE_FILE].iat[0] is df[col.SOURCE_FILE].iat[3]  # one object per distinct value
    assert df[col.LOCATOR].tolist() == ["0", "1", "2", "3"]
    messages = df[col.MESSAGES].iat[0]
    view = flat_view(df)
    del df
    gc.collect()
    assert sys.getrefcount(messages) == 2  # the flat view does not keep the batch's messages alive
    assert view[col.MESSAGES].tolist() == [2, 2, 2, 2]


def test_sink_bytes_do_not_depend_on_how_rows_were_batched(tmp_path, record_factory):
    df = frames.records_frame([record_factory(locator=str(i), user=f"Question {i}?") for i in range(23)])
    paths = []
    for name, cuts in (("one", [23]), ("uneven", [1, 9, 2, 11]), ("frames", [5, 5, 5, 5, 3])):
        sink = frames.ParquetSink(tmp_path / f"{name}.parquet", row_group_rows=7)
        start = 0
        for n in cuts:
            part = df.iloc[start:start + n]
            if name == "frames":
                sink.write_frame(part)
            else:
                sink.write_table(frames.to_table(part))
            start += n
        sink.close()
        paths.append(tmp_path / f"{name}.parquet")
    assert paths[0].read_bytes() == paths[1].read_bytes() == paths[2].read_bytes()
    meta = pq.ParquetFile(paths[0]).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [7, 7, 7, 2]
    assert frames.read_parquet(paths[1])[col.LOCATOR].tolist() == [str(i) for i in range(23)]
