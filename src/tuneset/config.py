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


@dataclass
class TargetConfig:
    """The model being fine-tuned: its tokenizer, context window and chat template."""

    tokenizer: str = _f("o200k_base", "o200k_base, cl100k_base, llama3 or qwen3")
    context_tokens: int = _f(8192, "context window of the target, in tokens")
    template: str = _f("chatml", "chat template: chatml, llama3, mistral, gemma, or a path to a .jinja file")


@dataclass
class NormalizeConfig:
    """Text repair and structural checks."""

    fix_mojibake: bool = _f(True, "repair mojibake with ftfy")
    unicode_form: str = _f("NFC", "Unicode normalization form")
    system_prompt: str = _f("keep", "keep, require, forbid, or inject:<text>")


@dataclass
class SplitConfig:
    """Deterministic, group-aware train/val/test assignment."""

    ratios: dict[str, float] = _f({"train": 0.8, "val": 0.1, "test": 0.1}, "fraction of groups per split; must sum to 1")
    salt: str = _f("tuneset", "salt of the group hash; changing it reshuffles everything")


@dataclass
class ExportConfig:
    """Trainer formats of the final files."""

    sft_format: str = _f("openai", "SFT export format: openai (messages JSONL)")
    preference_format: str = _f("trl", "preference export format: trl (prompt/chosen/rejected message lists) or openai_dpo")


SECTIONS: dict[str, type] = {
    "target": TargetConfig,
    "normalize": NormalizeConfig,
    "split": SplitConfig,
    "export": ExportConfig,
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
    if isinstance(cfg, TargetConfig) and cfg.context_tokens <= 0:
        raise ConfigError(f"target.context_tokens: must be positive, got {cfg.context_tokens}")


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
    sections: list[tuple[str, type]] = [("sources.<name>", SourceConfig), *SECTIONS.items()]
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
