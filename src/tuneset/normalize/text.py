"""Text repair and role names: what normalize changes before it checks anything."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import ftfy

from tuneset.config import NormalizeConfig

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
    # Pure ASCII text holds no mojibake and is in every Unicode normal form: only trim it.
    if text.isascii():
        return text.strip()
    if cfg.fix_mojibake:
        text = ftfy.fix_encoding(text)
    if not unicodedata.is_normalized(cfg.unicode_form, text):
        text = unicodedata.normalize(cfg.unicode_form, text)
    return text.strip()


def normalize_messages(messages: Sequence[Mapping[str, Any]] | None, cfg: NormalizeConfig) -> list[dict[str, Any]] | None:
    return repair_messages(messages, cfg)[0]


def repair_messages(messages: Sequence[Mapping[str, Any]] | None,
                    cfg: NormalizeConfig) -> tuple[list[dict[str, Any]] | None, bool]:
    """Messages with canonical roles and repaired text, and whether anything changed. Unchanged
    messages are passed through as they are (never modified), so clean data costs no copies."""
    if messages is None:
        return None, False
    out = []
    changed = False
    for m in messages:
        role = m.get("role")
        content = m.get("content")
        new_role = role if type(role) is str and role in _CANONICAL else canonical_role(role)
        if type(content) is str:
            new_content = content.strip() if content.isascii() else repair_text(content, cfg)
        else:
            new_content = content
        if new_role != role or new_content != content:
            m = {**m, "role": new_role, "content": new_content}
            changed = True
        out.append(m)
    return out, changed


_CANONICAL = frozenset(("system", "user", "assistant", "tool"))


def apply_system_policy(messages: list[dict[str, Any]], cfg: NormalizeConfig) -> list[dict[str, Any]]:
    """With ``inject:<text>``, add that system prompt to examples that have none."""
    if cfg.system_prompt.startswith("inject:") and not any(m.get("role") == "system" for m in messages):
        text = cfg.system_prompt.removeprefix("inject:").strip()
        return [{"role": "system", "content": text, "name": None, "tool_calls": None, "tool_call_id": None}, *messages]
    return messages
