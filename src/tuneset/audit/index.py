"""The per-version index: what lets ``explain`` and ``models which`` answer in milliseconds at 1M examples.

Export writes it once per dataset version under ``data/final/index/``, a DVC output like the rest
of ``data/final``, so every committed version carries its own:

- ``units.parquet``: one row per unit, kept or dropped, sorted by ``origin_id``: every field
  ``explain`` prints (provenance, split, the drop decision) and the trail of transformations
  (``ids__<stage>``: the unit's ``example_id`` in that stage's output, so a changed id shows which
  stage changed the content; ``edits__<stage>``: the JSON ``{type: count}`` a stage recorded, such
  as scrub's ``pii_edits``).
- ``by_example.parquet``: ``(example_id, origin_id, status, split)`` sorted by ``example_id``.
- ``text.parquet``: ``(row, text)``, one row per turn of every kept example (content and tool-call
  text), ``row`` being the example's position in ``manifest.parquet``: what the case-insensitive
  text searches scan, without decoding the nested messages of ``examples.parquet``.

The id files are sorted by their key and written in small row groups, so a lookup reads the
Parquet footer, keeps the row groups whose min/max statistics can hold the key (or id prefix), and
decodes only those. A version without an index (older commits, or a workspace built before the
index existed) is indexed in memory from its manifest and dropped table: the same answers, slower.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tuneset import hashing
from tuneset import schema as col
from tuneset.audit import AuditError

if TYPE_CHECKING:  # pandas is imported where a frame is returned, not at import time
    import pandas as pd

FORMAT = "1"
INDEX_DIR = "index"
UNITS = "units.parquet"
BY_EXAMPLE = "by_example.parquet"
TEXT = "text.parquet"

STATUS = "status"
KEPT, DROPPED = "kept", "dropped"
ROW, TEXT_COLUMN = "row", "text"
IDS_PREFIX, EDITS_PREFIX = "ids__", "edits__"

# Pipeline order (DESIGN.md), used to order transformations; unknown stages sort last.
STAGE_ORDER = ("ingest", "normalize", "scrub", "filter", "dedup", "decontaminate", "split", "export")
# An edits column ``<stage>_edits`` belongs to ``<stage>``; these are named otherwise.
EDITS_COLUMNS = {"pii_edits": "scrub"}

UNIT_COLUMNS = (
    col.ORIGIN_ID, col.EXAMPLE_ID, STATUS, col.KIND, col.SPLIT, col.SOURCE, col.SOURCE_FILE, col.LOCATOR,
    col.ORIGIN, col.LICENSE, col.GROUP_ID, col.CLUSTER_ID, col.STAGE, col.RULE, col.RULE_FINGERPRINT,
    col.REASON, col.DUPLICATE_OF,
)
BY_EXAMPLE_COLUMNS = (col.EXAMPLE_ID, col.ORIGIN_ID, STATUS, col.SPLIT)

LOW_CARDINALITY = (STATUS, col.KIND, col.SPLIT, col.SOURCE, col.SOURCE_FILE, col.ORIGIN, col.LICENSE, col.STAGE,
                   col.RULE, col.RULE_FINGERPRINT)
ID_ROW_GROUP = 16_384
TEXT_ROW_GROUP = 131_072


def stage_of_edits(column: str) -> str | None:
    """The stage an edits column belongs to: ``pii_edits`` -> scrub, ``<stage>_edits`` -> stage."""
    if column in EDITS_COLUMNS:
        return EDITS_COLUMNS[column]
    if column.endswith("_edits") and len(column) > len("_edits"):
        return column[: -len("_edits")]
    return None


def stage_rank(stage: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER), stage)


@dataclass
class Index:
    """The id index tables of one version (see the module docstring) and its metadata."""

    units: pa.Table
    by_example: pa.Table
    meta: dict[str, str] = field(default_factory=dict)


Frame: TypeAlias = "pd.DataFrame | pa.Table"


def _column(frame: Frame, name: str) -> pa.Array | pa.ChunkedArray:
    """One column as Arrow strings (nulls where absent or NaN), without a Python loop."""
    n = frame.num_rows if isinstance(frame, pa.Table) else len(frame)
    if name not in (frame.column_names if isinstance(frame, pa.Table) else frame.columns):
        return pa.nulls(n, pa.string())
    if isinstance(frame, pa.Table):
        return pc.cast(frame.column(name), pa.string())
    return pa.array(frame[name].to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def _strings(frame: Frame, columns: Sequence[str]) -> pa.Table:
    return pa.table({c: _column(frame, c) for c in columns})


def _edit_columns(frame: Frame) -> list[str]:
    names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    return [c for c in names if stage_of_edits(c)]


def build_index(
    manifest: Frame,
    dropped: Frame,
    examples: Frame | None = None,
    stage_outputs: Mapping[str, Frame] | None = None,
) -> Index:
    """The id index of one version (``units`` and ``by_example``), built with Arrow kernels.

    ``manifest`` and ``dropped`` are the tables written to ``manifest.parquet`` and
    ``dropped.parquet`` (pandas or Arrow); ``examples`` holds ``origin_id`` and the ``*_edits``
    columns of the kept examples (other columns are ignored); ``stage_outputs`` maps stage names, in
    pipeline order, to frames with ``origin_id``, ``example_id`` and any ``*_edits`` columns of that
    stage's output (see :func:`read_stage_outputs`).
    """
    kept = _strings(manifest, UNIT_COLUMNS)
    gone = _strings(dropped, UNIT_COLUMNS)
    kept = kept.set_column(kept.schema.get_field_index(STATUS), STATUS, pa.array([KEPT] * kept.num_rows, pa.string()))
    gone = gone.set_column(gone.schema.get_field_index(STATUS), STATUS, pa.array([DROPPED] * gone.num_rows, pa.string()))
    units = pa.concat_tables([kept, gone])
    origins = units.column(col.ORIGIN_ID)

    stages = list(stage_outputs or {})
    extra: dict[str, pa.ChunkedArray | pa.Array] = {}
    edits: dict[str, pa.ChunkedArray | pa.Array] = {}
    sources: list[tuple[str, Frame]] = list((stage_outputs or {}).items())
    if examples is not None:
        sources.append(("", examples))
    for stage, frame in sources:
        where = pc.index_in(origins, value_set=pc.cast(_column(frame, col.ORIGIN_ID), pa.string()))  # first match

        def looked_up(name: str, frame: Frame = frame, where: pa.Array = where) -> pa.Array:
            return pc.take(_column(frame, name), where)

        if stage:
            extra[f"{IDS_PREFIX}{stage}"] = looked_up(col.EXAMPLE_ID)
        for c in _edit_columns(frame):
            name = f"{EDITS_PREFIX}{stage_of_edits(c)}"
            edits[name] = pc.coalesce(edits[name], looked_up(c)) if name in edits else looked_up(c)
    for name, values in {**extra, **dict(sorted(edits.items()))}.items():
        units = units.append_column(name, values)
    units = units.combine_chunks()  # one chunk: take() on chunked strings is several times slower
    units = units.take(pc.sort_indices(units, sort_keys=[(col.ORIGIN_ID, "ascending")]))

    by_example = units.select(list(BY_EXAMPLE_COLUMNS)).filter(pc.is_valid(units.column(col.EXAMPLE_ID)))
    by_example = by_example.take(pc.sort_indices(by_example, sort_keys=[(col.EXAMPLE_ID, "ascending"),
                                                                        (col.ORIGIN_ID, "ascending")]))
    pairs = zip(_column(manifest, col.EXAMPLE_ID).to_pylist(), _column(manifest, col.SPLIT).to_pylist())
    meta = {"tuneset.index": FORMAT, "dataset_version": hashing.dataset_version(pairs), "stages": ",".join(stages)}
    metadata = {k.encode(): v.encode() for k, v in sorted(meta.items())}
    return Index(units.replace_schema_metadata(metadata), by_example.replace_schema_metadata(metadata), meta)


def turn_texts(batch: pa.RecordBatch | pa.Table) -> tuple[pa.Array, pa.Array]:
    """``(row in batch, text)`` of every non-empty content and tool-call text of every turn
    (``messages``, ``chosen``, ``rejected``), vectorized."""
    rows, texts = [], []
    for c in (col.MESSAGES, col.CHOSEN, col.REJECTED):
        if c not in batch.schema.names:
            continue
        lists = batch.column(c)
        flat = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists)
        for field_name in ("content", "tool_calls"):
            values = pc.struct_field(flat, field_name)
            present = pc.fill_null(pc.greater(pc.utf8_length(values), 0), False)
            rows.append(pc.filter(parents, present))
            texts.append(pc.filter(values, present))
    if not rows:
        return pa.array([], pa.int64()), pa.array([], pa.string())
    return (pa.concat_arrays([pc.cast(r, pa.int64()) for r in rows]),
            pa.concat_arrays([pc.cast(t, pa.string()) for t in texts]))


def read_stage_outputs(paths: Iterable[str | Path]) -> dict[str, pa.Table]:
    """``{stage: table}`` from ``data/<stage>/examples.parquet`` files, in the order given.

    Only ``origin_id``, ``example_id`` and ``*_edits`` columns are read: two short columns per stage.
    """
    out: dict[str, pa.Table] = {}
    for p in paths:
        p = Path(p)
        names = pq.read_schema(p).names
        out[p.parent.name] = pq.read_table(p, columns=[col.ORIGIN_ID, col.EXAMPLE_ID, *(c for c in names if stage_of_edits(c))])
    return out


def write_index(index: Index, out_dir: str | Path) -> dict[str, int]:
    """Write ``units.parquet`` and ``by_example.parquet`` into ``out_dir``; returns rows per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table, name in ((index.units, UNITS), (index.by_example, BY_EXAMPLE)):
        # Dictionary encoding only where values repeat: on unique ids it is built and thrown away.
        repeat = [c for c in table.column_names if c in LOW_CARDINALITY]
        pq.write_table(table, out / name, compression="zstd", row_group_size=ID_ROW_GROUP, use_dictionary=repeat)
    return {UNITS: index.units.num_rows, BY_EXAMPLE: index.by_example.num_rows}


def write_text_index(manifest: Frame, examples_path: str | Path, out_path: str | Path,
                     meta: Mapping[str, str], batch_rows: int = 65_536) -> int:
    """Stream ``examples.parquet`` into ``text.parquet`` (one batch in memory); returns its rows.

    ``row`` is the example's position in ``manifest`` (the frame as written to manifest.parquet).
    Rows follow the order of examples.parquet, which is deterministic; searches only collect them.
    """
    schema = pa.schema([(ROW, pa.int32()), (TEXT_COLUMN, pa.string())],
                       metadata={k.encode(): v.encode() for k, v in sorted(meta.items())})
    pf = pq.ParquetFile(examples_path)
    wanted = [c for c in (col.MESSAGES, col.CHOSEN, col.REJECTED) if c in pf.schema_arrow.names]
    # Every example's manifest position at once (one hash table), then sliced per batch.
    origins = pf.read(columns=[col.ORIGIN_ID]).column(col.ORIGIN_ID)
    positions = pc.index_in(origins, value_set=_column(manifest, col.ORIGIN_ID))
    if positions.null_count:
        missing = origins.filter(pc.is_null(positions))[0].as_py()
        raise ValueError(f"example {missing} of {examples_path} is not in the manifest")
    positions = pc.cast(positions, pa.int32()).combine_chunks() if isinstance(positions, pa.ChunkedArray) else \
        pc.cast(positions, pa.int32())
    n = offset = 0
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    # lz4: the text scan is bound by decompression, and lz4 decodes several times faster than zstd.
    with pq.ParquetWriter(out_path, schema, compression="lz4", use_dictionary=False) as writer:
        for batch in pf.iter_batches(batch_size=batch_rows, columns=wanted):
            local, texts = turn_texts(batch)
            rows = pc.take(positions.slice(offset, batch.num_rows), local)
            offset += batch.num_rows
            table = pa.table({ROW: rows, TEXT_COLUMN: texts}, schema=schema)
            for start in range(0, table.num_rows, TEXT_ROW_GROUP):
                writer.write_table(table.slice(start, TEXT_ROW_GROUP), row_group_size=TEXT_ROW_GROUP)
            n += table.num_rows
        if n == 0:
            writer.write_table(schema.empty_table())
    return n


def export_index(out_dir: str | Path, manifest: Frame, dropped: Frame, examples_path: str | Path,
                 stage_outputs: Mapping[str, Frame] | None = None) -> dict[str, int]:
    """Build and write the whole index of a version: what the export stage calls, once per version.

    ``examples_path`` is the ``examples.parquet`` export just wrote (read in batches for the text
    index; only its ``origin_id`` and ``*_edits`` columns are read whole).
    """
    names = pq.read_schema(examples_path).names
    examples = pq.read_table(examples_path, columns=[col.ORIGIN_ID, *(c for c in names if stage_of_edits(c))])
    index = build_index(manifest, dropped, examples, stage_outputs)
    counts = write_index(index, out_dir)
    counts[TEXT] = write_text_index(manifest, examples_path, Path(out_dir) / TEXT, index.meta)
    return counts


# --- reading ------------------------------------------------------------------------------------

class SortedTable:
    """Rows sorted by ``key``, read by key range: a Parquet file pruned by row-group statistics, or
    an in-memory Arrow table (the fallback of versions without an index)."""

    def __init__(self, source: pq.ParquetFile | pa.Table, key: str) -> None:
        self.key = key
        self.table = source if isinstance(source, pa.Table) else None
        self.file = source if isinstance(source, pq.ParquetFile) else None
        self.bounds: list[tuple[Any, Any]] = []
        if self.file is not None:
            md = self.file.metadata
            j = self.file.schema_arrow.get_field_index(key)
            for i in range(md.num_row_groups):
                stats = md.row_group(i).column(j).statistics
                ok = stats is not None and stats.has_min_max
                self.bounds.append((stats.min, stats.max) if ok else (None, None))

    @property
    def metadata(self) -> dict[str, str]:
        schema = self.table.schema if self.table is not None else self.file.schema_arrow  # type: ignore[union-attr]
        return {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}

    def _groups(self, lo: str, hi: str) -> list[int]:
        return [i for i, (mn, mx) in enumerate(self.bounds)
                if mn is None or (_text(mx) >= lo and _text(mn) < hi)]

    def range(self, lo: str, hi: str) -> pa.Table:
        """Rows with ``lo <= key < hi``."""
        table = self.table if self.table is not None else self.file.read_row_groups(self._groups(lo, hi))  # type: ignore[union-attr]
        k = table.column(self.key)
        return table.filter(pc.and_(pc.greater_equal(k, lo), pc.less(k, hi)))

    def prefix(self, prefix: str) -> pa.Table:
        """Rows whose key starts with ``prefix`` (ids are lowercase hex, so ``prefix + DEL`` bounds them)."""
        return self.range(prefix, prefix + "\x7f")

    def equal(self, values: Iterable[str]) -> pa.Table:
        values = sorted(set(values))
        if not values:
            return self._empty()
        if self.table is not None:
            table = self.table
        else:
            groups = sorted({i for v in values for i in self._groups(v, v + "\x00")})
            table = self.file.read_row_groups(groups)  # type: ignore[union-attr]
        return table.filter(pc.is_in(table.column(self.key), value_set=pa.array(values, pa.string())))

    def _empty(self) -> pa.Table:
        schema = self.table.schema if self.table is not None else self.file.schema_arrow  # type: ignore[union-attr]
        return schema.empty_table()

    def column(self, name: str) -> pa.ChunkedArray:
        """A whole column (scans)."""
        if self.table is not None:
            return self.table.column(name)
        return self.file.read(columns=[name]).column(name)  # type: ignore[union-attr]


def _text(v: Any) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


class IndexReader:
    """Lookups over one version's index (files, or built in memory when the version has none)."""

    def __init__(self, units: SortedTable, by_example: SortedTable, built: bool) -> None:
        self.units = units
        self.by_example = by_example
        self.built = built  # True when the version had no index files and it was built in memory
        meta = units.metadata
        self.stages = [s for s in meta.get("stages", "").split(",") if s]
        self.dataset_version = meta.get("dataset_version")

    @classmethod
    def open(cls, snapshot: Any, final: str) -> IndexReader:
        """The index of ``snapshot``'s ``final`` directory (``data/final``)."""
        base = f"{final}/{INDEX_DIR}"
        if snapshot.exists(f"{base}/{UNITS}") and snapshot.exists(f"{base}/{BY_EXAMPLE}"):
            units = SortedTable(snapshot.parquet(f"{base}/{UNITS}"), col.ORIGIN_ID)
            reader = cls(units, SortedTable(snapshot.parquet(f"{base}/{BY_EXAMPLE}"), col.EXAMPLE_ID), built=False)
            if units.metadata.get("tuneset.index") != FORMAT:
                raise AuditError(f"{base} at {snapshot.label} has index format {units.metadata.get('tuneset.index')!r}, "
                                 f"this tuneset reads {FORMAT!r}: re-run export (`dvc repro export`)")
            version = snapshot.read_json(f"{final}/VERSION.json").get("dataset_version")
            if version and reader.dataset_version != version:
                raise AuditError(f"{base} at {snapshot.label} does not match {final}/VERSION.json (index of "
                                 f"{str(reader.dataset_version)[:16]}, dataset {version[:16]}): the index is stale; "
                                 f"re-run export (`dvc repro export`)")
            return reader
        return cls.build(snapshot, final)

    @classmethod
    def build(cls, snapshot: Any, final: str) -> IndexReader:
        """The in-memory index of a version without index files (vectorized; no text index)."""
        def read(path: str) -> pa.Table:
            pf = snapshot.parquet(path)
            return pf.read(columns=[c for c in UNIT_COLUMNS if c in pf.schema_arrow.names])

        manifest, dropped = read(f"{final}/manifest.parquet"), read(f"{final}/dropped.parquet")
        examples = None
        if snapshot.exists(f"{final}/examples.parquet"):
            pf = snapshot.parquet(f"{final}/examples.parquet")
            wanted = [c for c in pf.schema_arrow.names if stage_of_edits(c)]
            if wanted:
                examples = pf.read(columns=[col.ORIGIN_ID, *wanted])
        index = build_index(manifest, dropped, examples)
        return cls(SortedTable(index.units, col.ORIGIN_ID), SortedTable(index.by_example, col.EXAMPLE_ID), built=True)

    def units_by_origin(self, origin_ids: Iterable[str]) -> list[dict[str, Any]]:
        return rows(self.units.equal(origin_ids))

    def rows_by_example(self, example_ids: Iterable[str]) -> list[dict[str, Any]]:
        return rows(self.by_example.equal(example_ids))

    def origin_prefix(self, prefix: str, limit: int) -> list[str]:
        ids = self.units.prefix(prefix).column(col.ORIGIN_ID).to_pylist()
        return sorted(set(ids))[:limit]

    def example_prefix(self, prefix: str, limit: int) -> list[str]:
        ids = self.by_example.prefix(prefix).column(col.EXAMPLE_ID).to_pylist()
        return sorted(set(ids))[:limit]

    def units_by_group(self, group_id: str) -> list[dict[str, Any]]:
        """Units of one group_id (a scan of one column, then the matching rows)."""
        groups = self.units.column(col.GROUP_ID)
        hits = pc.filter(self.units.column(col.ORIGIN_ID), pc.equal(groups, group_id))
        return self.units_by_origin(hits.to_pylist())


def transformations(unit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{stage, edits: {type: count}}]`` of one unit row, in pipeline order.

    A stage's ``edits__<stage>`` counts win; otherwise a changed ``example_id`` between a stage's
    input and output is recorded as ``{"content_changed": 1}``. Never holds original values.
    """
    id_stages = [k[len(IDS_PREFIX):] for k in unit if k.startswith(IDS_PREFIX)]
    changed: set[str] = set()
    previous = None
    for stage in id_stages:
        current = unit.get(f"{IDS_PREFIX}{stage}")
        if previous is not None and current is not None and current != previous:
            changed.add(stage)
        if current is not None:
            previous = current
    recorded: dict[str, dict[str, int]] = {}
    for key, value in unit.items():
        if key.startswith(EDITS_PREFIX) and value:
            counts = _counts(value)
            if counts:
                recorded[key[len(EDITS_PREFIX):]] = counts
    out = []
    for stage in sorted(changed | set(recorded), key=stage_rank):
        edits = recorded.get(stage) or {"content_changed": 1}
        out.append({"stage": stage, "edits": edits})
    return out


def _counts(value: Any) -> dict[str, int]:
    try:
        obj = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        return {}
    if not isinstance(obj, Mapping):
        return {}
    return {str(k): int(v) for k, v in sorted(obj.items()) if isinstance(v, (int, float)) and not isinstance(v, bool) and v}


# --- text search -----------------------------------------------------------------------------------

HIT_COLUMNS = (col.ORIGIN_ID, col.EXAMPLE_ID, col.KIND, col.SPLIT, col.SOURCE)


def search_text(snapshot: Any, final: str, text: str) -> pd.DataFrame:
    """Kept examples with a turn containing ``text``, case-insensitively, in manifest order.

    The text is matched literally (never as a pattern), in message contents and tool-call JSON of
    every turn (prompt, chosen and rejected). Returns :data:`HIT_COLUMNS`.
    """
    from tuneset import frames

    if not text or not text.strip():
        raise AuditError("the text to search for is empty")
    manifest = snapshot.parquet(f"{final}/manifest.parquet")
    path = f"{final}/{INDEX_DIR}/{TEXT}"
    if snapshot.exists(path):
        pf = snapshot.parquet(path)
        hits = []
        for i in range(pf.num_row_groups):  # one row group in memory at a time
            group = pf.read_row_group(i, columns=[ROW, TEXT_COLUMN])
            hit = pc.fill_null(pc.match_substring(group.column(TEXT_COLUMN), text, ignore_case=True), False)
            hits += pc.filter(group.column(ROW), hit).chunks
        rows = pc.unique(pa.chunked_array(hits, pa.int32()))
        rows = pc.take(rows, pc.array_sort_indices(rows))  # manifest order
        table = manifest.read(columns=list(HIT_COLUMNS)).take(pc.cast(rows, pa.int64()))
        return frames.from_table(table)
    return _scan_examples(snapshot.parquet(f"{final}/examples.parquet"), text)


def _scan_examples(pf: pq.ParquetFile, text: str) -> pd.DataFrame:
    """The slow path for versions without a text index: the nested turns of examples.parquet."""
    import pandas as pd

    from tuneset import frames

    names = pf.schema_arrow.names
    turn_columns = [c for c in (col.MESSAGES, col.CHOSEN, col.REJECTED) if c in names]
    parts = []
    for batch in pf.iter_batches(batch_size=65_536, columns=[*HIT_COLUMNS, *turn_columns]):
        local, texts = turn_texts(batch)
        hit = pc.fill_null(pc.match_substring(texts, text, ignore_case=True), False)
        found = sorted(set(pc.filter(local, hit).to_pylist()))
        if found:
            parts.append(pa.Table.from_batches([batch]).select(list(HIT_COLUMNS)).take(pa.array(found, pa.int64())))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in HIT_COLUMNS})
    return frames.from_table(pa.concat_tables(parts))
