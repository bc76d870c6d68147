"""Preference pairs in the shapes people have, as (prompt messages, chosen, rejected).

* ``{prompt, chosen, rejected}``, each a string or messages (TRL);
* ``{messages | conversations, chosen, rejected}`` with a message or string per side (LLaMA-Factory);
* ``{chosen, rejected}`` transcripts ``\\n\\nHuman: ... \\n\\nAssistant: ...`` (Anthropic HH-RLHF), and
  ``{chosen_messages, rejected_messages}`` full conversations: the prompt is their common prefix;
* ``{input: {messages, tools}, preferred_output, non_preferred_output}`` (OpenAI DPO).
"""

from __future__ import annotations

import re
from typing import Any

from tuneset.ingest.messages import any_messages, bad, openai_messages, sharegpt_messages, tools_text
from tuneset.ingest.rules import UnitError
from tuneset.records import Parsed, message

CONSUMED = frozenset({"prompt", "messages", "conversations", "chosen", "rejected", "chosen_messages",
                      "rejected_messages", "system", "tools"})
CONSUMED_DPO = frozenset({"input", "preferred_output", "non_preferred_output"})

_HH_MARKER = re.compile(r"\n\n(Human|Assistant):")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


def is_hh(text: str) -> bool:
    return text.startswith(("\n\nHuman:", "Human:"))


def hh_messages(text: str, where: str) -> list[dict[str, Any]]:
    """Messages of an HH-RLHF transcript; the one space after each marker is the separator, not text."""
    if text.startswith("Human:"):
        text = "\n\n" + text
    parts = _HH_MARKER.split(text)
    if parts[0].strip():
        raise bad(where, "has text before the first Human: marker")
    out = []
    for speaker, body in zip(parts[1::2], parts[2::2]):
        out.append(message(_HH_ROLES[speaker], body[1:] if body[:1] == " " else body))
    return out


def _side(value: Any, where: str, implicit_prompt: bool) -> list[dict[str, Any]]:
    if type(value) is str and implicit_prompt and is_hh(value):
        return hh_messages(value, where)
    return any_messages(value, where, "assistant")


def _split_common_prefix(chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]):
    k = 0
    while k < len(chosen) and k < len(rejected) and chosen[k] == rejected[k]:
        k += 1
    return chosen[:k], chosen[k:], rejected[k:]


def _result(prompt: list[dict[str, Any]], chosen: list[dict[str, Any]], rejected: list[dict[str, Any]],
            tools: str | None = None) -> list[tuple[str, Parsed | UnitError]]:
    if not prompt:
        raise bad("prompt", "is empty: chosen and rejected share no leading turns")
    if not chosen or not rejected:
        raise bad("chosen" if not chosen else "rejected",
                  "adds no turn after the prompt (chosen and rejected are identical)")
    return [("", Parsed(kind="preference", messages=prompt, chosen=chosen, rejected=rejected, tools=tools))]


def parse(rec: dict[str, Any]) -> list[tuple[str, Parsed | UnitError]]:
    if "preferred_output" in rec and "input" in rec:
        return parse_openai_dpo(rec)
    tools = tools_text(rec.get("tools"))
    if "chosen_messages" in rec or "rejected_messages" in rec:
        chosen = any_messages(rec.get("chosen_messages"), "chosen_messages", "assistant")
        rejected = any_messages(rec.get("rejected_messages"), "rejected_messages", "assistant")
        return _result(*_split_common_prefix(chosen, rejected), tools=tools)
    if "chosen" not in rec or "rejected" not in rec:
        raise bad("chosen" if "chosen" not in rec else "rejected", "is missing")
    if "prompt" in rec:
        prompt: list[dict[str, Any]] | None = any_messages(rec["prompt"], "prompt", "user")
    elif "messages" in rec:
        prompt = openai_messages(rec["messages"], "messages")
    elif "conversations" in rec:
        prompt = sharegpt_messages(rec["conversations"], "conversations")
    else:
        prompt = None
    chosen = _side(rec["chosen"], "chosen", prompt is None)
    rejected = _side(rec["rejected"], "rejected", prompt is None)
    if prompt is None:
        prompt, chosen, rejected = _split_common_prefix(chosen, rejected)
    else:
        # Some exports repeat the prompt at the head of each side (full conversations).
        n = len(prompt)
        if len(chosen) > n and len(rejected) > n and chosen[:n] == prompt and rejected[:n] == prompt:
            chosen, rejected = chosen[n:], rejected[n:]
    system = rec.get("system")
    if type(system) is str and system and prompt and prompt[0]["role"] != "system":
        prompt.insert(0, message("system", system))
    return _result(prompt, chosen, rejected, tools=tools)


def parse_openai_dpo(rec: dict[str, Any]) -> list[tuple[str, Parsed | UnitError]]:
    inp = rec.get("input")
    if not isinstance(inp, dict):
        raise bad("input", "is missing or not an object with messages")
    prompt = openai_messages(inp.get("messages"), "input.messages")
    chosen = openai_messages(rec.get("preferred_output"), "preferred_output")
    rejected = openai_messages(rec.get("non_preferred_output"), "non_preferred_output")
    return _result(prompt, chosen, rejected, tools=tools_text(inp.get("tools"), "input.tools"))
