"""Mistral instruct (v3 tokenizer control tokens).

::

    <s>[INST] {user}[/INST] {answer}</s>[INST] {system}\\n\\n{last user}[/INST] {answer}</s>

Trained: `` {answer}</s>`` (the space belongs to the answer, as the tokenizer joins it to the first
word). As in Mistral's own template, the system prompt is prepended to the last user turn, and
``[AVAILABLE_TOOLS] [...][/AVAILABLE_TOOLS]`` precedes it when tools are declared. A call is
``[TOOL_CALLS] [{"name", "arguments", "id"}]</s>``; a result is
``[TOOL_RESULTS] {"content", "call_id"}[/TOOL_RESULTS]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneset.templates.base import Builder, Rendered, content_of, dumps, tool_calls_of, tool_list

BOS, EOS = "<s>", "</s>"
INST, END_INST = "[INST]", "[/INST]"
TOOLS, END_TOOLS = "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]"
CALLS, RESULTS, END_RESULTS = "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"


class Mistral:
    """Mistral ``[INST] ... [/INST]`` turns; trained: each answer and its ``</s>``."""

    name = "mistral"
    markers = (BOS, EOS, INST, END_INST, TOOLS, END_TOOLS, CALLS, RESULTS, END_RESULTS)

    def render(self, messages: Sequence[Mapping[str, Any]], tools: str | None = None,
               train_from: int = 0) -> Rendered:
        b = Builder()
        b.special(BOS)
        system = "\n\n".join(content_of(m) for m in messages if m.get("role") == "system")
        last_user = max((j for j, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        schemas = tool_list(tools)
        for j, m in enumerate(messages):
            role = m.get("role")
            if role == "system":
                continue
            if role == "user":
                if j == last_user and schemas:
                    b.special(TOOLS)
                    b.text(" " + dumps(schemas))
                    b.special(END_TOOLS)
                b.special(INST)
                prefix = system + "\n\n" if j == last_user and system else ""
                b.text(" " + prefix + content_of(m))
                b.special(END_INST)
            elif role == "assistant":
                trained = j >= train_from
                calls = tool_calls_of(m)
                if calls:
                    if content_of(m):
                        b.text(" " + content_of(m), trained)
                    b.special(CALLS, trained)
                    b.text(" " + dumps([{"name": c["name"], "arguments": c["arguments"], "id": c["id"]}
                                        for c in calls]), trained)
                else:
                    b.text(" " + content_of(m), trained)
                b.special(EOS, trained)
            else:
                b.special(RESULTS)
                b.text(" " + dumps({"content": content_of(m), "call_id": m.get("tool_call_id")}))
                b.special(END_RESULTS)
        return b.done()
