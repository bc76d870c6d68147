"""The leak scan: after export, prove that no PII or secret scrub should have removed is in the final files.

Every string value of every exported JSON line (message contents, tool-call arguments, tool schemas)
is checked three ways, each a *finding* that fails the run:

- ``original_value``: the lower-cased word tokens of the text contain an original value scrub
  replaced (compared by keyed hash against the vault: the scan never sees a plain original);
- ``original_digits``: a run of digits (spaces, dashes, dots and brackets allowed between them)
  equals the digits of an original phone, card or SSN, whatever its formatting;
- ``unscrubbed_value``: the structured and secret detectors of scrub (no NER) find a value that is
  neither a surrogate scrub inserted (keyed hash in the vault) nor allow-listed (``pii.allow_list``,
  the way to accept a known false positive).

A finding names the file, the line, the check, the type and the value's keyed hash, never the
value. Placeholders (``<EMAIL_1>``) are not values, so a redacted export passes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tuneset.config import PiiConfig
from tuneset.scrub import types as T
from tuneset.scrub.detectors import Detector
from tuneset.scrub.salt import Keyed

_TOKENS = re.compile(r"\w+")
_DIGIT_RUN = re.compile(r"\+?\d[\d \-.()]{5,}\d")
MAX_LISTED = 50


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    check: str
    type: str
    value_hash: str  # first 16 hex digits of the keyed hash

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class LeakScanResult:
    findings: list[Finding] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.findings


def strings_of(obj: Any) -> Iterator[str]:
    """Every string value in a JSON value (keys are field names, not content)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list):
        for v in obj:
            yield from strings_of(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings_of(v)


def redetector(cfg: PiiConfig) -> Detector:
    """scrub's detectors restricted to structured values and secrets, without NER."""
    wanted = set(cfg.entities or T.ENTITY_TYPES) & (set(T.STRUCTURED_TYPES) | set(T.SECRET_TYPES))
    return Detector(dataclasses.replace(cfg, entities=sorted(wanted), ner=False), ner=False)


class _Vault:
    def __init__(self, vault: pd.DataFrame) -> None:
        orig = vault[vault["kind"] == "original"]
        tokens = orig[orig["form"] == "tokens"]
        self.tokens = dict(zip(tokens["hash"], tokens["type"]))
        self.lengths = sorted({int(n) for n in tokens["n_tokens"]})
        self.first = set(orig.loc[orig["form"] == "first", "hash"])
        digits = orig[orig["form"] == "digits"]
        self.digits = dict(zip(digits["hash"], digits["type"]))
        self.surrogates = set(vault.loc[vault["kind"] == "surrogate", "hash"])


def leak_scan(lines: Iterable[tuple[str, int, str]], vault: pd.DataFrame, salt: str, cfg: PiiConfig,
              detector: Detector | None = None) -> LeakScanResult:
    """Scan ``(file name, line number, JSON line)`` triples; see the module docstring."""
    keyed = Keyed(salt)
    v = _Vault(vault)
    detector = detector or redetector(cfg)
    findings: list[Finding] = []
    files: Counter[str] = Counter()
    n_strings = 0
    unparsable = 0
    for name, lineno, text in lines:
        if not text.strip():
            continue
        files[name] += 1
        try:
            obj = json.loads(text)
        except ValueError:
            unparsable += 1
            obj = text
        strings = [s for s in strings_of(obj) if s]
        n_strings += len(strings)

        def add(check: str, type_: str, h: str) -> None:
            findings.append(Finding(name, lineno, check, type_, h[:16]))

        for s in strings:
            tokens = _TOKENS.findall(s.casefold())
            for i, tok in enumerate(tokens):
                if keyed.hash(tok) not in v.first:
                    continue
                for size in v.lengths:
                    if i + size <= len(tokens):
                        h = keyed.hash(" ".join(tokens[i:i + size]))
                        if h in v.tokens:
                            add("original_value", v.tokens[h], h)
            if v.digits:
                for m in _DIGIT_RUN.finditer(s):
                    digits = "".join(c for c in m.group() if c.isdigit())
                    if len(digits) >= 7:
                        h = keyed.hash(digits)
                        if h in v.digits:
                            add("original_digits", v.digits[h], h)
        for s, spans in zip(strings, detector.detect(strings)):
            for span in spans:
                h = keyed.hash(s[span.start:span.end])
                if h not in v.surrogates:
                    add("unscrubbed_value", span.type, h)
    findings.sort(key=lambda f: (f.file, f.line, f.check, f.type, f.value_hash))
    by_check = Counter(f.check for f in findings)
    by_type = Counter(f.type for f in findings)
    report = {
        "passed": not findings,
        "files": dict(sorted(files.items())),
        "strings_scanned": n_strings,
        "unparsable_lines": unparsable,
        "findings": len(findings),
        "by_check": dict(sorted(by_check.items())),
        "by_type": dict(sorted(by_type.items())),
        "listed": [f.as_dict() for f in findings[:MAX_LISTED]],
        "vault": {"original_token_values": len(v.tokens), "original_digit_values": len(v.digits),
                  "surrogates": len(v.surrogates)},
        "detection": detector.describe(),
    }
    return LeakScanResult(findings, report)
