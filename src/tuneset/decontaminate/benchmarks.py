"""Benchmark and eval sets: the files under ``data/benchmarks/`` (and any declared glob), read into texts.

Files are found with ingest's :func:`~tuneset.ingest.discover` (so hidden files and README.md are
skipped the same way) and named after their first folder under the benchmarks root (a file at the
root is named after its stem); ``decontaminate.benchmarks.<name>`` settings apply by that name, and
a declared ``glob`` claims files anywhere in the repository.

An *item* is one unit as ingest cuts it: a JSONL line, a JSON array element, a CSV/TSV row (a BOM,
``;`` delimiters and non-UTF-8 bytes are handled by ingest's containers), a Parquet row. Its
*texts* are what gets compared:

- a file in a chat shape ingest recognizes (OpenAI messages, ShareGPT, Alpaca, preference pairs,
  ...) gives every message of every example read from the item (prompt and answer alike);
- any other record gives its text fields, recursively (a list counts each element: MT-Bench
  ``turns[0]``, ``turns[1]``). A field is text when its median value has at least
  ``AUTO_MIN_WORDS`` words and it is not mostly URLs; id fields (``id``, ``*_id``, ``uid``,
  ``uuid``) never are. That keeps GSM8K ``question``/``answer``, MMLU ``question``/``choices``,
  TruthfulQA ``Question``/``Best Answer``/..., HumanEval ``prompt``/``canonical_solution``/``test``,
  and leaves out labels such as ``Category: Misconceptions``, ``answer: 2`` or ``source: https://...``;
- ``fields`` selects the fields explicitly (GSM8K ``[question, answer]``).

Nothing is fetched from a hub: a benchmark is a file the user put there.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneset import schema as col
from tuneset.config import BenchmarkConfig, DecontaminateConfig, SourceConfig
from tuneset.ingest import discover, ingest_file, source_info
from tuneset.ingest import shapes
from tuneset.ingest.containers import open_units
from tuneset.ingest.reader import DETECT_SAMPLE
from tuneset.ingest.discover import IMPLICIT_ROOT_SOURCE

_ID_KEYS = frozenset({"id", "uid", "uuid", "guid", "qid", "_id"})
AUTO_MIN_WORDS = 3  # a field whose median value is shorter is a label or an answer key, not text
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class BenchText:
    """One text of one benchmark item."""

    benchmark: str  # benchmark name
    file: str  # repo-relative path
    item: str  # the item's locator in the file (JSONL line, CSV row, [array index])
    item_id: str | None  # the item's own id field, when it has one
    field: str  # which field of the item: question, turns[1], messages[2]...
    text: str
    item_index: int  # global item number, in file and item order


@dataclass
class BenchmarkSet:
    texts: list[BenchText] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # per file: name, items, texts, sha256, notes
    notes: list[str] = field(default_factory=list)
    settings: dict[str, BenchmarkConfig] = field(default_factory=dict)  # effective settings per benchmark name

    @property
    def items(self) -> int:
        return (self.texts[-1].item_index + 1) if self.texts else 0

    def fingerprint(self) -> str:
        """sha256 over the sorted (file, sha256 of its bytes) pairs: changes when any benchmark file does."""
        body = "".join(f"{f['file']}\t{f['sha256']}\n" for f in sorted(self.files, key=lambda f: f["file"]))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _is_id(key: str) -> bool:
    k = key.lower()
    return k in _ID_KEYS or k.endswith("_id")


def _item_id(value: Mapping[str, Any]) -> str | None:
    for key in value:
        if _is_id(str(key)) and isinstance(value[key], (str, int)) and not isinstance(value[key], bool):
            return str(value[key])
    return None


def field_texts(value: Any, path: str = "", skip_ids: bool = True) -> list[tuple[str, str]]:
    """``(field path, text)`` for every non-empty string in ``value``, in document order."""
    if isinstance(value, str):
        return [(path or "text", value)] if value.strip() else []
    out: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key, v in value.items():
            if skip_ids and _is_id(str(key)):
                continue
            out.extend(field_texts(v, f"{path}.{key}" if path else str(key), skip_ids))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(field_texts(v, f"{path}[{i}]", skip_ids))
    return out


def _selected_texts(value: Mapping[str, Any], fields: list[str], missing: dict[str, int]) -> list[tuple[str, str]]:
    out = []
    for name in fields:
        if name not in value:
            missing[name] = missing.get(name, 0) + 1
            continue
        out.extend(field_texts(value[name], name, skip_ids=False))
    return out


def _base_field(path: str) -> str:
    return path.split("[", 1)[0]


def auto_fields(texts: list[tuple[str, str | None, str, str]]) -> tuple[set[str], list[str]]:
    """The base field names that hold text (see the module doc), and the ones left out."""
    values: dict[str, list[str]] = {}
    for _, _, f, t in texts:
        values.setdefault(_base_field(f), []).append(t)
    keep, skipped = set(), []
    for name, vs in values.items():
        median = statistics.median(len(_WORD.findall(v)) for v in vs)
        urls = sum(v.lstrip().lower().startswith(("http://", "https://", "www.")) for v in vs) / len(vs)
        if median >= AUTO_MIN_WORDS and urls < 0.5:
            keep.add(name)
        else:
            skipped.append(name)
    return keep, skipped


def _spec(b: BenchmarkConfig | None, glob: str = "") -> SourceConfig:
    if b is None:
        return SourceConfig(glob=glob)
    return SourceConfig(glob=glob or b.glob, format=b.format, delimiter=b.delimiter, encoding=b.encoding)


def _name_of(path: Path, name: str, bench_root: Path) -> str:
    if name != IMPLICIT_ROOT_SOURCE:
        return name
    try:
        parts = path.relative_to(bench_root).parts
    except ValueError:
        return name
    if len(parts) != 1:
        return name
    stem = parts[0][:-3] if parts[0].lower().endswith(".gz") else parts[0]
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def _chat_texts(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """``(item, field, text)`` of every message of records read by ingest."""
    out = []
    for rec in records:
        item = str(rec[col.LOCATOR]).split("/", 1)[0]
        for key in (col.MESSAGES, col.CHOSEN, col.REJECTED):
            for i, m in enumerate(rec.get(key) or ()):
                content = m.get("content")
                if isinstance(content, str) and content.strip():
                    out.append((item, f"{key}[{i}]", content))
    return out


def _chat_shaped(path: Path, spec: SourceConfig) -> bool:
    """Whether ingest reads ``path`` as examples: a chat format is set, or its first records have one."""
    if spec.format != "auto":
        return True
    opened = open_units(path, spec)
    if opened.container == "transcript":
        return True
    seen = 0
    for ru in opened.units:
        if ru.rule is None and isinstance(ru.value, Mapping):
            # a question/answer item (GSM8K, TruthfulQA) keeps its own fields and id: only true chat shapes
            # are read as conversations
            if shapes.detect(ru.value) and not shapes.is_question_answer(ru.value):
                return True
            seen += 1
            if seen >= DETECT_SAMPLE:
                break
    return False


def load_benchmarks(bench_root: str | Path, repo_root: str | Path, cfg: DecontaminateConfig) -> BenchmarkSet:
    """Every enabled benchmark file's items and texts, in sorted path order; never raises on bad data."""
    bench_root, repo_root = Path(bench_root), Path(repo_root)
    declared = {name: _spec(b) for name, b in sorted(cfg.benchmarks.items()) if b.glob and b.enabled}
    out = BenchmarkSet()
    if not bench_root.is_dir() and not declared:
        out.notes.append(f"no benchmark folder at {bench_root.as_posix()}: nothing to decontaminate against")
        return out
    files, warnings = discover(bench_root, repo_root, declared)
    out.notes.extend(w for w in warnings if not w.startswith("raw data folder"))
    item_index = 0
    for path, found_name, _ in files:
        name = _name_of(path, found_name, bench_root)
        b = cfg.benchmarks.get(name)
        if b is not None and not b.enabled:
            continue
        spec = declared.get(name) or _spec(b)
        settings = b or BenchmarkConfig()
        out.settings[name] = BenchmarkConfig(
            glob=settings.glob, format=settings.format, fields=list(settings.fields), delimiter=settings.delimiter,
            encoding=settings.encoding, ngram=settings.ngram or cfg.ngram,
            min_matches=settings.min_matches or cfg.min_matches, enabled=True)
        info = source_info(path, repo_root, name, spec)
        entry: dict[str, Any] = {"file": info.source_file, "benchmark": name, "items": 0, "texts": 0,
                                 "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "notes": []}
        texts: list[tuple[str, str | None, str, str]] = []  # item, item_id, field, text
        chat = None
        if not settings.fields and _chat_shaped(path, spec):
            result = ingest_file(path, info, spec)
            if result.records:
                chat = result
                entry["read_as"] = result.format
                texts = [(item, None, f, t) for item, f, t in _chat_texts(result.records)]
                if result.quarantine:
                    entry["notes"].append(f"{len(result.quarantine)} unit(s) could not be read as {result.format}")
        if chat is None:
            opened = open_units(path, spec)
            entry["read_as"] = f"{opened.container} fields"
            missing: dict[str, int] = {}
            unreadable = 0
            for ru in opened.units:
                if ru.rule is not None:
                    unreadable += 1
                    continue
                value = ru.value
                if isinstance(value, Mapping):
                    pairs = _selected_texts(value, settings.fields, missing) if settings.fields else field_texts(value)
                    iid = _item_id(value)
                else:
                    pairs, iid = field_texts(value), None
                texts.extend((ru.locator, iid, f, t) for f, t in pairs)
            if unreadable:
                entry["notes"].append(f"{unreadable} unit(s) unreadable (see `tuneset` ingest rules)")
            if not settings.fields:
                keep, skipped = auto_fields(texts)
                texts = [x for x in texts if _base_field(x[2]) in keep]
                entry["fields"] = sorted(keep)
                entry["skipped_fields"] = sorted(skipped)
            for f, n in sorted(missing.items()):
                entry["notes"].append(f"field {f!r} missing in {n} item(s)")
        seen: dict[str, int] = {}
        for item, iid, f, t in texts:
            if item not in seen:
                seen[item] = item_index
                item_index += 1
            out.texts.append(BenchText(name, info.source_file, item, iid, f, t, seen[item]))
        entry["items"] = len(seen)
        entry["texts"] = len(texts)
        if not texts:
            entry["notes"].append("no text found: is this a benchmark file?")
        out.files.append(entry)
        out.notes.extend(f"{info.source_file}: {n}" for n in entry["notes"])
    return out
