"""The leak scan: after export, check the promises scrub made, on the exported files themselves.

Each line of ``data/final/<kind>/<split>.jsonl`` is mapped to its example through the manifest
(:func:`read_exports`), and every text of the line (:func:`line_texts`) is checked three ways; each
hit is a :class:`Finding` that fails the run:

- ``original_value``: a run of word tokens (case kept, as scrub matched it: "Max" the name, not "max
  speed") equals a value scrub replaced **in this example's group** (the vault's "tokens" rows of
  the line's ``group_id``, compared by keyed hash: the scan never sees a plain original). The same
  first name in an unrelated example is not a leak;
- ``original_digits``: a run of digits (spaces, dashes, dots and brackets between them) has the
  digits of a phone, card or SSN scrub replaced in this group, whatever its formatting;
- ``unscrubbed_value``: scrub's own structured and secret detectors (no NER: names are the first
  check's job) find a value, anywhere, that is neither a surrogate scrub inserted nor allowed, by
  ``pii.allow_list`` (plain, known false positives) or by the allow file
  (:mod:`tuneset.scrub.allow`, keyed hashes written by ``tuneset pii review``).

A file under the export directory that the manifest does not map (a future export target) gets the
last check only, and the report says so. A mapped file whose line count disagrees with the manifest
is an error (:class:`LeakScanError`), never a silent skip.

A finding's :meth:`~Finding.as_dict` (what the report and the stage print) names the file, line,
check, type, example and keyed hash, never the value or its surroundings; the span of the value is
kept in memory only, for ``tuneset pii review`` to show on the user's terminal. Placeholders
(``<EMAIL_1>``) are not values, so a redacted export passes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tuneset import schema as col
from tuneset.config import PiiConfig
from tuneset.scrub import types as T
from tuneset.scrub.allow import AllowList
from tuneset.scrub.detectors import Detector
from tuneset.scrub.salt import Keyed

from tuneset.scrub.surrogates import mention_form

ORIGINAL_VALUE = "original_value"
ORIGINAL_DIGITS = "original_digits"
UNSCRUBBED_VALUE = "unscrubbed_value"
CHECKS = (ORIGINAL_VALUE, ORIGINAL_DIGITS, UNSCRUBBED_VALUE)
VAULT_COLUMNS = ("kind", "form", "type", "n_tokens", "hash", "group_id")
MANIFEST_NEEDS = (col.EXAMPLE_ID, col.ORIGIN_ID, col.KIND, col.SPLIT, col.GROUP_ID, col.SOURCE)
#: Keys whose values are the export format's structure, not content (outside tool-call arguments).
STRUCTURAL_KEYS = frozenset({"role", "type", "tool_call_id", "id"})
RESCAN_TYPES = frozenset(T.STRUCTURED_TYPES) | frozenset(T.SECRET_TYPES)
MAX_LISTED = 50
MIN_DIGITS = 7

_TOKEN = re.compile(r"\w+")
_DIGIT_RUN = re.compile(r"\+?\d[\d \-.()]{5,}\d")
_DIGIT_GROUP = re.compile(r"\d+")

EntitiesFor = Callable[[str], "set[str] | None"]


class LeakScanError(RuntimeError):
    """The scan cannot run as asked (a file the manifest disagrees with, a vault of another shape): names the file."""


# --------------------------------------------------------------------------------------------
# What is scanned


@dataclass(frozen=True)
class ExampleRef:
    """The example an exported line holds (from the manifest)."""

    example_id: str
    origin_id: str
    group_id: str
    source: str


@dataclass(frozen=True)
class ExportLine:
    """One line of an exported file: ``file`` as shown to the user, ``name`` its path inside the export
    directory (what finding ids hash, so they do not depend on how the directory was spelled), the
    1-based line number, the raw text, and its example (None: not mapped, global checks only)."""

    file: str
    number: int
    text: str
    example: ExampleRef | None = None
    name: str = ""


def line_texts(obj: Any) -> list[str]:
    """Every text of one exported JSON line, the texts scrub scanned: every non-empty string value
    at any depth (keys are field names, not content), except the values of the structural keys
    ``role``, ``type``, ``tool_call_id`` and ``id``. A string under ``arguments`` that parses as JSON
    (a tool call's arguments) is walked inside, every string value of it, as scrub does: inside
    arguments an ``id`` is the caller's data (an order id, an e-mail), not structure."""
    out: list[str] = []

    def walk(v: Any, structural: bool) -> None:
        if isinstance(v, str):
            if v:
                out.append(v)
        elif isinstance(v, list):
            for x in v:
                walk(x, structural)
        elif isinstance(v, dict):
            for k, x in v.items():
                if structural and k in STRUCTURAL_KEYS:
                    continue
                if structural and k == "arguments" and isinstance(x, str):
                    try:
                        walk(json.loads(x), False)
                        continue
                    except ValueError:
                        pass
                walk(x, structural)

    walk(obj, True)
    return out


def read_exports(final: str | Path, manifest: pd.DataFrame) -> tuple[Iterator[ExportLine], dict[str, Any]]:
    """``(lines, files)``: every line of every ``*.jsonl`` under ``final``, each mapped to its example.

    Export writes ``<kind>/<split>.jsonl`` in the order of the manifest rows of that kind and split
    (example_id, then origin_id), so line ``i`` is the ``i``-th of those rows. A mapped file whose line
    count differs from its rows raises :class:`LeakScanError` naming the file; a file the manifest
    does not describe (another export target) is scanned without an example (global checks only)
    and listed in ``files["unmapped"]``. ``files["lines"]`` counts the lines per file.
    """
    final = Path(final)
    missing = [c for c in MANIFEST_NEEDS if c not in manifest.columns]
    if missing:
        raise LeakScanError(f"{final}/manifest.parquet has no column(s) {', '.join(missing)}: re-run export")
    rows = manifest.sort_values([col.EXAMPLE_ID, col.ORIGIN_ID], kind="stable")
    mapped = {f"{k}/{s}.jsonl": rows[(rows[col.KIND] == k) & (rows[col.SPLIT] == s)]
              for k in col.KINDS for s in col.SPLITS}
    plan: list[tuple[Path, str, list[ExampleRef] | None]] = []
    counts: dict[str, int] = {}
    unmapped: list[str] = []
    for path in sorted(final.rglob("*.jsonl")):
        name = path.relative_to(final).as_posix()
        n = _count_lines(path)
        counts[path.as_posix()] = n
        if name not in mapped:
            unmapped.append(path.as_posix())
            plan.append((path, name, None))
            continue
        refs = [ExampleRef(r[col.EXAMPLE_ID], r[col.ORIGIN_ID], r[col.GROUP_ID] or "", r[col.SOURCE] or "")
                for r in mapped[name][list(MANIFEST_NEEDS)].to_dict("records")]
        if n != len(refs):
            raise LeakScanError(f"{path.as_posix()} has {n} lines but {final}/manifest.parquet lists {len(refs)} "
                                f"{name.removesuffix('.jsonl').replace('/', ' ')} examples: the export is incomplete "
                                f"or was edited; re-run export (dvc repro -s export)")
        plan.append((path, name, refs))

    def lines() -> Iterator[ExportLine]:
        for path, name, refs in plan:
            with open(path, encoding="utf-8") as f:
                for i, text in enumerate(f, 1):
                    yield ExportLine(path.as_posix(), i, text, refs[i - 1] if refs is not None else None, name)

    return lines(), {"lines": counts, "unmapped": unmapped}


def _count_lines(path: Path) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


# --------------------------------------------------------------------------------------------
# The vault, by group


class Vault:
    """scrub's vault (keyed hashes), indexed for the checks: originals by ``group_id``, surrogates global."""

    def __init__(self, vault: pd.DataFrame) -> None:
        missing = [c for c in VAULT_COLUMNS if c not in vault.columns]
        if missing:
            raise LeakScanError(f"the PII vault has no column(s) {', '.join(missing)}: it was written by an older "
                                f"scrub; re-run scrub (dvc repro)")
        orig = vault[vault["kind"] == "original"]
        by_form = {form: orig[orig["form"] == form] for form in ("tokens", "first", "digits")}
        # every "tokens" row counts the same (scrub may add the upper-case variant of a value)
        self.tokens = {(g, h): t for g, h, t in by_form["tokens"][["group_id", "hash", "type"]].itertuples(index=False)}
        self.first = set(by_form["first"][["group_id", "hash"]].itertuples(index=False, name=None))
        self.digits = {(g, h): t for g, h, t in by_form["digits"][["group_id", "hash", "type"]].itertuples(index=False)}
        self.lengths: dict[str, list[int]] = defaultdict(list)
        for g, n in set(by_form["tokens"][["group_id", "n_tokens"]].itertuples(index=False, name=None)):
            self.lengths[g].append(int(n))
        for g in self.lengths:
            self.lengths[g].sort(reverse=True)  # longest first: a full name is one finding, not three
        self.digit_groups = {g for g, _ in self.digits}
        self.surrogates = set(vault.loc[vault["kind"] == "surrogate", "hash"])

    def stats(self) -> dict[str, int]:
        return {"original_token_values": len(self.tokens), "original_digit_values": len(self.digits),
                "groups": len(set(self.lengths) | self.digit_groups), "surrogates": len(self.surrogates)}


# --------------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True)
class Finding:
    """One leak: where (file, line, example), what (check, entity type) and which value (keyed hash).

    ``text``/``start``/``end`` locate the value inside one text of the line, for ``tuneset pii
    review`` only: they are never in :meth:`as_dict` and never in the repr (nothing logs them)."""

    file: str
    line: int
    check: str
    type: str
    hash: str
    id: str
    example_id: str = ""
    origin_id: str = ""
    group_id: str = ""
    source: str = ""
    text: str = field(default="", repr=False, compare=False)
    start: int = field(default=0, repr=False, compare=False)
    end: int = field(default=0, repr=False, compare=False)

    @property
    def value(self) -> str:
        """The plain value (in memory only, for the review on the user's terminal)."""
        return self.text[self.start:self.end]

    def as_dict(self) -> dict[str, Any]:
        """What may be written down: no value, no surrounding text."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("text", "start", "end")}


def finding_id(name: str, line: int, check: str, type_: str, value_hash: str) -> str:
    """10 hex digits, stable for the same value at the same place (what ``tuneset pii review --allow`` takes)."""
    return hashlib.sha256("\0".join((name, str(line), check, type_, value_hash)).encode("utf-8")).hexdigest()[:10]


@dataclass
class LeakScanResult:
    findings: list[Finding] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.findings


# --------------------------------------------------------------------------------------------
# The checks of one text


def _original_values(text: str, group: str, keyed: Keyed, v: Vault) -> Iterator[tuple[str, str, int, int]]:
    """``(type, hash, start, end)`` of each token n-gram of ``text`` that is an original of ``group``;
    overlapping hits keep the longest (a full name is one finding)."""
    lengths = v.lengths.get(group)
    if not lengths:
        return
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    taken_until = 0  # character offset up to which a longer hit already covers the text
    for i, (tok, start, _) in enumerate(tokens):
        if start < taken_until or (group, keyed.hash(tok)) not in v.first:
            continue
        for n in lengths:
            if i + n > len(tokens):
                continue
            end = tokens[i + n - 1][2]
            h = keyed.hash(mention_form(text[start:end]))  # the form scrub hashed each replaced mention in
            if (group, h) in v.tokens:
                yield v.tokens[(group, h)], h, start, end
                taken_until = end
                break


def _digit_runs(text: str) -> Iterator[tuple[str, int, int]]:
    """``(digits, start, end)`` of every digit run and every contiguous part of one with enough digits,
    so "order 12, call 415 555 0173" still yields the phone's digits."""
    for m in _DIGIT_RUN.finditer(text):
        groups = [(g.group(), m.start() + g.start(), m.start() + g.end()) for g in _DIGIT_GROUP.finditer(m.group())]
        for a in range(len(groups)):
            digits = ""
            for b in range(a, len(groups)):
                digits += groups[b][0]
                if len(digits) >= MIN_DIGITS:
                    yield digits, groups[a][1], groups[b][2]


def _original_digits(text: str, group: str, keyed: Keyed, v: Vault) -> Iterator[tuple[str, str, int, int]]:
    if group not in v.digit_groups:
        return
    taken_until = 0
    for digits, start, end in _digit_runs(text):
        if start < taken_until:
            continue
        h = keyed.hash(digits)
        if (group, h) in v.digits:
            yield v.digits[(group, h)], h, start, end
            taken_until = end


# --------------------------------------------------------------------------------------------
# The scan


def redetector(cfg: PiiConfig) -> Detector:
    """scrub's detectors restricted to structured values and secrets, without NER."""
    wanted = set(cfg.entities or T.ENTITY_TYPES) & RESCAN_TYPES
    return Detector(dataclasses.replace(cfg, entities=sorted(wanted), ner=False), ner=False)


class _Scan:
    """The state of one scan: the vault, the key, the detector, the allow list and what was found."""

    def __init__(self, vault: pd.DataFrame, salt: str, detector: Detector, allow: AllowList | None,
                 entities_for: EntitiesFor | None) -> None:
        self.keyed = Keyed(salt)
        self.vault = Vault(vault)
        self.detector = detector
        self.allow = allow or AllowList()
        self.entities_for = entities_for
        self.findings: dict[str, Finding] = {}
        self.allowed: Counter[str] = Counter()
        self.strings = 0
        self.unparsable = 0

    def _add(self, line: ExportLine, text: str, check: str, type_: str, h: str, start: int, end: int) -> None:
        if self.allow.allows(check, h):
            self.allowed[check] += 1
            return
        fid = finding_id(line.name or line.file, line.number, check, type_, h)
        if fid in self.findings:  # the same value twice on one line: one finding
            return
        ex = line.example
        self.findings[fid] = Finding(line.file, line.number, check, type_, h, fid,
                                     ex.example_id if ex else "", ex.origin_id if ex else "",
                                     ex.group_id if ex else "", ex.source if ex else "", text, start, end)

    def _rescan_types(self, line: ExportLine) -> frozenset[str] | None:
        if self.entities_for is None or line.example is None:
            return None
        wanted = self.entities_for(line.example.source)
        return None if wanted is None else frozenset(wanted)

    def line(self, line: ExportLine) -> None:
        if not line.text.strip():
            return
        try:
            texts = line_texts(json.loads(line.text))
        except ValueError:
            self.unparsable += 1
            texts = [line.text.rstrip("\n")]
        self.strings += len(texts)
        if line.example is not None:
            group = line.example.group_id
            for text in texts:
                for type_, h, a, b in _original_values(text, group, self.keyed, self.vault):
                    self._add(line, text, ORIGINAL_VALUE, type_, h, a, b)
                for type_, h, a, b in _original_digits(text, group, self.keyed, self.vault):
                    self._add(line, text, ORIGINAL_DIGITS, type_, h, a, b)
        only = self._rescan_types(line)
        for text, spans in zip(texts, self.detector.detect(texts)):
            for s in spans:
                if only is not None and s.type not in only:
                    continue
                h = self.keyed.hash(text[s.start:s.end])
                if h not in self.vault.surrogates:
                    self._add(line, text, UNSCRUBBED_VALUE, s.type, h, s.start, s.end)


def leak_scan(lines: Iterable[ExportLine], vault: pd.DataFrame, salt: str, cfg: PiiConfig,
              detector: Detector | None = None, *, allow: AllowList | None = None,
              entities_for: EntitiesFor | None = None) -> LeakScanResult:
    """Scan exported lines against the vault; see the module docstring.

    ``allow``: the allow file's entries (:func:`tuneset.scrub.allow.load`). ``entities_for(source)``:
    the entity types a source's PII profile scrubs (None: every type), which restricts the
    ``unscrubbed_value`` check of that source's lines; without it every structured and secret type
    is checked everywhere.
    """
    scan = _Scan(vault, salt, detector or redetector(cfg), allow, entities_for)
    files: Counter[str] = Counter()
    for line in lines:
        files[line.file] += 1
        scan.line(line)
    findings = sorted(scan.findings.values(), key=lambda f: (f.file, f.line, f.check, f.type, f.hash))
    report = {
        "passed": not findings,
        "files": dict(sorted(files.items())),
        "strings_scanned": scan.strings,
        "unparsable_lines": scan.unparsable,
        "findings": len(findings),
        "by_check": dict(sorted(Counter(f.check for f in findings).items())),
        "by_type": dict(sorted(Counter(f.type for f in findings).items())),
        "by_source": dict(sorted(Counter(f.source for f in findings).items())),
        "listed": [f.as_dict() for f in findings[:MAX_LISTED]],
        "allowed": {"entries": len(scan.allow), "hits_by_check": dict(sorted(scan.allowed.items()))},
        "vault": scan.vault.stats(),
        "detection": scan.detector.describe(),
        "per_source_profiles": entities_for is not None,
    }
    return LeakScanResult(findings, report)


def scan_final(final: str | Path, vault: pd.DataFrame, salt: str, cfg: PiiConfig, *,
               allow: AllowList | None = None, entities_for: EntitiesFor | None = None,
               detector: Detector | None = None) -> LeakScanResult:
    """:func:`leak_scan` over the export directory ``final``, its lines mapped by ``final/manifest.parquet``."""
    from tuneset import frames

    final = Path(final)
    manifest_path = final / "manifest.parquet"
    if not manifest_path.exists():
        raise LeakScanError(f"{manifest_path} not found: run export first (dvc repro -s export)")
    lines, files = read_exports(final, frames.read_parquet(manifest_path))
    result = leak_scan(lines, vault, salt, cfg, detector, allow=allow, entities_for=entities_for)
    result.report["unmapped_files"] = files["unmapped"]
    if files["unmapped"]:
        result.report["unmapped_note"] = ("files the manifest does not map to examples: scanned for structured "
                                          "identifiers and secrets only (no per-group original-value check)")
    return result

