"""What a chat template produces: the rendered text as pieces, with the trained spans marked.

A piece is ``(text, special, trained)``: ``special`` pieces are control tokens of the template
(``<|im_start|>``, ``[INST]``...), one token each; ``trained`` pieces are what the loss is computed
on (the assistant's answers and the end-of-turn token that closes them). Everything else is
context the model sees but is not trained to produce.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Piece = tuple[str, bool, bool]  # (text, special, trained)


@dataclass
class Rendered:
    """One rendered sequence (an SFT example, or a preference prompt plus one side)."""

    pieces: list[Piece] = field(default_factory=list)
    # True when every trained span starts and ends on a pre-token boundary (after a control token
    # or a newline, before a control token), so counting piece by piece equals counting the whole.
    exact_boundaries: bool = True

    @property
    def text(self) -> str:
        return "".join(p[0] for p in self.pieces)

    def spans(self) -> list[tuple[int, int]]:
        """Character ranges ``[start, end)`` of the trained text, adjacent ranges merged."""
        out: list[tuple[int, int]] = []
        pos = 0
        for text, _special, trained in self.pieces:
            end = pos + len(text)
            if trained and text:
                if out and out[-1][1] == pos:
                    out[-1] = (out[-1][0], end)
                else:
                    out.append((pos, end))
            pos = end
        return out

    def trained_text(self) -> str:
        return "".join(p[0] for p in self.pieces if p[2])

    def marked(self, open_mark: str = "\u27e6", close_mark: str = "\u27e7") -> str:
        """The text with every trained span wrapped in ``open_mark`` ... ``close_mark``."""
        text, out, pos = self.text, [], 0
        for start, end in self.spans():
            out += [text[pos:start], open_mark, text[start:end], close_mark]
            pos = end
        out.append(text[pos:])
        return "".join(out)


class Builder:
    """Accumulates pieces, merging adjacent text pieces with the same trained flag."""

    def __init__(self) -> None:
        self.pieces: list[Piece] = []

    def text(self, text: str, trained: bool = False) -> None:
        if not text:
            return
        if self.pieces:
            last = self.pieces[-1]
            if not last[1] and last[2] == trained:
                self.pieces[-1] = (last[0] + text, False, trained)
                return
        self.pieces.append((text, False, trained))

    def special(self, token: str, trained: bool = False) -> None:
        self.pieces.append((token, True, trained))

    def text_with(self, text: str, markers: Sequence[str], trained: bool = False) -> None:
        """Template text that itself contains control tokens (Qwen's tool instructions name their tags)."""
        pattern = re.compile("|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True)))
        pos = 0
        for m in pattern.finditer(text):
            self.text(text[pos:m.start()], trained)
            self.special(m.group(), trained)
            pos = m.end()
        self.text(text[pos:], trained)

    def done(self, exact_boundaries: bool = True) -> Rendered:
        return Rendered(self.pieces, exact_boundaries)


class Template(Protocol):
    """A chat template: renders canonical messages and marks the trained spans."""

    name: str
    markers: tuple[str, ...]  # the control tokens it emits

    def render(self, messages: Sequence[Mapping[str, Any]], tools: str | None = None,
               train_from: int = 0) -> Rendered:
        """Render ``messages`` (and the tool schemas, JSON text); assistant turns at index
        ``>= train_from`` are trained (0: every assistant turn, as in SFT)."""
        ...


# --- helpers shared by the built-in renderers -------------------------------------------------------

def parse_json(text: Any) -> Any:
    """JSON text parsed, or the value itself when it is not valid JSON text."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def dumps(obj: Any) -> str:
    """JSON as templates print it: non-ASCII kept, ``", "`` and ``": "`` separators."""
    return json.dumps(obj, ensure_ascii=False)


def tool_calls_of(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The message's tool calls as ``{"id", "name", "arguments"}``, arguments parsed when JSON."""
    raw = message.get("tool_calls")
    if not raw:
        return []
    calls = parse_json(raw) if isinstance(raw, str) else raw
    out = []
    for c in calls if isinstance(calls, list) else []:
        if not isinstance(c, Mapping):
            continue
        fn = c.get("function") if isinstance(c.get("function"), Mapping) else c
        out.append({"id": c.get("id"), "name": fn.get("name"),
                    "arguments": parse_json(fn.get("arguments", fn.get("parameters", {})))})
    return out


def tool_list(tools: str | None) -> list[Any]:
    """The tool schemas (JSON text) as a list (a single schema object becomes a one-item list)."""
    if not tools:
        return []
    parsed = parse_json(tools)
    if isinstance(parsed, list):
        return parsed
    return [parsed] if parsed else []


def content_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""
