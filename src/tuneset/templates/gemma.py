"""Gemma turns.

::

    <bos><start_of_turn>user
    {system}

    {user}<end_of_turn>
    <start_of_turn>model
    {answer}<end_of_turn>             <- trained: the answer and its <end_of_turn>

Gemma has no system role: the system prompt opens the first user turn, as in Google's template.
It has no tool protocol either: tool schemas are listed at the start of the first user turn, a call
is the model turn ``{"name": "f", "arguments": {...}}`` (one per line), and results come back as a
user turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneset.templates.base import Builder, Rendered, content_of, dumps, tool_calls_of, tool_list

BOS, START, END = "<bos>", "<start_of_turn>", "<end_of_turn>"


class Gemma:
    """Gemma ``<start_of_turn>user|model`` turns; trained: each model turn and its ``<end_of_turn>``."""

    name = "gemma"
    markers = (BOS, START, END)

    def render(self, messages: Sequence[Mapping[str, Any]], tools: str | None = None,
               train_from: int = 0) -> Rendered:
        b = Builder()
        b.special(BOS)
        preamble = "\n\n".join(content_of(m) for m in messages if m.get("role") == "system")
        schemas = tool_list(tools)
        if schemas:
            listed = "Tools:\n" + "\n".join(dumps(t) for t in schemas)
            preamble = preamble + "\n\n" + listed if preamble else listed
        rest = [(j, m) for j, m in enumerate(messages) if m.get("role") != "system"]
        k = 0
        while k < len(rest):
            j, m = rest[k]
            role = m.get("role")
            b.special(START)
            if role == "assistant":
                trained = j >= train_from
                b.text("model\n")
                body = content_of(m)
                calls = [dumps({"name": c["name"], "arguments": c["arguments"]}) for c in tool_calls_of(m)]
                if calls:
                    body = "\n".join(([body] if body else []) + calls)
                b.text(body, trained)
                b.special(END, trained)
                k += 1
            else:
                parts = [content_of(m)]
                k += 1
                while k < len(rest) and rest[k][1].get("role") in ("user", "tool"):
                    parts.append(content_of(rest[k][1]))
                    k += 1
                if preamble:
                    parts.insert(0, preamble)
                    preamble = ""
                b.text("user\n" + "\n\n".join(parts))
                b.special(END)
            b.text("\n")
        return b.done()
