"""The split's output, in (example_id, origin_id) order, with bounded memory.

Export streams the split's output in example_id order, so the split writes it sorted. Sorting the
whole content in memory would hold it twice; instead every input batch is cut into 16 buckets by
the first hex digit of ``example_id`` (a sha256, so the buckets are even), each bucket is written
to a temporary Parquet file, and the buckets are then read back one at a time, sorted, and
streamed out: memory holds one input batch, then one sixteenth of the content.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tuneset import schema as col

BUCKETS = "0123456789abcdef"


@dataclass
class Output:
    """What the output needs from the assignment, per input row, so the key frames can be freed
    before the content is read: which rows stay, and their ``cluster_id`` and ``split``."""

    keep: np.ndarray  # bool per input row
    added: dict[str, pa.Array]  # cluster_id and split per input row (null where dropped)


def output_plan(keep: np.ndarray, cluster_ids: list[str], splits: list[str]) -> Output:
    """The plan from the kept rows' ``cluster_id`` and ``split``, in input order."""
    n = len(keep)
    rows = np.flatnonzero(keep)
    added = {}
    for name, values in ((col.CLUSTER_ID, cluster_ids), (col.SPLIT, splits)):
        full: list[str | None] = [None] * n
        for r, v in zip(rows.tolist(), values):
            full[r] = v
        added[name] = pa.array(full, pa.string())
    return Output(keep, added)


def with_split(batch: pa.Table, out: Output, offset: int) -> pa.Table:
    """The kept rows of one input batch (input rows ``offset ..``) with ``cluster_id`` and ``split``."""
    mask = pa.array(out.keep[offset:offset + batch.num_rows])
    part = batch.filter(mask)
    for name, values in out.added.items():
        piece = values.slice(offset, batch.num_rows).filter(mask)
        i = part.schema.get_field_index(name)
        part = part.set_column(i, name, piece) if i >= 0 else part.append_column(name, piece)
    return part


def sorted_batches(batches: Iterable[pa.Table], out: Output, tmp: str | Path, batch_rows: int = 50_000) -> Iterator[pa.Table]:
    """The kept rows of the input ``batches`` with the split's columns, in (example_id, origin_id)
    order, ``batch_rows`` at a time; ``tmp`` (a folder, created and removed) holds the buckets."""
    tmp = Path(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    writers: dict[int, pq.ParquetWriter] = {}
    schema: pa.Schema | None = None
    try:
        offset = 0
        for batch in batches:
            part = with_split(batch, out, offset)
            offset += batch.num_rows
            schema = schema or part.schema
            first = pc.utf8_slice_codeunits(part.column(col.EXAMPLE_ID), 0, 1).to_pylist()
            bucket = np.asarray([BUCKETS.find(c) for c in first], dtype=np.int64)
            bucket[bucket < 0] = len(BUCKETS)  # not hex: last, still sorted within
            for b in np.unique(bucket).tolist():
                if b not in writers:
                    writers[b] = pq.ParquetWriter(tmp / f"{b:02d}.parquet", part.schema)
                writers[b].write_table(part.filter(pa.array(bucket == b)))
        for w in writers.values():
            w.close()
        writers = {}
        if schema is None:
            return
        for path in sorted(tmp.glob("*.parquet")):
            table = pq.read_table(path).sort_by([(col.EXAMPLE_ID, "ascending"), (col.ORIGIN_ID, "ascending")])
            for lo in range(0, table.num_rows, batch_rows):
                yield table.slice(lo, batch_rows)
            del table
            path.unlink()
    finally:
        for w in writers.values():
            w.close()
        shutil.rmtree(tmp, ignore_errors=True)


def take_rows(source: pq.ParquetFile, rows: np.ndarray, batch_rows: int = 50_000) -> pa.Table:
    """Input rows ``rows`` (sorted) of a Parquet file, reading it batch by batch."""
    parts, offset = [], 0
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows):
        for batch in source.iter_batches(batch_size=batch_rows):
            inside = rows[(rows >= offset) & (rows < offset + batch.num_rows)] - offset
            if len(inside):
                parts.append(pa.Table.from_batches([batch]).take(inside))
            offset += batch.num_rows
    return pa.concat_tables(parts) if parts else source.schema_arrow.empty_table()


def write_sorted(source: pq.ParquetFile, path: str | Path, out: Output, tmp: str | Path) -> int:
    """Write the kept rows of ``source`` with the split's columns to ``path`` in (example_id,
    origin_id) order (:func:`sorted_batches`); returns the rows written."""
    writer, rows = None, 0
    batches = (pa.Table.from_batches([b], source.schema_arrow) for b in source.iter_batches(batch_size=50_000))
    try:
        for batch in sorted_batches(batches, out, tmp):
            writer = writer or pq.ParquetWriter(path, batch.schema, compression="zstd")
            writer.write_table(batch)
            rows += batch.num_rows
        if writer is None:
            pq.write_table(with_split(source.schema_arrow.empty_table(), out, 0), path, compression="zstd")
    finally:
        if writer is not None:
            writer.close()
    return rows
