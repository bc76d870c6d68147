"""Roles, turn order and the trained turn: the shape every example must have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from tuneset import schema as col
from tuneset.normalize.base import Facts, StructureRule, all_messages, has_text, located_messages
from tuneset.rules import register


@register
@dataclass(frozen=True)
class KnownRoles(StructureRule):
    """Every message has a role of system, user, assistant or tool (after mapping aliases such as human/gpt)."""

    name: ClassVar[str] = "known_roles"

    def needed(self, facts: Facts) -> bool:
        return facts.odd_roles

    def check(self, record):
        bad = sorted({str(m.get("role")) for m in all_messages(record) if m.get("role") not in col.ROLES})
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
    """An SFT example ends with an assistant turn, the trained answer: one with non-empty text, or
    one that makes tool calls (the OpenAI function-calling format trains the call itself; its
    content may be empty). Turns after the last assistant turn (a thread that ends on a user turn,
    as OpenAssistant threads often do) are trimmed off (:meth:`trim`), counted in the report's
    ``trimmed``, not dropped; an example with no assistant turn after a user turn is still dropped."""

    name: ClassVar[str] = "final_assistant_turn"
    version: ClassVar[int] = 2  # 2: trailing turns are trimmed, not dropped; a final tool call is an answer
    kinds: ClassVar[tuple[str, ...]] = ("sft",)

    @staticmethod
    def trim(messages: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]] | None:
        """The messages up to and including the last assistant turn, when turns follow it and a user
        turn precedes it; None when there is nothing to trim (or trimming would leave no prompt)."""
        if not messages or messages[-1].get("role") == "assistant":
            return None
        last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "assistant"), None)
        if last is None or not any(m.get("role") == "user" for m in messages[:last]):
            return None
        return messages[: last + 1]

    def check(self, record):
        messages = record.get(col.MESSAGES) or ()
        if not messages:
            return "no messages"
        last = messages[-1]
        if last.get("role") != "assistant":
            return f"last turn is {last.get('role')}, not assistant, and no assistant turn follows a user turn: nothing to train on"
        if not has_text(last) and not last.get("tool_calls"):
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
            if not all(has_text(m) for m in turns):
                return f"{side} has an empty answer"
        return None


@register
@dataclass(frozen=True)
class NonEmptyContent(StructureRule):
    """Every turn has non-empty text after trimming, except an assistant turn that makes tool calls
    (its content may be null or empty). Checked after the final answer and the preference answers,
    so those keep their own, more specific reasons."""

    name: ClassVar[str] = "nonempty_content"

    def needed(self, facts: Facts) -> bool:
        return facts.blank or facts.odd_content

    def check(self, record):
        for where, m in located_messages(record):
            if m.get("role") == "assistant" and m.get("tool_calls"):
                continue
            if not has_text(m):
                return f"{where} is empty"
        return None


@register
@dataclass(frozen=True)
class SystemPromptPolicy(StructureRule):
    """Enforces ``normalize.system_prompt``: ``require`` drops examples without a system prompt,
    ``forbid`` drops examples with one; ``keep`` and ``inject:<text>`` never drop."""

    name: ClassVar[str] = "system_prompt_policy"
    policy: str = "keep"

    def needed(self, facts: Facts) -> bool:
        return self.policy in ("require", "forbid")

    def check(self, record):
        has_system = any(m.get("role") == "system" for m in record.get(col.MESSAGES) or ())
        if self.policy == "require" and not has_system:
            return "no system prompt, and normalize.system_prompt is require"
        if self.policy == "forbid" and has_system:
            return "has a system prompt, and normalize.system_prompt is forbid"
        return None
