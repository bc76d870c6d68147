"""Export: each split in the trainer's format, re-read and validated, plus manifest and version.

Formats:
- SFT ``openai``: ``{"messages": [...], "tools"?: [...]}`` per line (OpenAI chat fine-tuning).
- preference ``trl``: ``{"prompt": [...], "chosen": [...], "rejected": [...]}``, TRL's conversational
  shape, each a list of messages.
- preference ``openai_dpo``: ``{"input": {"messages": [...], "tools"?}, "preferred_output": [...],
  "non_preferred_output": [...]}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tuneset import hashing, tokens
from tuneset import schema as col
from tuneset.config import ExportConfig

STAGE = "export"


def export_message(m: Mapping[str, Any]) -> dict[str, Any]:
    """A message as trainers expect it: null fields omitted, tool calls as a JSON list."""
    out: dict[str, Any] = {"role": m["role"]}
    if m.get("content") is not None or not m.get("tool_calls"):
        out["content"] = m.get("content")
    if m.get("name"):
        out["name"] = m["name"]
    if m.get("tool_calls"):
        out["tool_calls"] = json.loads(m["tool_calls"])
    if m.get("tool_call_id"):
        out["tool_call_id"] = m["tool_call_id"]
    return out


def _messages(ms: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [export_message(m) for m in ms or ()]


def render(record: Mapping[str, Any], cfg: ExportConfig) -> dict[str, Any]:
    """The export object of one record in the configured format for its kind."""
    tools = json.loads(record[col.TOOLS]) if record.get(col.TOOLS) else None
    if record[col.KIND] == "sft":
        obj: dict[str, Any] = {"messages": _messages(record[col.MESSAGES])}
        if tools is not None:
            obj["tools"] = tools
        return obj
    if cfg.preference_format == "openai_dpo":
        inp: dict[str, Any] = {"messages": _messages(record[col.MESSAGES])}
        if tools is not None:
            inp["tools"] = tools
        return {"input": inp, "preferred_output": _messages(record[col.CHOSEN]),
                "non_preferred_output": _messages(record[col.REJECTED])}
    obj = {"prompt": _messages(record[col.MESSAGES]), "chosen": _messages(record[col.CHOSEN]),
           "rejected": _messages(record[col.REJECTED])}
    if tools is not None:
        obj["tools"] = tools
    return obj


def to_line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n"


# --- validation of written lines ---------------------------------------------------------------

def _check_messages(ms: Any, where: str, *, last_role: str | None = None) -> None:
    if not isinstance(ms, list) or not ms:
        raise ValueError(f"{where}: must be a non-empty list of messages")
    for i, m in enumerate(ms):
        if not isinstance(m, dict) or m.get("role") not in col.ROLES:
            raise ValueError(f"{where}[{i}]: role must be one of {', '.join(col.ROLES)}")
        content = m.get("content")
        if content is None and not m.get("tool_calls"):
            raise ValueError(f"{where}[{i}]: content is null without tool_calls")
        if content is not None and not isinstance(content, str):
            raise ValueError(f"{where}[{i}]: content must be a string")
        if "tool_calls" in m and not isinstance(m["tool_calls"], list):
            raise ValueError(f"{where}[{i}]: tool_calls must be a list")
    if last_role and ms[-1].get("role") != last_role:
        raise ValueError(f"{where}: last message must be {last_role}")


def validate_line(line: str, kind: str, cfg: ExportConfig) -> None:
    """Raise ValueError unless ``line`` is one valid example of the configured format."""
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("line is not a JSON object")
    if kind == "sft":
        _check_messages(obj.get("messages"), "messages", last_role="assistant")
    elif cfg.preference_format == "openai_dpo":
        if not isinstance(obj.get("input"), dict):
            raise ValueError("input must be an object")
        _check_messages(obj["input"].get("messages"), "input.messages", last_role="user")
        _check_messages(obj.get("preferred_output"), "preferred_output", last_role="assistant")
        _check_messages(obj.get("non_preferred_output"), "non_preferred_output", last_role="assistant")
    else:
        _check_messages(obj.get("prompt"), "prompt", last_role="user")
        _check_messages(obj.get("chosen"), "chosen", last_role="assistant")
        _check_messages(obj.get("rejected"), "rejected", last_role="assistant")


def export_lines(df: pd.DataFrame, cfg: ExportConfig) -> dict[tuple[str, str], list[str]]:
    """Lines per (kind, split), every (kind, split) present even when empty, rows in example_id order."""
    out: dict[tuple[str, str], list[str]] = {(k, s): [] for k in col.KINDS for s in col.SPLITS}
    if df.empty:
        return out
    ordered = df.sort_values([col.EXAMPLE_ID, col.ORIGIN_ID], kind="stable")
    for record in ordered.to_dict("records"):
        out[(record[col.KIND], record[col.SPLIT])].append(to_line(render(record, cfg)))
    return out


def validate_file(text: str | Iterable[str], kind: str, cfg: ExportConfig, name: str) -> int:
    """Re-read an exported file (its text, or an iterable of its lines) and validate every line;
    returns the number of lines."""
    n = 0
    lines = text.splitlines() if isinstance(text, str) else text
    for i, line in enumerate(lines, start=1):
        try:
            validate_line(line, kind, cfg)
        except (ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"{name} line {i}: exported line is invalid: {exc}") from None
        n += 1
    return n


def manifest(df: pd.DataFrame) -> pd.DataFrame:
    """One row per kept example with the manifest columns, sorted by (split, example_id, origin_id)."""
    if df.empty:
        return pd.DataFrame({c: pd.Series([], dtype="int64" if c == col.N_TOKENS else object)
                             for c in col.MANIFEST_COLUMNS})
    m = df[list(col.MANIFEST_COLUMNS)].copy()
    m["_order"] = m[col.SPLIT].map({s: i for i, s in enumerate(col.SPLITS)})
    m = m.sort_values(["_order", col.EXAMPLE_ID, col.ORIGIN_ID], kind="stable").drop(columns="_order")
    m[col.N_TOKENS] = m[col.N_TOKENS].astype("int64")
    return m.reset_index(drop=True)


@dataclass
class Version:
    dataset_version: str
    counts: dict[str, dict[str, int]]
    params_fingerprint: str
    pii_salt_fingerprint: str | None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"


def version(df: pd.DataFrame, params_text: str, pii_salt_fingerprint: str | None) -> Version:
    pairs = zip(df[col.EXAMPLE_ID], df[col.SPLIT]) if len(df) else []
    counts = {k: {s: int(((df[col.KIND] == k) & (df[col.SPLIT] == s)).sum()) if len(df) else 0
                  for s in col.SPLITS} for k in col.KINDS}
    return Version(hashing.dataset_version(pairs), counts, hashing.sha256_text(params_text), pii_salt_fingerprint)


def count_record_tokens(record: Mapping[str, Any], enc: Any) -> int:
    """Tokens of the example as trained: the prompt plus the longer of chosen/rejected for preference."""
    n = tokens.count_messages(record[col.MESSAGES], enc, record.get(col.TOOLS))
    if record[col.KIND] == "preference":
        n += max(tokens.count_messages(record.get(col.CHOSEN) or (), enc),
                 tokens.count_messages(record.get(col.REJECTED) or (), enc))
    return n


def token_stats(df: pd.DataFrame, context_tokens: int) -> dict[str, Any]:
    """Percentiles (nearest-rank) of n_tokens and how many examples come near the context limit."""
    values = sorted(int(v) for v in df[col.N_TOKENS]) if len(df) else []
    if not values:
        return {"count": 0}

    def pct(p: float) -> int:
        return values[max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))]

    return {"count": len(values), "p5": pct(5), "p50": pct(50), "p95": pct(95), "max": values[-1],
            "total": sum(values), "over_context": sum(v > context_tokens for v in values),
            "near_context": sum(0.9 * context_tokens < v <= context_tokens for v in values)}
