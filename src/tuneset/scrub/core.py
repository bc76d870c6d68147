"""The scrub stage function: detect PII and secrets in every text of every example, decide, then drop or replace.

Texts are message contents and participant names of every role (``messages``, ``chosen``,
``rejected``), the string values of tool calls (the JSON inside their ``arguments`` too), and the
string values of ``tools`` and ``meta``. Each distinct text is detected once (system prompts repeat),
NER in one batched pass.

What is replaced is decided per example (:mod:`tuneset.scrub.policy`): the source's profile says
which types are in scope; identifiers and secrets always count; a name or place counts unless it is
public knowledge (notable, or seen with no private-context cue in many unrelated groups). A value
that counts is replaced in **every** mention in the example's group (all turns, both preference
sides, tool-call arguments; possessives, upper case, the parts of a full name, the same digits in
another format) by one surrogate, drawn per value dataset-wide by default (``pii.consistency``), so
two copies of a text stay copies after scrub and dedup and the split still see them.

Per example:

- an example holding an entity of a ``pii.drop_types`` type (by default the secrets) is dropped
  through rule ``pii_drop_types``; the dropped row names the types and counts, never a value, and
  its preview is the example's text with typed placeholders;
- otherwise the values are replaced (``pii.mode``) and the example gets ``pii_edits`` (JSON text
  ``{TYPE: n}``, ``{}`` when nothing changed) and a recomputed ``example_id``.

The *vault* is what the leak scan needs and nothing more: keyed hashes (under the PII key) of every
original mention scrub replaced, scoped to its ``group_id`` (the leak scan checks that none is left in
that group's exports), and of the structured and secret surrogates it inserted.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import regex as re

from tuneset import hashing, ledger, parallel
from tuneset import schema as col
from tuneset.config import PiiConfig, SourceConfig
from tuneset.frames import records_frame
from tuneset.records import compute_example_id
from tuneset.rules import Rule, register
from tuneset.scrub import policy
from tuneset.scrub import types as T
from tuneset.scrub.detectors import Detector, Span
from tuneset.scrub.names import name_parts
from tuneset.scrub.redact import Replacer, new_engine
from tuneset.scrub.salt import Keyed, fingerprint, is_demo
from tuneset.scrub.surrogates import Surrogates, mention_form, token_form

STAGE = "scrub"
PII_EDITS = "pii_edits"
VAULT_COLUMNS = ("kind", "form", "type", "n_tokens", "hash", "group_id")
DETECT_CHUNK = 20000
DIGIT_TYPES = (T.PHONE, T.CREDIT_CARD, T.US_SSN)

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
            if isinstance(m.get("name"), str) and m["name"]:  # exported beside the content: a person's name as often
                m["name"] = fn(m["name"])
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


def vault_rows(keyed: Keyed, type_: str, mention: str, group: str) -> list[tuple[str, str, str, int, str, str]]:
    """The vault rows of one replaced mention in ``group``: its word tokens (case kept) and their first
    token, and for phone, card and SSN numbers their digits."""
    rows = []
    form = mention_form(mention)
    if form:
        rows.append(("original", "tokens", type_, len(form.split()), keyed.hash(form), group))
        rows.append(("original", "first", type_, 1, keyed.hash(form.split()[0]), group))
    if type_ in DIGIT_TYPES:
        digits = "".join(c for c in mention if c.isdigit())
        if len(digits) >= 7:
            rows.append(("original", "digits", type_, 1, keyed.hash(digits), group))
    return rows


def vault_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(sorted(set(rows)), columns=list(VAULT_COLUMNS))
    return df.astype({"kind": object, "form": object, "type": object, "hash": object, "group_id": object,
                      "n_tokens": "int64"})


def _collision_guard(originals: Mapping[str, set[str]]) -> Callable[[str, str], bool]:
    """``avoid(type, candidate)``: True when a surrogate candidate holds, as a token sequence, any value
    detected anywhere (or any word of a detected name), or the digits of a detected number."""
    forms = {token_form(v) for vs in originals.values() for v in vs}
    forms |= {w for v in originals.get(T.PERSON, ()) for w in token_form(v).split() if len(w) > 1}
    forms.discard("")
    digits = {"".join(c for c in v if c.isdigit()) for t in DIGIT_TYPES for v in originals.get(t, ())}
    longest = max((len(f.split()) for f in forms), default=0)

    def avoid(type_: str, candidate: str) -> bool:
        tokens = token_form(candidate).split()
        for size in range(1, min(longest, len(tokens)) + 1):
            for i in range(len(tokens) - size + 1):
                if " ".join(tokens[i:i + size]) in forms:
                    return True
        return "".join(c for c in candidate if c.isdigit()) in digits

    return avoid


# --------------------------------------------------------------------------------------------
# Mentions: a value that is replaced is replaced everywhere in the example

_POSSESSIVE = ("'s", "’s")
_DIGIT_RUN = re.compile(r"\+?\d[\d \-.()]{5,}\d")


def trimmed(text: str, span: Span) -> Span:
    """A name's span without its possessive ending ("Max's" -> "Max"), so every inflection shares one value."""
    if span.type in policy.EVIDENCE_TYPES and text[span.start:span.end].endswith(_POSSESSIVE) and span.end - span.start > 3:
        return Span(span.start, span.end - 2, span.type, span.score, span.rule)
    return span


def _free(spans: Sequence[Span], start: int, end: int) -> bool:
    return all(end <= s.start or start >= s.end for s in spans)


def every_mention(texts: Sequence[str], found: Mapping[str, list[Span]], values: Mapping[str, Span],
                  allowed: Callable[[str], bool] = lambda value: False) -> dict[str, list[Span]]:
    """The spans to replace in each text of one example: the ``found`` spans plus every other mention of
    the ``values`` to replace (value -> a span of its type): the same word sequence, in upper case too,
    the distinctive words of a full name alone ("Joakim Westgård ... starring Westgård"), unless
    ``allowed``; and for phone, card and SSN numbers the same digits in any format."""
    wanted: dict[str, Span] = dict(values)
    for value, proto in list(values.items()):
        if proto.type == T.PERSON:
            for part in name_parts(value):
                if not allowed(part):
                    wanted.setdefault(part, Span(0, 0, proto.type, proto.score, proto.rule + "+part"))
    variants: list[tuple[str, Span]] = []
    for value, proto in wanted.items():
        variants.append((value, proto))
        if proto.type in policy.EVIDENCE_TYPES and value.upper() != value and len(value) >= 3:
            variants.append((value.upper(), proto))
    variants.sort(key=lambda vp: -len(vp[0]))  # "Chloe Smith" before "Chloe"
    digits = {"".join(c for c in v if c.isdigit()): p for v, p in values.items() if p.type in DIGIT_TYPES}
    out: dict[str, list[Span]] = {}
    for t in texts:
        spans = list(found.get(t, ()))
        for value, proto in variants:
            if len(value) < 2 or value not in t:
                continue
            for m in re.finditer(r"(?<!\w)" + re.escape(value) + r"(?!\w)", t):
                if _free(spans, m.start(), m.end()):
                    spans.append(Span(m.start(), m.end(), proto.type, proto.score, proto.rule + "+mention"))
        if digits:
            for m in _DIGIT_RUN.finditer(t):
                proto = digits.get("".join(c for c in m.group() if c.isdigit()))
                if proto is not None and _free(spans, m.start(), m.end()):
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


@dataclass(frozen=True)
class _Candidate:
    type: str
    value: str
    rule: str
    cue: str  # the example's private-context cue ("" when none)
    profile: str


class ScrubRun:
    """Scrub over a dataset given in batches, in three passes, so memory holds one batch, the digests
    of the distinct texts, the spans of the texts that have any, and the candidates of the groups
    that have any (not the table).

    1. :meth:`detect` every batch: each distinct text is detected once, in chunks of
       ``DETECT_CHUNK`` texts in first-appearance order (the same chunks however the rows are
       batched), in ``workers`` processes (:func:`tuneset.parallel.map_ordered`); the originals found
       anywhere are collected, since a surrogate must never reproduce one.
    2. :meth:`plan` every batch: each example's candidates in its profile's scope and its
       private-context cue, grouped by ``group_id``; names seen with no cue are counted per group
       (the recurrence evidence of :mod:`tuneset.scrub.policy`).
    3. :meth:`replace` each batch, in order: decide, then drop or replace, example by example.

    :meth:`report` and :meth:`vault` then cover every batch. ``sources`` are the declared sources
    (their ``pii`` profiles).
    """

    def __init__(self, cfg: PiiConfig, salt: str, *, sources: Mapping[str, SourceConfig] | None = None,
                 detector: Detector | None = None, workers: int = 1) -> None:
        self.cfg, self.salt, self.workers = cfg, salt, workers
        self.sources = dict(sources or {})
        self.profiles = policy.profiles(cfg, self.sources)
        self.detector = detector or Detector(cfg)
        self.keyed = Keyed(salt)
        self.decider = policy.Decider(cfg)
        self.rule = PiiDropTypes(types=tuple(sorted(cfg.drop_types)))
        self.drop_types = frozenset(cfg.drop_types)
        self.spans: _Spans = _Spans()
        self.distinct = 0
        self._vault: list[tuple] = []
        self._surrogates: Surrogates | None = None
        self._engine: Any = None
        self._planned = False
        self._group_candidates: dict[str, list[_Candidate]] = defaultdict(list)
        self._group_values: dict[str, dict[str, Span]] = {}
        self.rows_in = self.rows_out = self.with_pii = 0
        self.dropped_counts: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.by_source: dict[str, Counter[str]] = defaultdict(Counter)
        self.source_stats: dict[str, dict[str, Any]] = {}
        self.dropped_types: Counter[str] = Counter()
        self.cues: Counter[str] = Counter()
        self.public: Counter[str] = Counter()

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
                    spans = [trimmed(t, s) for s in spans]
                    self.spans[t] = spans
                    for s in spans:
                        originals[s.type].add(t[s.start:s.end])
        self.decider.learn_names(originals.get(T.PERSON, ()))
        if self.cfg.mode == "surrogate":
            self._surrogates = Surrogates(self.keyed, self.cfg.locale, avoid=_collision_guard(originals))
        self._engine = new_engine()
        policy.warm()

    # -- pass 2

    def _profile(self, record: Mapping[str, Any]) -> policy.Profile:
        return policy.profile_for(str(record.get(col.SOURCE)), str(record.get(col.ORIGIN)), self.cfg, self.sources,
                                  self.profiles)

    def _found(self, record: Mapping[str, Any], texts: Sequence[str],
               profile: policy.Profile) -> tuple[dict[str, list[Span]], str]:
        """The example's detected spans in its profile's scope, by text, and its private-context cue."""
        found: dict[str, list[Span]] = {}
        for t in texts:
            spans = [s for s in self.spans[t] if profile.keeps(s.type, s.rule)]
            if spans:
                found[t] = spans
        if not found:
            return found, ""
        return found, policy.private_cue(texts, ((s.type, s.rule) for spans in found.values() for s in spans))

    def plan(self, batches: Iterable[pd.DataFrame], progress: Callable[[int], None] | None = None) -> None:
        """Pass 2 over every batch (see the class docstring)."""
        rows = 0
        for df in batches:
            for record in df.to_dict("records"):
                texts = record_texts(record)
                profile = self._profile(record)
                found, cue = self._found(record, texts, profile)
                group = str(record.get(col.GROUP_ID))
                words = self.decider.words_in(texts)
                if words and not found:
                    cue = policy.private_cue(texts, ())
                if words and not cue:
                    self.decider.count_words(words, group)
                if not found:
                    continue
                self.cues[cue or "none"] += 1
                candidates = self._group_candidates[group]
                for t, spans in found.items():
                    for s in spans:
                        candidates.append(_Candidate(s.type, t[s.start:s.end], s.rule, cue, profile.name))
                        if s.type == T.PERSON and not cue:
                            self.decider.count(t[s.start:s.end], group)
            rows += len(df)
            if progress:
                progress(rows)
        self._planned = True

    def _values(self, group: str) -> dict[str, Span]:
        """The values replaced throughout ``group`` (value -> a span of its type), decided once per group."""
        values = self._group_values.get(group)
        if values is None:
            candidates = list(dict.fromkeys(self._group_candidates.get(group, ())))
            # one type per value, so one surrogate: "Olivia" guessed a PERSON in the question and a place in
            # the answer is one name (the type earlier in types.PRIORITY wins)
            types: dict[str, str] = {}
            for c in candidates:
                if c.value not in types or T.PRIORITY[c.type] < T.PRIORITY[types[c.value]]:
                    types[c.value] = c.type
            values = {}
            for c in candidates:
                if not self.decider.public_reason(c.type, c.value, c.rule, c.cue, self.profiles[c.profile]):
                    values.setdefault(c.value, Span(0, 0, types[c.value], 1.0, c.rule))
            self._group_values[group] = values
        return values

    # -- pass 3

    def _stats(self, record: Mapping[str, Any], profile: policy.Profile) -> dict[str, Any]:
        source = str(record.get(col.SOURCE))
        stats = self.source_stats.get(source)
        if stats is None:
            stats = self.source_stats[source] = {"origin": str(record.get(col.ORIGIN)), "profile": profile.name,
                                                 "examples": 0, "examples_edited": 0, "dropped": 0,
                                                 "values_by_type": Counter(), "examples_by_type": Counter(),
                                                 "kept_public": Counter()}
        return stats

    def replace(self, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Pass 3 on one batch (after :meth:`detect` and :meth:`plan` saw every batch): its kept
        examples, replaced, with ``pii_edits``, and its drops."""
        if self._engine is None or not self._planned:
            raise RuntimeError("ScrubRun.replace before detect and plan: every batch must be detected and planned first")
        cfg, engine = self.cfg, self._engine
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for record in df.to_dict("records"):
            profile = self._profile(record)
            stats = self._stats(record, profile)
            stats["examples"] += 1
            texts = record_texts(record)
            found, cue = self._found(record, texts, profile)
            group = str(record.get(col.GROUP_ID))
            values = self._values(group) if group in self._group_candidates else {}
            if found:
                for t, spans in found.items():
                    for s in spans:
                        reason = self.decider.public_reason(s.type, t[s.start:s.end], s.rule, cue, profile)
                        if reason:
                            stats["kept_public"][reason] += 1
                            self.public[reason] += 1
                found = {t: [Span(s.start, s.end, values[t[s.start:s.end]].type, s.score, s.rule) for s in spans
                             if t[s.start:s.end] in values] for t, spans in found.items()}
            spans_of = every_mention(texts, found, values, self.detector.is_allowed) if values else {}
            found_types = Counter(s.type for spans in spans_of.values() for s in spans)
            if found_types and self.drop_types & set(found_types):
                preview = Replacer(engine, "redact", None, "")
                shown = map_texts(record, lambda t, r=preview: r.apply(t, spans_of.get(t, ())))
                hit = {k: found_types[k] for k in sorted(found_types) if k in self.drop_types}
                self.dropped_types.update(hit)
                stats["dropped"] += 1
                dropped.append(ledger.dropped_row(
                    record, stage=STAGE, rule=self.rule, preview_text=ledger.record_text(shown),
                    reason=f"{record[col.SOURCE_FILE]} {record[col.LOCATOR]}: holds {', '.join(hit)} (pii.drop_types)",
                    details={"types": hit}))
                continue
            scope = group if cfg.consistency == "group" else "*"
            replacer = Replacer(engine, cfg.mode, self._surrogates, scope)
            new = map_texts(record, lambda t, r=replacer: r.apply(t, spans_of.get(t, ()))) if found_types else dict(record)
            edits = {k: replacer.edits[k] for k in sorted(replacer.edits)}
            new[PII_EDITS] = hashing.canonical_json(edits)
            if edits:
                new[col.EXAMPLE_ID] = compute_example_id(new)
                self.with_pii += 1
                self.by_type.update(edits)
                self.by_source[str(record.get(col.SOURCE))].update(edits)
                stats["examples_edited"] += 1
                stats["values_by_type"].update(edits)
                stats["examples_by_type"].update(edits.keys())
                for type_, original, made in replacer.made:
                    self._vault.extend(vault_rows(self.keyed, type_, original, group))
                    if cfg.mode == "surrogate" and (type_ in T.STRUCTURED_TYPES or type_ in T.SECRET_TYPES):
                        self._vault.append(("surrogate", "exact", type_, 1, self.keyed.hash(made), ""))
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

    def source_report(self) -> tuple[dict[str, Any], list[str]]:
        """Per source: its origin and profile, how many examples scrub edited (and the share), values and
        examples by type, names kept as public knowledge by reason; and a warning per source whose edit
        rate passes ``pii.edit_rate_warning``."""
        out: dict[str, Any] = {}
        warnings: list[str] = []
        for source in sorted(self.source_stats):
            st = self.source_stats[source]
            n = st["examples"]
            rate = round(st["examples_edited"] / n, 4) if n else 0.0
            by_type = {k: st["examples_by_type"][k] for k in sorted(st["examples_by_type"])}
            warning = None
            if rate > self.cfg.edit_rate_warning:
                shares = ", ".join(f"{k} {by_type[k] / n:.0%}" for k in sorted(by_type, key=lambda k: -by_type[k])[:3])
                warning = (f"source {source}: scrub edited {rate:.0%} of its examples ({shares}); check that this is "
                           f"personal data, or give the source a PII profile (sources.{source}.pii, pii.profiles)")
                warnings.append(warning)
            out[source] = {"origin": st["origin"], "profile": st["profile"], "examples": n,
                           "examples_edited": st["examples_edited"], "edit_rate": rate, "dropped": st["dropped"],
                           "values_by_type": {k: st["values_by_type"][k] for k in sorted(st["values_by_type"])},
                           "examples_by_type": by_type,
                           "kept_public": {k: st["kept_public"][k] for k in sorted(st["kept_public"])},
                           "warning": warning}
        return out, warnings

    def report(self, vault: pd.DataFrame | None = None) -> dict[str, Any]:
        vault_df = self.vault() if vault is None else vault
        by_type, by_source, dropped_types, salt = self.by_type, self.by_source, self.dropped_types, self.salt
        sources, warnings = self.source_report()
        return {
            "rows_in": int(self.rows_in),
            "rows_out": int(self.rows_out),
            "dropped_by_rule": {k: int(self.dropped_counts[k]) for k in sorted(self.dropped_counts)},
            "mode": self.cfg.mode,
            "consistency": self.cfg.consistency,
            "pii_by_type": {k: by_type[k] for k in sorted(by_type)},
            "pii_by_source": {s: {k: c[k] for k in sorted(c)} for s, c in sorted(by_source.items())},
            "by_source": sources,
            "warnings": warnings,
            "examples_with_pii": self.with_pii,
            "dropped_pii_by_type": {k: dropped_types[k] for k in sorted(dropped_types)},
            "distinct_texts": self.distinct,
            "private_context": {k: self.cues[k] for k in sorted(self.cues)},
            "kept_public": {k: self.public[k] for k in sorted(self.public)},
            "profiles": {name: {"entities": sorted(p.entities), "ner": p.settings.ner,
                                "public_knowledge": p.settings.public_knowledge} for name, p in self.profiles.items()},
            "detection": self.detector.describe(),
            "salt": {"fingerprint": fingerprint(salt), "demo": is_demo(salt),
                     "note": ("DEMO KEY: the public demo salt of `make demo` was used; surrogates protect nothing"
                              if is_demo(salt) else "key from TUNESET_PII_SALT")},
            "vault": {"originals": int((vault_df["kind"] == "original").sum()),
                      "surrogates": int((vault_df["kind"] == "surrogate").sum())},
            "rules": [self.rule.describe()],
        }


def scrub(df: pd.DataFrame, cfg: PiiConfig, salt: str, *, sources: Mapping[str, SourceConfig] | None = None,
          detector: Detector | None = None, progress: Callable[[int], None] | None = None,
          workers: int = 1) -> ScrubResult:
    """Detect and replace PII in ``df``; drop examples holding ``cfg.drop_types``. See the module
    docstring; :class:`ScrubRun` with one batch (the stage gives it many)."""
    run = ScrubRun(cfg, salt, sources=sources, detector=detector, workers=workers)
    run.detect([df], progress)
    run.plan([df])
    out, dropped = run.replace(df)
    vault = run.vault()
    return ScrubResult(out, dropped, vault, run.report(vault))
