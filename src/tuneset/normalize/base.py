"""The base of normalize's structural rules and the helpers they share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tuneset import schema as col
from tuneset.rules import Rule

STAGE = "normalize"
SIDES = (col.MESSAGES, col.CHOSEN, col.REJECTED)
_ROLES = frozenset(col.ROLES)


@dataclass(frozen=True)
class StructureRule(Rule):
    """Base of the structural checks: ``check`` returns None when the record passes, else the reason."""

    stage: ClassVar[str] = STAGE
    kinds: ClassVar[tuple[str, ...]] = col.KINDS

    def check(self, record: Mapping[str, Any]) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def needed(self, facts: Facts) -> bool:
        """False when ``facts`` prove the record passes (a fast path; ``check`` stays the authority)."""
        return True


@dataclass
class Facts:
    """What one pass over a record learns, so most rules can skip records that cannot fail them."""

    blob: str  # every string field joined by newlines
    odd_content: bool  # some content is null or not a string
    tools: bool  # tools declared, tool calls made, or tool turns present
    blank: bool  # some content is a string that is empty after trimming
    odd_roles: bool  # some role is not system, user, assistant or tool


def facts(record: Mapping[str, Any]) -> Facts:
    parts: list[str] = []
    add = parts.append
    odd = tools = blank = odd_roles = False
    for side in SIDES:
        for m in record.get(side) or ():
            get = m.get
            role = get("role")
            if not (type(role) is str and role in _ROLES):
                odd_roles = True
            content = get("content")
            if type(content) is str:
                add(content)
                if not content or content[0].isspace() or content[-1].isspace():
                    blank = blank or not content.strip()
            else:
                odd = True
            name, calls, call_id = get("name"), get("tool_calls"), get("tool_call_id")
            if name or calls or call_id:
                for value in (name, calls, call_id):
                    if value:
                        if type(value) is str:
                            add(value)
                        else:
                            odd = True
                tools = tools or bool(calls)
            if role == "tool":
                tools = True
    t = record.get(col.TOOLS)
    if t:
        tools = True
        if type(t) is str:
            add(t)
    return Facts("\n".join(parts), odd, tools, blank, odd_roles)


def all_messages(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [*(record.get(col.MESSAGES) or ()), *(record.get(col.CHOSEN) or ()), *(record.get(col.REJECTED) or ())]


def located_messages(record: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every message with a name for reasons: ``message 2 (assistant)``, ``chosen 0 (assistant)``."""
    for side in SIDES:
        for i, m in enumerate(record.get(side) or ()):
            label = "message" if side == col.MESSAGES else side
            yield f"{label} {i} ({m.get('role')})", m


def has_text(m: Mapping[str, Any]) -> bool:
    return isinstance(m.get("content"), str) and bool(m["content"].strip())
