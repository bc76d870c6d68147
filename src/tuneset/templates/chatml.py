"""ChatML, with tools the way Qwen2.5/Qwen3 render them.

::

    <|im_start|>system
    {system}

    # Tools
    ...<tools>
    {one tool schema per line}
    </tools>...<|im_end|>
    <|im_start|>user
    {user}<|im_end|>
    <|im_start|>assistant
    {answer}                         <- trained, together with the <|im_end|> that closes it
    <tool_call>
    {"name": "f", "arguments": {...}}
    </tool_call><|im_end|>
    <|im_start|>user
    <tool_response>
    {tool result}
    </tool_response><|im_end|>

Consecutive tool results share one ``user`` turn, as in Qwen's template. The tool tags are control
tokens (one token each), as in Qwen's vocabulary, also where the system text names them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneset.templates.base import Builder, Piece, Rendered, content_of, dumps, tool_calls_of, tool_list

START, END = "<|im_start|>", "<|im_end|>"
# Qwen's tool tags are control tokens of its vocabulary; with other vocabularies the trainer adds them.
CALL, END_CALL, RESPONSE, END_RESPONSE = "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"

TOOLS_INTRO = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
)
TOOLS_OUTRO = (
    "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}"
    "\n</tool_call>"
)


class ChatML:
    """ChatML (``<|im_start|>role\\n...<|im_end|>\\n``); trained: each assistant turn after its header."""

    name = "chatml"
    markers = (START, END, CALL, END_CALL, RESPONSE, END_RESPONSE)

    def render(self, messages: Sequence[Mapping[str, Any]], tools: str | None = None,
               train_from: int = 0) -> Rendered:
        if not tools:
            plain = self._plain(messages, train_from)
            if plain is not None:
                return plain
        b = Builder()
        schemas = tool_list(tools)
        i = 0
        if schemas:
            system = content_of(messages[0]) if messages and messages[0].get("role") == "system" else ""
            b.special(START)
            b.text("system\n" + (system + "\n\n" if system else "") + TOOLS_INTRO
                   + "".join("\n" + dumps(t) for t in schemas))
            b.text_with(TOOLS_OUTRO, (CALL, END_CALL))
            b.special(END)
            b.text("\n")
            i = 1 if messages and messages[0].get("role") == "system" else 0
        n = len(messages)
        while i < n:
            m = messages[i]
            role = m.get("role")
            if role == "tool":
                b.special(START)
                b.text("user")
                while i < n and messages[i].get("role") == "tool":
                    b.text("\n")
                    b.special(RESPONSE)
                    b.text("\n" + content_of(messages[i]) + "\n")
                    b.special(END_RESPONSE)
                    i += 1
                b.special(END)
                b.text("\n")
                continue
            b.special(START)
            if role == "assistant":
                trained = i >= train_from
                b.text("assistant\n")
                body = content_of(m)
                b.text(body, trained)
                for k, call in enumerate(tool_calls_of(m)):
                    if body or k:
                        b.text("\n", trained)
                    b.special(CALL, trained)
                    b.text("\n" + dumps({"name": call["name"], "arguments": call["arguments"]}) + "\n", trained)
                    b.special(END_CALL, trained)
                b.special(END, trained)
            else:
                b.text(f"{role}\n{content_of(m)}")
                b.special(END)
            b.text("\n")
            i += 1
        return b.done()

    @staticmethod
    def _plain(messages: Sequence[Mapping[str, Any]], train_from: int) -> Rendered | None:
        """The common case (no tools) without the general builder: same pieces, built directly;
        None as soon as a tool call or tool turn shows up."""
        pieces: list[Piece] = []
        add = pieces.append
        for j, m in enumerate(messages):
            role = m.get("role")
            if role == "tool" or m.get("tool_calls"):
                return None
            content = m.get("content")
            content = content if type(content) is str else ""
            add(_START)
            if role == "assistant":
                trained = j >= train_from
                add(_ASSISTANT)
                if content:
                    add((content, False, trained))
                add((END, True, trained))
            else:
                add((f"{role}\n{content}", False, False))
                add(_END)
            add(_NL)
        return Rendered(pieces)


_START, _END, _NL, _ASSISTANT = (START, True, False), (END, True, False), ("\n", False, False), ("assistant\n", False, False)
