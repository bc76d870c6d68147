"""What may be inside a turn: a string (or null beside tool calls), no control characters, no
chat-template control tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tuneset import schema as col
from tuneset.normalize.base import Facts, StructureRule, located_messages
from tuneset.rules import register

# Control tokens of the common chat formats. A literal one inside content becomes a real control
# token when a trainer renders and tokenizes the example, ending the turn early or faking a new one.
SPECIAL_TOKENS: dict[str, tuple[str, ...]] = {
    "ChatML": ("<|im_start|>", "<|im_end|>"),
    "Qwen tool": ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"),
    "Llama-3": ("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"),
    "Mistral": ("[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_CALLS]",
                "[TOOL_RESULTS]", "[/TOOL_RESULTS]"),
    "Gemma": ("<start_of_turn>", "<end_of_turn>"),
    "GPT": ("<|endoftext|>", "<|endofprompt|>"),
}
_FAMILY = {t: family for family, tokens in SPECIAL_TOKENS.items() for t in tokens}
DEFAULT_SPECIAL_TOKENS: tuple[str, ...] = tuple(t for tokens in SPECIAL_TOKENS.values() for t in tokens)

# C0 controls except tab, newline and carriage return; DEL and the C1 controls; lone UTF-16
# surrogates (text that cannot be encoded as UTF-8); Unicode noncharacters.
# 0 for the ASCII bytes _CONTROL matches (C0 controls except tab/LF/CR, and DEL), 1 otherwise.
_ASCII_CONTROL = bytes(0 if (b < 32 and b not in (9, 10, 13)) or b == 127 else 1 for b in range(256))
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def _describe_char(ch: str) -> str:
    code = ord(ch)
    if code == 0:
        return "a NUL byte (U+0000)"
    if 0xD800 <= code <= 0xDFFF:
        return f"an unpaired surrogate (U+{code:04X}): the text cannot be written as UTF-8"
    if code >= 0xFDD0:
        return f"a Unicode noncharacter (U+{code:04X})"
    return f"a control character (U+{code:04X})"


def text_fields(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every string a trainer will see, with where it is: contents, names, tool calls, ids, tools."""
    for where, m in located_messages(record):
        for key in ("content", "name", "tool_calls", "tool_call_id"):
            value = m.get(key)
            if isinstance(value, str) and value:
                yield (where if key == "content" else f"{where} {key}"), value
    tools = record.get(col.TOOLS)
    if isinstance(tools, str) and tools:
        yield "tools", tools


@register
@dataclass(frozen=True)
class ContentType(StructureRule):
    """Each turn's content is a string; it may be null only on an assistant turn that makes tool calls."""

    name: ClassVar[str] = "content_type"

    def needed(self, facts: Facts) -> bool:
        return facts.odd_content

    def check(self, record):
        for where, m in located_messages(record):
            content = m.get("content")
            if content is None:
                if m.get("role") == "assistant" and m.get("tool_calls"):
                    continue
                return f"{where} content is null; only an assistant turn with tool_calls may have no content"
            if not isinstance(content, str):
                return f"{where} content is {type(content).__name__}, expected a string"
        return None


@register
@dataclass(frozen=True)
class ControlCharacters(StructureRule):
    """No text holds a NUL byte, another C0/C1 control character (tab, newline and carriage return are
    fine), DEL, an unpaired UTF-16 surrogate, or a Unicode noncharacter."""

    name: ClassVar[str] = "control_characters"

    def needed(self, facts: Facts) -> bool:
        if facts.odd_content:
            return True
        blob = facts.blob
        if blob.isascii():  # fast path: a byte table lookup instead of the regex
            return 0 in blob.encode("ascii").translate(_ASCII_CONTROL)
        return _CONTROL.search(blob) is not None

    def check(self, record):
        for where, text in text_fields(record):
            m = _CONTROL.search(text)
            if m:
                return f"{where} contains {_describe_char(m.group())} at character {m.start()}"
        return None


@register
@dataclass(frozen=True)
class StraySpecialTokens(StructureRule):
    """No text contains a chat-template control token (ChatML, Llama-3, Mistral, Gemma, ``<|endoftext|>``,
    plus ``normalize.extra_special_tokens``): a trainer would tokenize it as a real control token."""

    name: ClassVar[str] = "stray_special_tokens"
    tokens: tuple[str, ...] = DEFAULT_SPECIAL_TOKENS

    def needed(self, facts: Facts) -> bool:
        if not self.tokens:
            return False
        if not facts.odd_content and "<" not in facts.blob and "[" not in facts.blob and _bracketed(self.tokens):
            return False  # every known control token starts with < or [
        return facts.odd_content or _pattern(self.tokens).search(facts.blob) is not None

    def check(self, record):
        if not self.tokens:
            return None
        pattern = _pattern(self.tokens)
        for where, text in text_fields(record):
            m = pattern.search(text)
            if m:
                family = _FAMILY.get(m.group(), "configured")
                return f"{where} contains the {family} control token {m.group()}; remove or rewrite it"
        return None


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}
_BRACKETED: dict[tuple[str, ...], bool] = {}


def _bracketed(tokens: tuple[str, ...]) -> bool:
    b = _BRACKETED.get(tokens)
    if b is None:
        b = _BRACKETED[tokens] = all(t[:1] in ("<", "[") for t in tokens)
    return b


def _pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    # Memo of a pure function of the rule's parameters (compiled once per token set).
    p = _PATTERNS.get(tokens)
    if p is None:
        p = _PATTERNS[tokens] = re.compile("|".join(re.escape(t) for t in sorted(tokens, key=lambda t: (-len(t), t))))
    return p
