"""Llama 3 headers.

::

    <|begin_of_text|><|start_header_id|>system<|end_header_id|>

    {system}{tools}<|eot_id|><|start_header_id|>user<|end_header_id|>

    {user}<|eot_id|><|start_header_id|>assistant<|end_header_id|>

    {answer}<|eot_id|>                    <- trained: the answer and its <|eot_id|>

Tools follow Llama 3.1's JSON tool calling: the schemas are listed in the system turn, a call is
the assistant turn ``{"name": "f", "parameters": {...}}`` (one per line), and a result is an
``ipython`` turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneset.templates.base import Builder, Rendered, content_of, dumps, tool_calls_of, tool_list

BOS, START, END_HEADER, EOT = "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"

TOOLS_INTRO = (
    "You have access to the following functions. To call a function, respond with a JSON object of the form "
    "{\"name\": function name, \"parameters\": dictionary of argument name and its value}.\n"
)


class Llama3:
    """Llama 3 (``<|start_header_id|>role<|end_header_id|>\\n\\n...<|eot_id|>``); trained: assistant turns."""

    name = "llama3"
    markers = (BOS, START, END_HEADER, EOT)

    def render(self, messages: Sequence[Mapping[str, Any]], tools: str | None = None,
               train_from: int = 0) -> Rendered:
        b = Builder()
        b.special(BOS)
        schemas = tool_list(tools)
        i = 0
        if schemas:
            system = content_of(messages[0]) if messages and messages[0].get("role") == "system" else ""
            self._header(b, "system")
            b.text((system + "\n\n" if system else "") + TOOLS_INTRO + "\n".join(dumps(t) for t in schemas))
            b.special(EOT)
            i = 1 if messages and messages[0].get("role") == "system" else 0
        for j in range(i, len(messages)):
            m = messages[j]
            role = m.get("role")
            if role == "assistant":
                trained = j >= train_from
                self._header(b, "assistant")
                body = content_of(m)
                calls = [dumps({"name": c["name"], "parameters": c["arguments"]}) for c in tool_calls_of(m)]
                if calls:
                    body = "\n".join(([body] if body else []) + calls)
                b.text(body, trained)
                b.special(EOT, trained)
            else:
                self._header(b, "ipython" if role == "tool" else str(role))
                b.text(content_of(m))
                b.special(EOT)
        return b.done()

    @staticmethod
    def _header(b: Builder, role: str) -> None:
        b.special(START)
        b.text(role)
        b.special(END_HEADER)
        b.text("\n\n")
