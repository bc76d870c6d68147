"""Read one file: container -> units -> shape -> canonical records, and quarantine rows for the rest.

Every unit read ends in exactly one of ``records`` and ``quarantine`` (DESIGN.md "Conservation").
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from tuneset import hashing, ledger
from tuneset import schema as col
from tuneset.config import SourceConfig
from tuneset.ingest import containers, rules, shapes
from tuneset.ingest.mapping import Mapper
from tuneset.ingest.messages import type_name
from tuneset.ingest.rules import UnitError
from tuneset.ingest.units import WHOLE_FILE, RawUnit
from tuneset.records import SourceInfo, Unit, build_record

DETECT_SAMPLE = 50
_PREVIEW_BYTES = 4096
_LOCATOR_NAMES = {"jsonl": "line", "csv": "row", "tsv": "row", "json": "element", "parquet": "row",
                  "transcript": "conversation at line"}


@dataclass
class FileResult:
    records: list[dict]
    quarantine: list[dict]
    units: int
    format: str
    container: str
    empty: bool
    notes: list[str] = field(default_factory=list)


def where(source_file: str, container: str, locator: str) -> str:
    """'data/raw/x.jsonl line 12' — the place a reason points the user to."""
    if locator == WHOLE_FILE:
        return f"{source_file} (whole file)"
    return f"{source_file} {_LOCATOR_NAMES.get(container, 'unit')} {locator}"


class _Collector:
    """Turns parsed pieces and failures of one file into records and quarantine rows."""

    def __init__(self, info: SourceInfo, container: str, fmt: str | None,
                 sink: Callable[[list[dict]], None] | None = None, batch_rows: int = 50_000) -> None:
        self.info = info
        self.container = container
        self.fmt = fmt
        self.records: list[dict] = []
        self.quarantine: list[dict] = []
        self.sink = sink
        self.batch_rows = batch_rows
        self.handed_over = 0

    def flush(self) -> None:
        """Hand the records gathered so far to the sink, so memory holds one batch, not the file."""
        if self.sink is not None and self.records:
            self.handed_over += len(self.records)
            self.sink(self.records)
            self.records = []

    def drop(self, locator: str, raw: bytes, rule_name: str, message: str) -> None:
        info = self.info
        rule = rules.get(rule_name)
        prov = {
            col.ORIGIN_ID: hashing.origin_id(info.source_file, locator, raw),
            col.SOURCE: info.source,
            col.SOURCE_FILE: info.source_file,
            col.LOCATOR: locator,
            col.ORIGIN: info.origin,
        }
        reason = f"{where(info.source_file, self.container, locator)}: {message}; {rule.fix}"
        details = {"container": self.container, "format": self.fmt or "undetected"}
        self.quarantine.append(ledger.dropped_row(prov, stage=rules.STAGE, rule=rule, reason=reason,
                                                  details=details, preview_text=raw[:_PREVIEW_BYTES]))

    def keep(self, unit: Unit) -> None:
        assert unit.parsed is not None
        try:
            record = build_record(unit, self.info)
        except (TypeError, ValueError):
            # Meta that canonical JSON cannot hold (NaN, odd types) is made JSON-safe rather than lost.
            unit.parsed.meta = json.loads(json.dumps(unit.parsed.meta, default=str), parse_constant=lambda _: None)
            try:
                record = build_record(unit, self.info)
            except (TypeError, ValueError) as exc:
                self.drop(unit.locator, unit.raw, "invalid_record", f"cannot be stored as a record ({type(exc).__name__})")
                return
        self.records.append(record)
        if self.sink is not None and len(self.records) >= self.batch_rows:
            self.flush()


def _detect(sample: list[RawUnit], mapper: Mapper) -> tuple[str | None, str]:
    votes: Counter[str] = Counter()
    seen = 0
    for ru in sample:
        if ru.rule is None and isinstance(ru.value, dict):
            seen += 1
            shape = shapes.detect(mapper.remap(ru.value))
            if shape:
                votes[shape] += 1
    if not votes:
        return None, f"format undetected: no known shape in {seen} sampled record(s)"
    # Ties go to the more specific shape (SHAPES order), so the choice never depends on dict order.
    best = max(votes, key=lambda s: (votes[s], -shapes.SHAPES.index(s)))
    return best, f"format {best} detected in {votes[best]} of {seen} sampled record(s)"


def _peek(units: Iterable[RawUnit]) -> tuple[list[RawUnit], Iterator[RawUnit]]:
    it = iter(units)
    sample: list[RawUnit] = []
    parsed = 0
    for ru in it:
        sample.append(ru)
        parsed += ru.rule is None
        if parsed >= DETECT_SAMPLE:
            break
    return sample, it


def _keys(value: dict[str, Any]) -> str:
    keys = sorted(str(k)[:40] for k in value)
    shown = ", ".join(keys[:12]) + (f", ... ({len(keys)} keys)" if len(keys) > 12 else "")
    return shown or "(none)"


def ingest_file(path: Path, info: SourceInfo, spec: SourceConfig,
                sink: Callable[[list[dict]], None] | None = None) -> FileResult:
    """Every unit of one file, as canonical records or quarantine rows (never raises on bad data).

    With a ``sink``, records are handed to it in file order, in batches, instead of being kept in
    ``FileResult.records`` (which is then empty): memory then holds one batch, not the whole file.
    """
    # Building 10^5-10^6 small dicts triggers CPython's full collections over an ever larger heap
    # (20-25% of the time on 3.11); reading creates no reference cycles worth collecting meanwhile.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _ingest_file(path, info, spec, sink)
    finally:
        if paused:
            gc.enable()


def _ingest_file(path: Path, info: SourceInfo, spec: SourceConfig,
                 sink: Callable[[list[dict]], None] | None) -> FileResult:
    opened = containers.open_units(Path(path), spec)
    notes: list[str] = []  # after the container's own notes, which it appends while being read
    mapper_fmt = spec.format
    if opened.container == "transcript":
        fmt: str | None = "transcript"
        units: Iterable[RawUnit] = opened.units
    elif spec.format != "auto":
        fmt = spec.format
        units = opened.units
    else:
        sample, rest = _peek(opened.units)
        fmt, note = _detect(sample, Mapper(spec, "auto"))
        if sample and opened.container != "unknown" and any(ru.rule is None for ru in sample):
            notes.append(note)
        units = chain(sample, rest)
        mapper_fmt = fmt or "auto"
    mapper = Mapper(spec, mapper_fmt)
    out = _Collector(info, opened.container, fmt, sink)
    parse = shapes.PARSERS.get(fmt) if fmt else None
    consumed = shapes.CONSUMED.get(fmt, frozenset()) if fmt else frozenset()
    tried = ", ".join(shapes.SHAPES)
    source_file = info.source_file

    for ru in units:
        if ru.rule is not None:
            out.drop(ru.locator, ru.raw, ru.rule, ru.error or "unreadable")
            continue
        value = ru.value
        if fmt == "transcript":
            rec: Any = value
        elif type(value) is not dict:
            out.drop(ru.locator, ru.raw, "not_an_object",
                     f"{type_name(value)} is not a record (expected a JSON object)")
            continue
        else:
            rec = mapper.remap(value)
        if parse is None:
            out.drop(ru.locator, ru.raw, "unrecognized_shape",
                     f"no known record shape (tried {tried}); keys seen: {_keys(rec)}")
            continue
        try:
            pieces = parse(rec)
        except UnitError as exc:
            out.drop(ru.locator, ru.raw, exc.rule, _explain(exc, rec, fmt, mapper, spec.format == "auto"))
            continue
        except (TypeError, ValueError, RecursionError) as exc:  # e.g. NaN inside tool-call arguments
            out.drop(ru.locator, ru.raw, "invalid_record",
                     f"cannot be read as {fmt} ({type(exc).__name__}: a NaN or a value JSON cannot hold)")
            continue
        row_oid = hashing.origin_id(source_file, ru.locator, ru.raw) if len(pieces) > 1 or pieces[0][0] else None
        for suffix, piece in pieces:
            locator = ru.locator + suffix if suffix else ru.locator
            if isinstance(piece, UnitError):
                out.drop(locator, ru.raw, piece.rule, _explain(piece, rec, fmt, mapper, spec.format == "auto"))
                continue
            if fmt == "transcript":
                mapper.finish(piece, {}, {}, consumed)
            else:
                mapper.finish(piece, value, rec, consumed)
            out.keep(Unit(locator, ru.raw, parsed=piece, group_hint=row_oid))

    out.flush()
    units_n = out.handed_over + len(out.records) + len(out.quarantine)
    return FileResult(out.records, out.quarantine, units_n, fmt or "undetected", opened.container,
                      opened.empty, [*opened.notes, *notes])


def _explain(exc: UnitError, rec: Any, fmt: str | None, mapper: Mapper, detected: bool) -> str:
    """The error, plus what the user needs to act: where a field came from, what the record looks like."""
    msg = exc.message + mapper.describe_missing(exc.message.split(" ", 1)[0])
    if exc.rule == "invalid_record" and fmt and fmt != "transcript":
        how = "detected for this file" if detected else "set for this source"
        msg += f" (format {fmt}, {how})"
        other = shapes.detect(rec) if isinstance(rec, dict) else None
        if other and other != fmt:
            msg += f"; this record looks like {other}"
    return msg
