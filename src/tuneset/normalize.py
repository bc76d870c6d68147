"""Normalize: canonical roles, repaired text, and the structural checks every example must pass.

Text repair is ftfy's mojibake fix, a Unicode normal form (NFC by default) and trimming of
surrounding whitespace. Each structural check is a named, versioned rule; the first one an example
fails is the reason it is dropped.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import ftfy
import pandas as pd

from tuneset import ledger
from tuneset import schema as col
from tuneset.config import NormalizeConfig
from tuneset.frames import records_frame
from tuneset.preview import make_preview
from tuneset.records import compute_example_id
from tuneset.rules import Rule, register

STAGE = "normalize"

ROLE_ALIASES: dict[str, str] = {
    "system": "system", "developer": "system",
    "user": "user", "human": "user", "prompter": "user", "customer": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant",
    "ai": "assistant", "agent": "assistant", "chatgpt": "assistant",
    "tool": "tool", "function": "tool", "observation": "tool", "ipython": "tool",
}


def canonical_role(role: Any) -> Any:
    """The canonical name of a role alias, or the role unchanged when it is unknown."""
    if not isinstance(role, str):
        return role
    return ROLE_ALIASES.get(role.strip().lower(), role)


def repair_text(text: str, cfg: NormalizeConfig) -> str:
    # ftfy is the slow part; pure ASCII text cannot hold mojibake, so it skips the call.
    if cfg.fix_mojibake and not text.isascii():
        text = ftfy.fix_encoding(text)
    if not unicodedata.is_normalized(cfg.unicode_form, text):
        text = unicodedata.normalize(cfg.unicode_form, text)
    return text.strip()


def normalize_messages(messages: Sequence[Mapping[str, Any]] | None, cfg: NormalizeConfig) -> list[dict[str, Any]] | None:
    if messages is None:
        return None
    out = []
    for m in messages:
        m = dict(m)
        m["role"] = canonical_role(m.get("role"))
        if isinstance(m.get("content"), str):
            m["content"] = repair_text(m["content"], cfg)
        out.append(m)
    return out


# --- structural rules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StructureRule(Rule):
    """Base of the structural checks: ``check`` returns None when the record passes, else the reason."""

    stage: ClassVar[str] = STAGE
    kinds: ClassVar[tuple[str, ...]] = col.KINDS

    def check(self, record: Mapping[str, Any]) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


def _all_messages(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [*(record.get(col.MESSAGES) or ()), *(record.get(col.CHOSEN) or ()), *(record.get(col.REJECTED) or ())]


def _has_text(m: Mapping[str, Any]) -> bool:
    return isinstance(m.get("content"), str) and bool(m["content"].strip())


@register
@dataclass(frozen=True)
class KnownRoles(StructureRule):
    """Every message has a role of system, user, assistant or tool (after mapping aliases such as human/gpt)."""

    name: ClassVar[str] = "known_roles"

    def check(self, record):
        bad = sorted({str(m.get("role")) for m in _all_messages(record) if m.get("role") not in col.ROLES})
        return f"unknown role(s) {', '.join(bad)}; map them with a known alias or fix the source" if bad else None


@register
@dataclass(frozen=True)
class HasUserTurn(StructureRule):
    """The conversation (or the preference prompt) has at least one user turn."""

    name: ClassVar[str] = "has_user_turn"

    def check(self, record):
        if any(m.get("role") == "user" for m in record.get(col.MESSAGES) or ()):
            return None
        return "no user turn"


@register
@dataclass(frozen=True)
class RoleOrder(StructureRule):
    """System messages come first; then user and assistant alternate, starting with user. An assistant
    turn with ``tool_calls`` is followed by one or more tool turns, then the assistant again."""

    name: ClassVar[str] = "role_order"

    def check(self, record):
        expected: tuple[str, ...] = ("system", "user")
        for i, m in enumerate(record.get(col.MESSAGES) or ()):
            role = m.get("role")
            if role not in expected:
                return f"message {i} is {role}, expected {' or '.join(expected)}"
            if role == "system":
                expected = ("system", "user")
            elif role == "user":
                expected = ("assistant",)
            elif role == "assistant":
                expected = ("tool",) if m.get("tool_calls") else ("user",)
            else:
                expected = ("tool", "assistant")
        return None


@register
@dataclass(frozen=True)
class FinalAssistantTurn(StructureRule):
    """An SFT example ends with an assistant turn whose content is a non-empty string: the trained answer."""

    name: ClassVar[str] = "final_assistant_turn"
    kinds: ClassVar[tuple[str, ...]] = ("sft",)

    def check(self, record):
        messages = record.get(col.MESSAGES) or ()
        if not messages:
            return "no messages"
        last = messages[-1]
        if last.get("role") != "assistant":
            return f"last turn is {last.get('role')}, not assistant: nothing to train on"
        if not _has_text(last):
            return "final assistant answer is empty"
        return None


@register
@dataclass(frozen=True)
class PromptEndsWithUser(StructureRule):
    """A preference prompt (the shared ``messages``) ends on a user turn, which chosen and rejected answer."""

    name: ClassVar[str] = "prompt_ends_with_user"
    kinds: ClassVar[tuple[str, ...]] = ("preference",)

    def check(self, record):
        messages = record.get(col.MESSAGES) or ()
        if not messages or messages[-1].get("role") != "user":
            last = messages[-1].get("role") if messages else "nothing"
            return f"preference prompt ends with {last}, not a user turn"
        return None


@register
@dataclass(frozen=True)
class NonEmptyResponses(StructureRule):
    """``chosen`` and ``rejected`` are each one or more assistant turns with non-empty text."""

    name: ClassVar[str] = "nonempty_responses"
    kinds: ClassVar[tuple[str, ...]] = ("preference",)

    def check(self, record):
        for side in (col.CHOSEN, col.REJECTED):
            turns = record.get(side) or ()
            if not turns:
                return f"{side} is missing"
            if any(m.get("role") != "assistant" for m in turns):
                return f"{side} has a turn that is not from the assistant"
            if not all(_has_text(m) for m in turns):
                return f"{side} has an empty answer"
        return None


@register
@dataclass(frozen=True)
class SystemPromptPolicy(StructureRule):
    """Enforces ``normalize.system_prompt``: ``require`` drops examples without a system prompt,
    ``forbid`` drops examples with one; ``keep`` and ``inject:<text>`` never drop."""

    name: ClassVar[str] = "system_prompt_policy"
    policy: str = "keep"

    def check(self, record):
        has_system = any(m.get("role") == "system" for m in record.get(col.MESSAGES) or ())
        if self.policy == "require" and not has_system:
            return "no system prompt, and normalize.system_prompt is require"
        if self.policy == "forbid" and has_system:
            return "has a system prompt, and normalize.system_prompt is forbid"
        return None


def structure_rules(cfg: NormalizeConfig) -> list[StructureRule]:
    """The checks in the order they are applied; the first failure is the recorded reason."""
    return [KnownRoles(), HasUserTurn(), RoleOrder(), FinalAssistantTurn(), PromptEndsWithUser(), NonEmptyResponses(),
            SystemPromptPolicy(policy=cfg.system_prompt if not cfg.system_prompt.startswith("inject:") else "keep")]


def _apply_system_policy(messages: list[dict[str, Any]], cfg: NormalizeConfig) -> list[dict[str, Any]]:
    if cfg.system_prompt.startswith("inject:") and not any(m.get("role") == "system" for m in messages):
        text = cfg.system_prompt.removeprefix("inject:").strip()
        return [{"role": "system", "content": text, "name": None, "tool_calls": None, "tool_call_id": None}, *messages]
    return messages


@dataclass
class NormalizeResult:
    examples: pd.DataFrame
    dropped: pd.DataFrame
    report: dict[str, Any]


def normalize(df: pd.DataFrame, cfg: NormalizeConfig, progress: Callable[[int], None] | None = None) -> NormalizeResult:
    """Repair text, canonicalize roles, recompute ``example_id``, and drop structurally invalid examples."""
    rules = structure_rules(cfg)
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    changed = 0
    for i, record in enumerate(df.to_dict("records")):
        new = dict(record)
        new[col.MESSAGES] = normalize_messages(record[col.MESSAGES], cfg) or []
        new[col.MESSAGES] = _apply_system_policy(new[col.MESSAGES], cfg)
        new[col.CHOSEN] = normalize_messages(record.get(col.CHOSEN), cfg)
        new[col.REJECTED] = normalize_messages(record.get(col.REJECTED), cfg)
        new[col.EXAMPLE_ID] = compute_example_id(new)
        changed += new[col.EXAMPLE_ID] != record[col.EXAMPLE_ID]
        failure = next(((rule, why) for rule in rules if record[col.KIND] in rule.kinds
                        for why in [rule.check(new)] if why), None)
        if failure:
            rule, why = failure
            dropped.append(ledger.dropped_row(new, stage=STAGE, rule=rule,
                                              reason=f"{new[col.SOURCE_FILE]} {new[col.LOCATOR]}: {why}"))
        else:
            kept.append(new)
        if progress and (i + 1) % 10000 == 0:
            progress(i + 1)
    out = records_frame(kept, columns=list(df.columns))
    dropped_df = ledger.dropped_frame(dropped)
    report = {
        "rows_in": int(len(df)),
        "rows_out": int(len(out)),
        "content_changed": int(changed),
        "dropped_by_rule": ledger.rule_counts(dropped_df),
        "rules": [r.describe() for r in rules],
        "consistency": consistency(out),
    }
    return NormalizeResult(out, dropped_df, report)


def consistency(df: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    """Share of examples with a system prompt, the most common system prompts, and turn-count mix."""
    if df.empty:
        return {"with_system_prompt": 0.0, "system_prompts": [], "distinct_system_prompts": 0, "turns": {}}
    systems: Counter[str] = Counter()
    turns: Counter[int] = Counter()
    with_system = 0
    for messages in df[col.MESSAGES]:
        sys_texts = [m.get("content") or "" for m in messages if m.get("role") == "system"]
        if sys_texts:
            with_system += 1
            systems[sys_texts[0]] += 1
        turns[sum(1 for m in messages if m.get("role") in ("user", "assistant"))] += 1
    common = sorted(systems.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {
        "with_system_prompt": round(with_system / len(df), 4),
        "distinct_system_prompts": len(systems),
        "system_prompts": [{"prompt": make_preview(p, 120), "count": n} for p, n in common],
        "turns": {str(k): turns[k] for k in sorted(turns)},
    }
