"""CSV/TSV: decoding with a fallback, delimiter sniffing, one unit per data row.

A row's identity is the canonical JSON of ``{header: value}``, so re-saving a CSV with other
quoting or line endings keeps every ``origin_id``.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from tuneset.config import SourceConfig
from tuneset.ingest.units import Opened, RawUnit, canonical_bytes, whole

CANDIDATES = (",", ";", "\t", "|")
_SAMPLE_CHARS = 65536
_SAMPLE_ROWS = 50

# Long free-text cells (a whole document in one field) are normal in fine-tuning exports.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def decode(data: bytes, strict: bool, notes: list[str]) -> tuple[str | None, str | None]:
    """(text, None) or (None, why not). UTF-8 first; unless ``strict``, charset-normalizer's best guess."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        where = exc.start
        if strict:
            return None, f"not valid UTF-8 at byte {where}"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None, f"not valid UTF-8 at byte {where}, and no other encoding fits"
    notes.append(f"decoded as {best.encoding}: not valid UTF-8 at byte {where}")
    return str(best).lstrip("\ufeff"), None


def _parse_delimiter(value: str) -> str:
    if value in ("\\t", "tab", "TAB"):
        return "\t"
    return value


def sniff(text: str) -> str | None:
    """The candidate delimiter whose header has most columns and whose rows agree with it.

    csv.Sniffer votes on character frequency and picks ``,`` for semicolon files whose cells hold
    commas (9 of the 57 mmlu-redux files); checking row widths against the header does not.
    """
    truncated = len(text) > _SAMPLE_CHARS
    sample = text[:_SAMPLE_CHARS]
    best: tuple[float, int, str] | None = None
    for delim in CANDIDATES:
        if delim not in sample.split("\n", 1)[0]:
            continue
        rows = []
        try:
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delim):
                if row:
                    rows.append(len(row))
                if len(rows) > _SAMPLE_ROWS:
                    break
        except csv.Error:
            continue
        if truncated and len(rows) > 2:
            rows.pop()  # the sample may cut the last row in half
        if len(rows) < 2 or rows[0] < 2:
            continue
        agree = sum(1 for n in rows[1:] if n == rows[0]) / (len(rows) - 1)
        score = (agree, rows[0], delim)
        if agree >= 0.9 and (best is None or score[:2] > best[:2]):
            best = score
    return best[2] if best else None


def read(data: bytes, spec: SourceConfig, kind: str, notes: list[str]) -> Opened:
    text, failure = decode(data, bool(spec.encoding), notes)
    if text is None:
        return whole(kind, data, "unreadable_file", failure or "", notes)
    if spec.delimiter:
        delim = _parse_delimiter(spec.delimiter)
    elif kind == "tsv":
        delim = "\t"
    else:
        delim = sniff(text) or ","
        notes.append(f"delimiter {delim!r} (sniffed)")
    container = "tsv" if delim == "\t" else "csv"
    if len(delim) != 1:
        return whole(container, data, "unreadable_file", f"delimiter {delim!r} is not one character", notes)
    return Opened(container, _rows(text, delim, notes), notes=notes)


def _header(names: list[str]) -> list[str]:
    # Blank or repeated header cells would collide as dict keys and lose a column.
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, 1):
        key = name if name and name not in seen else f"column_{i}"
        while key in seen:
            key += "_"
        seen.add(key)
        out.append(key)
    return out


def _rows(text: str, delim: str, notes: list[str]) -> Iterator[RawUnit]:
    buf = io.StringIO(text, newline="")
    reader = csv.reader(buf, delimiter=delim)
    header: list[str] | None = None
    n = blank = 0
    try:
        for row in reader:
            if not row or not any(row):
                blank += bool(header is not None and row)
                continue
            if header is None:
                header = _header(row)
                width = len(header)
                continue
            n += 1
            # Strict even for extra empty trailing fields: an unquoted comma that shifts every
            # cell right can leave exactly such a row, and trimming it would misfile the cells.
            if len(row) != width:
                yield RawUnit(str(n), canonical_bytes(row), rule="csv_row_width",
                              error=f"{len(row)} fields where the header has {width}")
                continue
            value = dict(zip(header, row))
            yield RawUnit(str(n), canonical_bytes(value), value)
    except csv.Error as exc:
        rest = text[buf.tell():] if not buf.closed else ""
        yield RawUnit(str(n + 1), rest.encode("utf-8", "surrogatepass"), rule="csv_row_width",
                      error=f"CSV cannot be parsed from here to the end of the file ({exc})")
    if blank:
        notes.append(f"skipped {blank} row(s) with every field empty")
    if header is not None and n == 0:
        notes.append("header only: no data rows")
