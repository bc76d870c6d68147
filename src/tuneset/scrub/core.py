"""The scrub stage function: detect PII and secrets in every text of every example, then drop, redact or replace.

Texts are message contents of every role (``messages``, ``chosen``, ``rejected``), the string values
of tool-call arguments (JSON inside the ``tool_calls`` text), and the string values of ``tools`` and
``meta``. Each distinct text is detected once (system prompts repeat), NER in one batched pass.

Per example:

- an example holding an entity of a ``pii.drop_types`` type (by default the secrets) is dropped
  through rule ``pii_drop_types``; the dropped row names the types and counts, never a value, and
  its preview is the example's text with typed placeholders;
- otherwise every span is replaced (``pii.mode``) and the example gets ``pii_edits`` (JSON text
  ``{TYPE: n}``, ``{}`` when nothing changed) and a recomputed ``example_id``.

The *vault* is what the leak scan needs and nothing more: keyed hashes (under the PII key) of the
original values scrub replaced, in token form (and digits-only form for numbers), and of the
surrogates it inserted. Two kinds of original are left out of the token check, because they are
ordinary words as often as they are identities: single words (a first name alone) and NER-only
guesses that no context rule or name list confirms, and every LOCATION (city and country names).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import hashing, ledger, parallel
from tuneset import schema as col
from tuneset.config import PiiConfig
from tuneset.frames import records_frame
from tuneset.records import compute_example_id
from tuneset.rules import Rule, register
from tuneset.scrub import types as T
from tuneset.scrub.detectors import Detector, Span
from tuneset.scrub.names import name_parts
from tuneset.scrub.redact import Replacer, new_engine
from tuneset.scrub.salt import Keyed, fingerprint, is_demo
from tuneset.scrub.surrogates import Surrogates, token_form

STAGE = "scrub"
PII_EDITS = "pii_edits"
VAULT_COLUMNS = ("kind", "form", "type", "n_tokens", "hash")
DETECT_CHUNK = 20000

TextFn = Callable[[str], str]


@register
@dataclass(frozen=True)
class PiiDropTypes(Rule):
    """Drops an example that holds any entity of ``types`` (config ``pii.drop_types``; by default the
    secret types: API keys, tokens, JWTs, private keys, passwords, credentials in URLs). The dropped
    row records the types and their counts, never the values, and its preview is the example's text
    with typed placeholders."""

    name: ClassVar[str] = "pii_drop_types"
    stage: ClassVar[str] = STAGE
    types: tuple[str, ...] = ()


@dataclass
class ScrubResult:
    examples: pd.DataFrame
    dropped: pd.DataFrame
    vault: pd.DataFrame
    report: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Every text of a record, through one function


def _walk(obj: Any, fn: TextFn, *, arguments: bool = False) -> Any:
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, list):
        return [_walk(v, fn, arguments=arguments) for v in obj]
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if arguments and k == "arguments" and isinstance(v, str):
                out[k] = _map_json_text(v, fn)
            else:
                out[k] = _walk(v, fn, arguments=arguments)
        return out
    return obj


def _map_json_text(text: str, fn: TextFn, *, arguments: bool = False) -> str:
    """``text`` as JSON with ``fn`` applied to every string value (keys untouched); plain text if not JSON."""
    try:
        obj = json.loads(text)
    except ValueError:
        return fn(text)
    new = _walk(obj, fn, arguments=arguments)
    return text if new == obj else json.dumps(new, ensure_ascii=False, sort_keys=isinstance(new, dict))


def map_texts(record: Mapping[str, Any], fn: TextFn) -> dict[str, Any]:
    """A copy of ``record`` with ``fn`` applied to every scrubbed text (see the module docstring)."""
    new = dict(record)
    for key in (col.MESSAGES, col.CHOSEN, col.REJECTED):
        messages = record.get(key)
        if messages is None:
            continue
        out = []
        for m in messages:
            m = dict(m)
            if isinstance(m.get("content"), str):
                m["content"] = fn(m["content"])
            if isinstance(m.get("tool_calls"), str):
                m["tool_calls"] = _map_json_text(m["tool_calls"], fn, arguments=True)
            out.append(m)
        new[key] = out
    for key in (col.TOOLS, col.META):
        if isinstance(record.get(key), str):
            new[key] = _map_json_text(record[key], fn)
    return new


def record_texts(record: Mapping[str, Any]) -> list[str]:
    texts: list[str] = []

    def collect(text: str) -> str:
        texts.append(text)
        return text

    map_texts(record, collect)
    return texts


# --------------------------------------------------------------------------------------------
# The vault


def _vault_rows(keyed: Keyed, type_: str, value: str, rule: str) -> list[tuple[str, str, str, int, str]]:
    rows = []
    form = token_form(value)
    n = len(form.split())
    enforce = n > 0 and type_ != T.LOCATION and not (
        type_ == T.PERSON and (n < 2 or rule == "spacy_ner"))
    if enforce:
        rows.append(("original", "tokens", type_, n, keyed.hash(form)))
        rows.append(("original", "first", type_, 1, keyed.hash(form.split()[0])))
    if type_ in (T.PHONE, T.CREDIT_CARD, T.US_SSN):
        digits = "".join(c for c in value if c.isdigit())
        if len(digits) >= 7:
            rows.append(("original", "digits", type_, 1, keyed.hash(digits)))
    return rows


def vault_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(sorted(set(rows)), columns=list(VAULT_COLUMNS))
    return df.astype({"kind": object, "form": object, "type": object, "hash": object, "n_tokens": "int64"})


def _collision_guard(originals: Mapping[str, set[str]]) -> Callable[[str, str], bool]:
    forms = {token_form(v) for vs in originals.values() for v in vs} - {""}
    digits = {"".join(c for c in v if c.isdigit()) for t in (T.PHONE, T.CREDIT_CARD, T.US_SSN)
              for v in originals.get(t, ())}
    longest = max((len(f.split()) for f in forms), default=0)

    def avoid(type_: str, candidate: str) -> bool:
        tokens = token_form(candidate).split()
        for size in range(1, min(longest, len(tokens)) + 1):
            for i in range(len(tokens) - size + 1):
                if " ".join(tokens[i:i + size]) in forms:
                    return True
        return "".join(c for c in candidate if c.isdigit()) in digits

    return avoid


def every_mention(texts: Sequence[str], unique: Mapping[str, list[Span]],
                  allowed: Callable[[str], bool] = lambda value: False) -> dict[str, list[Span]]:
    """The spans of each text of one example, plus every other mention of a value detected anywhere in
    the example ("Regards, Ann Lee" makes a later bare "Ann Lee" a name too), and of the distinctive
    words of a full name ("Joakim Westgård ... starring Westgård"), unless ``allowed`` (the allow-list)."""
    values: dict[str, Span] = {}
    for t in texts:
        for s in unique[t]:
            values.setdefault(t[s.start:s.end], s)
    for value, s in list(values.items()):
        if s.type == T.PERSON:  # "Joakim Westgård ... starring Westgård": the surname alone is the person too
            for part in name_parts(value):
                if not allowed(part):
                    values.setdefault(part, Span(0, 0, s.type, s.score, s.rule + "+part"))
    out: dict[str, list[Span]] = {}
    for t in texts:
        spans = list(unique[t])
        if values:
            for value, proto in values.items():
                if len(value) < 3 or value not in t:
                    continue
                for m in re.finditer(r"(?<!\w)" + re.escape(value) + r"(?!\w)", t):
                    if all(m.end() <= s.start or m.start() >= s.end for s in spans):
                        spans.append(Span(m.start(), m.end(), proto.type, proto.score, proto.rule + "+mention"))
            spans.sort(key=lambda s: s.start)
        out[t] = spans
    return out


# --------------------------------------------------------------------------------------------
# The stage function


class _Spans(dict):
    """Spans by text, holding only the texts that have any: every other text has none."""

    def __missing__(self, text: str) -> list[Span]:
        return []


class ScrubRun:
    """Scrub over a dataset given in batches, in two passes, so memory holds one batch, the
    digests of the distinct texts and the spans of the texts that have any (not the table).

    1. :meth:`detect` every batch: each distinct text is detected once, in chunks of
       ``DETECT_CHUNK`` texts in first-appearance order (the same chunks however the rows are
       batched), in ``workers`` processes (:func:`tuneset.parallel.map_ordered`); the originals found
       anywhere are collected, since a surrogate must never reproduce one.
    2. :meth:`replace` each batch, in order: drop or replace, example by example.

    :meth:`report` and :meth:`vault` then cover every batch.
    """

    def __init__(self, cfg: PiiConfig, salt: str, *, detector: Detector | None = None, workers: int = 1) -> None:
        self.cfg, self.salt, self.workers = cfg, salt, workers
        self.detector = detector or Detector(cfg)
        self.keyed = Keyed(salt)
        self.rule = PiiDropTypes(types=tuple(sorted(cfg.drop_types)))
        self.drop_types = frozenset(cfg.drop_types)
        self.spans: _Spans = _Spans()
        self.distinct = 0
        self._vault: list[tuple] = []
        self._surrogates: Surrogates | None = None
        self._engine: Any = None
        self.rows_in = self.rows_out = self.with_pii = 0
        self.dropped_counts: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.by_source: dict[str, Counter[str]] = defaultdict(Counter)
        self.dropped_types: Counter[str] = Counter()

    # -- pass 1

    def _chunks(self, batches: Iterable[pd.DataFrame], progress: Callable[[int], None] | None) -> Iterator[list[str]]:
        seen: set[bytes] = set()  # 16-byte digests: the texts themselves are not kept
        pending: list[str] = []
        rows = 0
        for df in batches:
            for record in df.to_dict("records"):
                for t in record_texts(record):
                    key = hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                    if key not in seen:
                        seen.add(key)
                        pending.append(t)
                        if len(pending) == DETECT_CHUNK:
                            yield pending
                            pending = []
            rows += len(df)
            if progress:
                progress(rows)
        self.distinct = len(seen)
        if pending:
            yield pending

    def detect(self, batches: Iterable[pd.DataFrame], progress: Callable[[int], None] | None = None) -> None:
        """Pass 1 over every batch, in order (see the class docstring)."""
        originals: dict[str, set[str]] = defaultdict(set)
        chunks = self._chunks(batches, progress)
        for chunk, found_spans in parallel.map_ordered(self.detector.detect, chunks, self.workers):
            for t, spans in zip(chunk, found_spans):
                if spans:
                    self.spans[t] = spans
                    for s in spans:
                        value = t[s.start:s.end]
                        originals[s.type].add(value)
                        self._vault.extend(_vault_rows(self.keyed, s.type, value, s.rule))
        if self.cfg.mode == "surrogate":
            self._surrogates = Surrogates(self.keyed, self.cfg.locale, avoid=_collision_guard(originals))
        self._engine = new_engine()

    # -- pass 2

    def replace(self, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Pass 2 on one batch (after :meth:`detect` saw every batch): its kept examples, replaced,
        with ``pii_edits``, and its drops."""
        if self._engine is None:
            raise RuntimeError("ScrubRun.replace before detect: every batch must be detected first")
        cfg, engine = self.cfg, self._engine
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for record in df.to_dict("records"):
            texts = record_texts(record)
            spans_of = every_mention(texts, self.spans, self.detector.is_allowed)
            found = Counter(s.type for t in texts for s in spans_of[t])
            if found and self.drop_types & set(found):
                preview = Replacer(engine, "redact", None, "")
                shown = map_texts(record, lambda t, r=preview: r.apply(t, spans_of[t]))
                hit = {k: found[k] for k in sorted(found) if k in self.drop_types}
                self.dropped_types.update(hit)
                dropped.append(ledger.dropped_row(
                    record, stage=STAGE, rule=self.rule, preview_text=ledger.record_text(shown),
                    reason=f"{record[col.SOURCE_FILE]} {record[col.LOCATOR]}: holds {', '.join(hit)} (pii.drop_types)",
                    details={"types": hit}))
                continue
            scope = str(record.get(col.GROUP_ID)) if cfg.consistency == "group" else "*"
            replacer = Replacer(engine, cfg.mode, self._surrogates, scope)
            new = map_texts(record, lambda t, r=replacer: r.apply(t, spans_of[t])) if found else dict(record)
            edits = {k: replacer.edits[k] for k in sorted(replacer.edits)}
            new[PII_EDITS] = hashing.canonical_json(edits)
            if edits:
                new[col.EXAMPLE_ID] = compute_example_id(new)
                self.with_pii += 1
                self.by_type.update(edits)
                self.by_source[str(record.get(col.SOURCE))].update(edits)
                if cfg.mode == "surrogate":
                    self._vault.extend(("surrogate", "exact", type_, 1, self.keyed.hash(made))
                                       for type_, _, made in replacer.made
                                       if type_ in T.STRUCTURED_TYPES or type_ in T.SECRET_TYPES)
            kept.append(new)
        columns = [c for c in df.columns if c != PII_EDITS] + [PII_EDITS]
        dropped_df = ledger.dropped_frame(dropped)
        self.rows_in += len(df)
        self.rows_out += len(kept)
        self.dropped_counts.update(ledger.rule_counts(dropped_df))
        return records_frame(kept, columns=columns), dropped_df

    # -- the whole run

    def vault(self) -> pd.DataFrame:
        return vault_frame(self._vault)

    def report(self, vault: pd.DataFrame | None = None) -> dict[str, Any]:
        vault_df = self.vault() if vault is None else vault
        by_type, by_source, dropped_types, salt = self.by_type, self.by_source, self.dropped_types, self.salt
        return {
            "rows_in": int(self.rows_in),
            "rows_out": int(self.rows_out),
            "dropped_by_rule": {k: int(self.dropped_counts[k]) for k in sorted(self.dropped_counts)},
            "mode": self.cfg.mode,
            "consistency": self.cfg.consistency,
            "pii_by_type": {k: by_type[k] for k in sorted(by_type)},
            "pii_by_source": {s: {k: c[k] for k in sorted(c)} for s, c in sorted(by_source.items())},
            "examples_with_pii": self.with_pii,
            "dropped_pii_by_type": {k: dropped_types[k] for k in sorted(dropped_types)},
            "distinct_texts": self.distinct,
            "detection": self.detector.describe(),
            "salt": {"fingerprint": fingerprint(salt), "demo": is_demo(salt),
                     "note": ("DEMO KEY: the public demo salt of `make demo` was used; surrogates protect nothing"
                              if is_demo(salt) else "key from TUNESET_PII_SALT")},
            "vault": {"originals": int((vault_df["kind"] == "original").sum()),
                      "surrogates": int((vault_df["kind"] == "surrogate").sum())},
            "rules": [self.rule.describe()],
        }


def scrub(df: pd.DataFrame, cfg: PiiConfig, salt: str, *, detector: Detector | None = None,
          progress: Callable[[int], None] | None = None, workers: int = 1) -> ScrubResult:
    """Detect and replace PII in ``df``; drop examples holding ``cfg.drop_types``. See the module
    docstring; :class:`ScrubRun` with one batch (the stage gives it many)."""
    run = ScrubRun(cfg, salt, detector=detector, workers=workers)
    run.detect([df], progress)
    out, dropped = run.replace(df)
    vault = run.vault()
    return ScrubResult(out, dropped, vault, run.report(vault))
