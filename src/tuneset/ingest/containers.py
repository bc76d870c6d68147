"""Containers: turn a file's bytes into units as read (locator, raw bytes, parsed value or error).

A container knows nothing about record shapes. It decides how the file is cut into units and
which bytes identify each unit (hashed into ``origin_id``), so its choices are part of every id:
change them only on purpose.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuneset.config import SourceConfig
from tuneset.ingest import delimited, transcript
from tuneset.ingest.messages import type_name
from tuneset.ingest.units import WHOLE_FILE, Opened, RawUnit, canonical_bytes, whole

TEXT_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
                   ".tab": "tsv", ".txt": "txt"}
SUPPORTED = ".jsonl, .ndjson, .json, .csv, .tsv, .txt, .parquet (each optionally .gz)"
_CONTAINER_NAMES = {"jsonl": "jsonl", "json": "json", "csv": "csv", "tsv": "tsv", "txt": "transcript"}
_BOM = codecs.BOM_UTF8
_UTF8 = {"", "utf-8", "utf8", "utf_8", "utf-8-sig", "utf_8_sig"}


def open_units(path: Path, spec: SourceConfig) -> Opened:
    """The units of ``path``, read the way ``spec`` says (encoding, delimiter, format)."""
    notes: list[str] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        return whole("unknown", b"", "unreadable_file", f"cannot read the file ({exc.strerror})", notes)
    name = path.name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    ext = name[name.rfind("."):] if "." in name else ""
    if data[:2] == b"\x1f\x8b" or path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            container = "parquet" if ext == ".parquet" else _CONTAINER_NAMES.get(TEXT_EXTENSIONS.get(ext, ""), "unknown")
            return whole(container, data, "unreadable_file", f"not a readable gzip file ({exc})", notes)
        notes.append("gzip-compressed")
    if ext == ".parquet" or data[:4] == b"PAR1":
        return _parquet(data, notes)
    if ext not in TEXT_EXTENSIONS:
        return whole("unknown", data, "unreadable_file",
                      f"unsupported file type {ext or '(no extension)'!r}; supported: {SUPPORTED}", notes)
    kind = TEXT_EXTENSIONS[ext]
    data, failure = _to_utf8(data, spec, kind, notes)
    if failure is not None:
        return whole(_CONTAINER_NAMES[kind], data, "unreadable_file", failure, notes)
    if data.startswith(_BOM):
        # The BOM marks the encoding, not content: line 1 keeps its id whether or not an editor adds one.
        data = data[len(_BOM):]
    if not data or data.isspace():
        return Opened(_CONTAINER_NAMES[kind], [], empty=True, notes=notes)
    if b"\0" in data[:8192]:
        return whole(_CONTAINER_NAMES[kind], data, "unreadable_file",
                      f"binary content (NUL bytes) in a {ext} file; tried {SUPPORTED}", notes)
    if kind == "jsonl":
        return Opened("jsonl", _jsonl_units(data), notes=notes)
    if kind == "json":
        return _json(data, notes)
    if kind == "txt" and not _txt_is_delimited(data, spec):
        text, failure = delimited.decode(data, bool(spec.encoding), notes)
        if text is None:
            return whole("transcript", data, "unreadable_file", failure or "", notes)
        return Opened("transcript", transcript.units(text), notes=notes)
    return delimited.read(data, spec, "tsv" if kind == "tsv" else "csv", notes)


def _to_utf8(data: bytes, spec: SourceConfig, kind: str, notes: list[str]) -> tuple[bytes, str | None]:
    """Transcode a declared (or UTF-16-BOM-marked) encoding to UTF-8 up front, so every container reads UTF-8."""
    enc = spec.encoding.strip().lower()
    if not enc and data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        enc = "utf-16"
    if enc in _UTF8:
        return data, None
    try:
        text = data.decode(enc)
    except LookupError:
        return data, f"unknown encoding {spec.encoding!r}; set the source's `encoding` to a Python codec name"
    except UnicodeDecodeError as exc:
        return data, f"not valid {enc} at byte {exc.start}"
    notes.append(f"decoded as {enc}")
    return text.encode("utf-8", "surrogatepass"), None


def _txt_is_delimited(data: bytes, spec: SourceConfig) -> bool:
    if spec.delimiter or spec.format not in ("auto", "transcript"):
        return spec.format != "transcript"
    head = data[:65536].decode("utf-8", "replace")
    if transcript.has_speakers(head):
        return False
    return delimited.sniff(head) is not None


# --- JSONL -----------------------------------------------------------------------------------

_loads = json.loads


def _jsonl_units(data: bytes) -> Iterator[RawUnit]:
    # The hot path of the whole stage: one split, one decode and one json.loads per line.
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if line[-1:] == b"\r":
            line = line[:-1]
        if not line or line.isspace():
            continue
        loc = str(lineno)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield RawUnit(loc, line, rule="invalid_utf8",
                          error=f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})")
            continue
        try:
            value = _loads(text)
        except (ValueError, RecursionError) as exc:
            yield RawUnit(loc, line, rule="invalid_json", error=f"invalid JSON ({_json_error(exc)})")
            continue
        if (b"\\ud" in line or b"\\uD" in line) and _has_lone_surrogate(value):
            yield RawUnit(loc, line, rule="invalid_utf8", error="holds an unpaired UTF-16 surrogate escape (\\udXXX)")
            continue
        yield RawUnit(loc, line, value)


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        line = f" line {exc.lineno}" if exc.lineno > 1 else ""
        return f"{exc.msg} at{line} column {exc.colno}"
    return str(exc)


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- JSON --------------------------------------------------------------------------------------

def _json(data: bytes, notes: list[str]) -> Opened:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        return whole("json", data, "invalid_utf8", error, notes)
    try:
        doc = _loads(text)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data" and _first_line_is_object(data):
            notes.append("read as JSONL: the .json file holds one JSON object per line")
            return Opened("jsonl", _jsonl_units(data), notes=notes)
        return whole("json", data, "invalid_json", f"invalid JSON ({_json_error(exc)})", notes)
    if isinstance(doc, dict):
        from tuneset.ingest.shapes import detect  # a shape check decides whether to unwrap

        key = None if detect(doc) else _single_list_key(doc)
        if key is None:
            return Opened("json", [_element(WHOLE_FILE, doc)], notes=notes)
        notes.append(f"unwrapped the list under top-level key {key!r}")
        doc = doc[key]
    if not isinstance(doc, list):
        return whole("json", data, "not_an_object", f"the file holds {type_name(doc)}, not an array of records", notes)
    if not doc:
        return Opened("json", [], empty=True, notes=notes)
    return Opened("json", (_element(f"[{i}]", v) for i, v in enumerate(doc)), notes=notes)


def _element(loc: str, value: Any) -> RawUnit:
    raw = canonical_bytes(value)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return RawUnit(loc, raw, rule="invalid_utf8", error="holds an unpaired UTF-16 surrogate escape (\\udXXX)")
    return RawUnit(loc, raw, value)


def _first_line_is_object(data: bytes) -> bool:
    for line in data.split(b"\n", 50)[:50]:
        if line.strip():
            try:
                return isinstance(_loads(line), dict)
            except (ValueError, RecursionError):
                return False
    return False


def _single_list_key(doc: dict[str, Any]) -> str | None:
    lists = [k for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v[:50])]
    return lists[0] if len(lists) == 1 else None


# --- Parquet -----------------------------------------------------------------------------------

def _parquet(data: bytes, notes: list[str]) -> Opened:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return whole("parquet", data, "unreadable_file", f"not a readable Parquet file ({type(exc).__name__})", notes)
    if table.num_rows == 0:
        return Opened("parquet", [], empty=True, notes=notes)
    return Opened("parquet", _parquet_units(table), notes=notes)


def _parquet_units(table: Any) -> Iterator[RawUnit]:
    i = 0
    for batch in table.to_batches(max_chunksize=10_000):
        for row in batch.to_pylist():
            value = plain(row)
            yield RawUnit(f"[{i}]", canonical_bytes(value), value)
            i += 1


def plain(value: Any) -> Any:
    """Arrow/NumPy/datetime values as JSON-ready Python: the only types canonical JSON can hold."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # Arrow maps come back as lists of (key, value) pairs.
        if value and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in value):
            return {k: plain(v) for k, v in value}
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return plain(value.tolist())
    return str(value)
