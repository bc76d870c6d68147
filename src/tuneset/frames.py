"""Canonical frames in and out of Parquet, with the Arrow types of :mod:`tuneset.schema`.

Stages call these with the paths they were given; nested columns come back as plain Python
lists and dicts, so library code never handles Arrow or NumPy containers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import schema as col

_MAP_COLUMNS = (col.LABELS,)


def _arrow_schema(columns: Sequence[str], types: Mapping[str, pa.DataType], sample: pd.DataFrame) -> pa.Schema:
    fields = []
    for name in columns:
        if name in types:
            fields.append(pa.field(name, types[name]))
        else:
            inferred = pa.Table.from_pandas(sample[[name]].head(1000), preserve_index=False).schema.field(name)
            fields.append(inferred)
    return pa.schema(fields)


def to_table(df: pd.DataFrame, types: Mapping[str, pa.DataType] = col.RECORD_TYPES) -> pa.Table:
    """Arrow table of ``df`` with the canonical types for known columns (others inferred)."""
    schema = _arrow_schema(list(df.columns), types, df)
    arrays = []
    for f in schema:
        values = df[f.name].tolist()
        if pa.types.is_string(f.type):
            values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
        if f.name in _MAP_COLUMNS:
            values = [None if v is None else sorted(v.items() if isinstance(v, dict) else dict(v).items())
                      for v in values]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(df: pd.DataFrame, path: str | Path, types: Mapping[str, pa.DataType] = col.RECORD_TYPES) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No statistics-free surprises: fixed compression and no pandas index keep bytes identical run to run.
    pq.write_table(to_table(df, types), path, compression="zstd")


def _strings(column: pa.ChunkedArray) -> np.ndarray:
    """One Python str per distinct value of each chunk (a million rows of one source share one object),
    None for null."""
    parts = []
    for chunk in column.chunks:
        encoded = chunk.dictionary_encode()
        distinct = np.array(encoded.dictionary.to_pylist() + [None], dtype=object)
        parts.append(distinct[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)])
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def from_table(table: pa.Table) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name in table.column_names:
        column = table.column(name)
        t = column.type
        if pa.types.is_map(t):
            data[name] = [None if v is None else dict(v) for v in column.to_pylist()]
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            data[name] = column.to_pandas()
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            data[name] = pd.Series(_strings(column), dtype=object)
        else:
            # Object columns keep None as None (not NaN), which the record code relies on.
            data[name] = pd.Series(column.to_pylist(), dtype=object)
    # copy=False keeps one block per column: a frame derived by replacing the nested columns (the
    # gates' flat view) then no longer holds the batch's messages alive through a shared 2-D block.
    return pd.DataFrame(data, columns=table.column_names, copy=False)


def read_parquet(path: str | Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    return from_table(pq.read_table(path, columns=list(columns) if columns is not None else None))


def records_frame(records: Sequence[Mapping[str, Any]], columns: Sequence[str] = col.RECORD_COLUMNS) -> pd.DataFrame:
    """A frame of canonical records with the canonical columns in order, even when empty."""
    # Object columns throughout: pandas 3 would infer its NaN-based string dtype for text with nulls.
    return pd.DataFrame({c: pd.Series([r.get(c) for r in records], dtype=object) for c in columns})


ROW_GROUP_ROWS = 50_000


class ParquetSink:
    """Appends batches of records to one Parquet file with a fixed schema, so a stage's memory holds
    one batch rather than the whole table. Batches arrive in their final order; nothing is sorted.

    Rows are written in row groups of ``row_group_rows`` whatever the batches' sizes, so the file's
    bytes depend on its rows only (not on how a stage batched them, e.g. for worker processes).
    """

    def __init__(self, path: str | Path, columns: Sequence[str] = col.RECORD_COLUMNS,
                 types: Mapping[str, pa.DataType] = col.RECORD_TYPES, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.types = types
        self.rows = 0
        self.row_group_rows = row_group_rows
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write_frame(self, df: pd.DataFrame) -> None:
        if df.empty:
            return
        self.write_table(to_table(df[self.columns], self.types))

    def write_table(self, table: pa.Table) -> None:
        """Append an Arrow table with this sink's columns (its first table fixes the schema)."""
        if table.num_rows == 0:
            return
        table = table.select(self.columns)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The canonical types where known: a table read back from Parquet names a map's
            # entries differently, and the names are part of the file's bytes.
            self._schema = pa.schema([pa.field(c, self.types[c]) if c in self.types else table.schema.field(c)
                                      for c in self.columns])
            self._writer = pq.ParquetWriter(self.path, self._schema, compression="zstd")
        self._pending.append(table.cast(self._schema))
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        assert self._writer is not None
        pending = pa.concat_tables(self._pending) if self._pending else None
        self._pending, self._pending_rows = [], 0
        if pending is None:
            return
        full = pending.num_rows if final else pending.num_rows - pending.num_rows % self.row_group_rows
        for start in range(0, full, self.row_group_rows):
            # One contiguous chunk per row group: Arrow's chunking must not show in the pages.
            part = pending.slice(start, min(self.row_group_rows, full - start)).combine_chunks()
            self._writer.write_table(part, row_group_size=self.row_group_rows)
        if full < pending.num_rows:
            rest = pending.slice(full)
            self._pending, self._pending_rows = [rest], rest.num_rows

    def write_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.write_frame(records_frame(records, self.columns))

    def close(self, empty_like: pd.DataFrame | None = None) -> None:
        """Finish the file; with no rows written, write an empty table of the same columns."""
        if self._writer is not None:
            self._flush(final=True)
            self._writer.close()
        else:
            write_parquet(empty_like if empty_like is not None else records_frame([], self.columns), self.path, self.types)


def iter_tables(path: str | Path, batch_rows: int = 50_000, columns: Iterable[str] | None = None) -> Iterator[pa.Table]:
    """The rows of a Parquet file as Arrow tables of at most ``batch_rows`` rows, in file order
    (the batches :func:`iter_frames` converts; cheap to send to a worker process)."""
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=batch_rows, columns=list(columns) if columns is not None else None):
        yield pa.Table.from_batches([batch])


def iter_frames(path: str | Path, batch_rows: int = 50_000, columns: Iterable[str] | None = None) -> Iterator[pd.DataFrame]:
    """The rows of a Parquet file as DataFrames of at most ``batch_rows`` rows, in file order."""
    for table in iter_tables(path, batch_rows, columns):
        yield from_table(table)


def parquet_columns(path: str | Path) -> list[str]:
    return list(pq.read_schema(path).names)
