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

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
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


def scrub(df: pd.DataFrame, cfg: PiiConfig, salt: str, *, detector: Detector | None = None,
          progress: Callable[[int], None] | None = None, workers: int = 1) -> ScrubResult:
    """Detect and replace PII in ``df``; drop examples holding ``cfg.drop_types``. See the module docstring.

    Detection, the costly part, runs over chunks of ``DETECT_CHUNK`` distinct texts in ``workers``
    processes (:func:`tuneset.parallel.map_ordered`); the chunks are the same whatever the number of
    workers, so the result is too. Replacement needs every original of the dataset (a surrogate must
    never reproduce one) and runs here."""
    detector = detector or Detector(cfg)
    keyed = Keyed(salt)
    rule = PiiDropTypes(types=tuple(sorted(cfg.drop_types)))
    drop_types = frozenset(cfg.drop_types)
    records = df.to_dict("records")

    # 1. every distinct text, detected once
    unique: dict[str, list[Span]] = {}
    per_record = []
    for record in records:
        texts = record_texts(record)
        per_record.append(texts)
        for t in texts:
            unique.setdefault(t, [])
    distinct = list(unique)
    chunks = (distinct[i:i + DETECT_CHUNK] for i in range(0, len(distinct), DETECT_CHUNK))
    done = 0
    for chunk, found_spans in parallel.map_ordered(detector.detect, chunks, workers):
        for t, spans in zip(chunk, found_spans):
            unique[t] = spans
        done += len(chunk)
        if progress:
            progress(done)

    # 2. the originals (surrogates must never reproduce one) and their keyed hashes
    originals: dict[str, set[str]] = defaultdict(set)
    vault: list[tuple] = []
    for t, spans in unique.items():
        for s in spans:
            value = t[s.start:s.end]
            originals[s.type].add(value)
            vault.extend(_vault_rows(keyed, s.type, value, s.rule))
    surrogates = Surrogates(keyed, cfg.locale, avoid=_collision_guard(originals)) if cfg.mode == "surrogate" else None
    engine = new_engine()

    # 3. drop or replace, example by example
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    by_type: Counter[str] = Counter()
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    dropped_types: Counter[str] = Counter()
    with_pii = 0
    for record, texts in zip(records, per_record):
        spans_of = every_mention(texts, unique, detector.is_allowed)
        found = Counter(s.type for t in texts for s in spans_of[t])
        if found and drop_types & set(found):
            preview = Replacer(engine, "redact", None, "")
            shown = map_texts(record, lambda t, r=preview: r.apply(t, spans_of[t]))
            hit = {k: found[k] for k in sorted(found) if k in drop_types}
            dropped_types.update(hit)
            dropped.append(ledger.dropped_row(
                record, stage=STAGE, rule=rule, preview_text=ledger.record_text(shown),
                reason=f"{record[col.SOURCE_FILE]} {record[col.LOCATOR]}: holds {', '.join(hit)} (pii.drop_types)",
                details={"types": hit}))
            continue
        scope = str(record.get(col.GROUP_ID)) if cfg.consistency == "group" else "*"
        replacer = Replacer(engine, cfg.mode, surrogates, scope)
        new = map_texts(record, lambda t, r=replacer: r.apply(t, spans_of[t])) if found else dict(record)
        edits = {k: replacer.edits[k] for k in sorted(replacer.edits)}
        new[PII_EDITS] = hashing.canonical_json(edits)
        if edits:
            new[col.EXAMPLE_ID] = compute_example_id(new)
            with_pii += 1
            by_type.update(edits)
            by_source[str(record.get(col.SOURCE))].update(edits)
            if cfg.mode == "surrogate":
                vault.extend(("surrogate", "exact", type_, 1, keyed.hash(made)) for type_, _, made in replacer.made
                             if type_ in T.STRUCTURED_TYPES or type_ in T.SECRET_TYPES)
        kept.append(new)

    columns = [c for c in df.columns if c != PII_EDITS] + [PII_EDITS]
    out = records_frame(kept, columns=columns)
    dropped_df = ledger.dropped_frame(dropped)
    vault_df = vault_frame(vault)
    report = {
        "rows_in": int(len(df)),
        "rows_out": int(len(out)),
        "dropped_by_rule": ledger.rule_counts(dropped_df),
        "mode": cfg.mode,
        "consistency": cfg.consistency,
        "pii_by_type": {k: by_type[k] for k in sorted(by_type)},
        "pii_by_source": {s: {k: c[k] for k in sorted(c)} for s, c in sorted(by_source.items())},
        "examples_with_pii": with_pii,
        "dropped_pii_by_type": {k: dropped_types[k] for k in sorted(dropped_types)},
        "distinct_texts": len(distinct),
        "detection": detector.describe(),
        "salt": {"fingerprint": fingerprint(salt), "demo": is_demo(salt),
                 "note": ("DEMO KEY: the public demo salt of `make demo` was used; surrogates protect nothing"
                          if is_demo(salt) else "key from TUNESET_PII_SALT")},
        "vault": {"originals": int((vault_df["kind"] == "original").sum()),
                  "surrogates": int((vault_df["kind"] == "surrogate").sum())},
        "rules": [rule.describe()],
    }
    return ScrubResult(out, dropped_df, vault_df, report)
