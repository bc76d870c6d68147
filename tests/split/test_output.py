"""The split's output: kept rows only, split columns set, (example_id, origin_id) order, bounded batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import frames
from tuneset import schema as col
from tuneset.split.output import output_plan, sorted_batches, take_rows, write_sorted


def _input(record_factory, n: int) -> pa.Table:
    df = frames.records_frame([record_factory(user=f"question {i}", locator=str(i)) for i in range(n)])
    return frames.to_table(df)


def test_sorted_batches_keep_filter_and_order(record_factory, tmp_path: Path):
    table = _input(record_factory, 300)
    keep = np.ones(300, dtype=bool)
    keep[::7] = False
    kept = np.flatnonzero(keep)
    plan = output_plan(keep, [f"c{i}" for i in kept], ["train" if i % 2 else "test" for i in kept])
    batches = [table.slice(lo, 64) for lo in range(0, 300, 64)]
    out = list(sorted_batches(batches, plan, tmp_path / "t", batch_rows=40))
    assert all(b.num_rows <= 40 for b in out) and not (tmp_path / "t").exists()
    got = pa.concat_tables(out)
    assert got.num_rows == len(kept)
    keys = list(zip(got.column(col.EXAMPLE_ID).to_pylist(), got.column(col.ORIGIN_ID).to_pylist()))
    assert keys == sorted(keys)
    by_locator = dict(zip(got.column(col.LOCATOR).to_pylist(), zip(got.column(col.CLUSTER_ID).to_pylist(),
                                                                    got.column(col.SPLIT).to_pylist())))
    assert by_locator["1"] == ("c1", "train") and by_locator["2"] == ("c2", "test") and "7" not in by_locator
    assert got.column_names[-2:] == [col.CLUSTER_ID, col.SPLIT]


def test_write_sorted_and_take_rows(record_factory, tmp_path: Path):
    frames.write_parquet(frames.records_frame([record_factory(user=f"q {i}", locator=str(i)) for i in range(120)]),
                         tmp_path / "in.parquet")
    source = pq.ParquetFile(tmp_path / "in.parquet")
    keep = np.ones(120, dtype=bool)
    plan = output_plan(keep, ["x"] * 120, ["val"] * 120)
    assert write_sorted(source, tmp_path / "out.parquet", plan, tmp_path / "tmp") == 120
    out = pq.read_table(tmp_path / "out.parquet")
    ids = out.column(col.EXAMPLE_ID).to_pylist()
    assert ids == sorted(ids) and set(out.column(col.SPLIT).to_pylist()) == {"val"}
    assert take_rows(source, np.array([3, 70, 119]), batch_rows=50).column(col.LOCATOR).to_pylist() == ["3", "70", "119"]
    assert take_rows(source, np.array([], dtype=np.int64)).num_rows == 0
    none = output_plan(np.zeros(120, dtype=bool), [], [])
    assert write_sorted(source, tmp_path / "empty.parquet", none, tmp_path / "tmp") == 0
    empty = pq.read_table(tmp_path / "empty.parquet")
    assert empty.num_rows == 0 and {col.SPLIT, col.CLUSTER_ID} <= set(empty.column_names)
