"""Messages from the dialects records use: OpenAI ``role/content``, ShareGPT ``from/value``.

Text is kept exactly as read (no strip, no Unicode normalization: the normalize stage does that);
role names are kept as given except for the ShareGPT speaker names, which only mean something here.
Error messages name fields and types, never values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tuneset import hashing
from tuneset.ingest.rules import UnitError
from tuneset.records import message

SHAREGPT_ROLES = {
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant", "bard": "assistant", "model": "assistant",
    "system": "system",
    "observation": "tool", "tool": "tool",
}
_MESSAGE_KEYS = frozenset(("role", "content", "name", "tool_calls", "tool_call_id", "function_call"))
_TEXT_PART_KEYS = ("text", "value")  # OpenAI parts use "text", LLaMA-Factory v1 parts "value"


def bad(where: str, what: str) -> UnitError:
    return UnitError("invalid_record", f"{where} {what}")


def wrong(where: str, value: Any, expected: str) -> UnitError:
    """'<where> is missing' or '<where> is a number, expected <expected>'."""
    return bad(where, "is missing" if value is None else f"is {type_name(value)}, expected {expected}")


def type_name(value: Any) -> str:
    """The JSON type of ``value`` with its article, for messages: 'an object', 'a number'."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), f"a {type(value).__name__}")


def text_content(value: Any, where: str) -> str | None:
    """Content as text: a string, null, or a list of text parts joined with newlines."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, list):
        texts = []
        for i, part in enumerate(value):
            if type(part) is str:
                texts.append(part)
                continue
            if not isinstance(part, dict) or part.get("type", "text") != "text":
                kind = part.get("type") if isinstance(part, dict) else type_name(part)
                raise bad(f"{where}[{i}]", f"is a {str(kind)[:40]!r} content part; only text parts are supported")
            text = next((part[k] for k in _TEXT_PART_KEYS if k in part), None)
            if type(text) is not str:
                raise bad(f"{where}[{i}]", "is a text part without a string `text`")
            texts.append(text)
        return "\n".join(texts)
    raise bad(where, f"is {type_name(value)}, expected a string, null or a list of text parts")


def _optional_str(m: dict, key: str, where: str) -> str | None:
    value = m.get(key)
    if value is None or type(value) is str:
        return value
    raise bad(f"{where}.{key}", f"is {type_name(value)}, expected a string")


def tool_calls_value(value: Any, where: str) -> Any:
    """A tool_calls list (or its JSON text) ready for records.message; None when empty."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad(where, "is a string that is not valid JSON") from None
    if not isinstance(value, list):
        raise bad(where, f"is {type_name(value)}, expected a list of tool calls")
    return value


def openai_message(m: Any, where: str, extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """A canonical message from an OpenAI chat message; unknown keys go to ``extras`` (kept in meta)."""
    if type(m) is not dict:
        raise bad(where, f"is {type_name(m)}, expected an object with role and content")
    role = m.get("role")
    if type(role) is not str:
        raise wrong(f"{where}.role", role, "a string")
    content = m.get("content")
    if type(content) is not str:
        content = text_content(content, f"{where}.content")
    tool_calls = tool_calls_value(m.get("tool_calls"), f"{where}.tool_calls")
    legacy = m.get("function_call")
    if legacy is not None and tool_calls is None:
        # Pre-tools OpenAI format: one call per message, no id.
        if not isinstance(legacy, dict):
            raise bad(f"{where}.function_call", f"is {type_name(legacy)}, expected an object")
        tool_calls = [function_call(legacy, 0, f"{where}.function_call")]
    if extras is not None:
        for key in m:
            if key not in _MESSAGE_KEYS:
                extras[key] = m[key]
    return message(role, content, name=_optional_str(m, "name", where), tool_calls=tool_calls,
                   tool_call_id=_optional_str(m, "tool_call_id", where))


def openai_messages(value: Any, where: str, extras: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise wrong(where, value, "a list of messages")
    if not value:
        raise bad(where, "is empty")
    out = []
    for i, m in enumerate(value):
        # Hot path (most chat rows): exactly role and content, both strings.
        if type(m) is dict and len(m) == 2:
            role = m.get("role")
            content = m.get("content")
            if type(role) is str and type(content) is str:
                out.append(message(role, content))
                continue
        found: dict[str, Any] | None = {} if extras is not None else None
        out.append(openai_message(m, f"{where}[{i}]", found))
        if found:
            extras[str(i)] = found  # type: ignore[index]
    return out


def function_call(call: dict[str, Any], k: int, where: str) -> dict[str, Any]:
    """An OpenAI tool call from ``{name, arguments}``; arguments become JSON text as OpenAI sends them."""
    name = call.get("name")
    if type(name) is not str:
        raise wrong(f"{where}.name", name, "a string")
    args = call.get("arguments", call.get("parameters", {}))
    if not isinstance(args, str):
        try:
            args = hashing.canonical_json(args)
        except (TypeError, ValueError):
            raise bad(f"{where}.arguments", "cannot be written as JSON") from None
    return {"id": call.get("id") or f"call_{k}", "type": "function", "function": {"name": name, "arguments": args}}


def sharegpt_messages(turns: Any, where: str) -> list[dict[str, Any]]:
    """Canonical messages from ShareGPT turns, pairing each observation with the pending call's id."""
    if not isinstance(turns, list):
        raise wrong(where, turns, "a list of turns")
    if not turns:
        raise bad(where, "is empty")
    out: list[dict[str, Any]] = []
    pending: list[str] = []
    calls = 0
    for i, turn in enumerate(turns):
        at = f"{where}[{i}]"
        if type(turn) is not dict:
            raise bad(at, f"is {type_name(turn)}, expected an object with from and value")
        if "from" not in turn and "role" in turn:
            out.append(openai_message(turn, at))  # some ShareGPT exports mix in OpenAI-style turns
            continue
        speaker = turn.get("from")
        if type(speaker) is not str:
            raise wrong(f"{at}.from", speaker, "a string")
        value = turn.get("value")
        if speaker == "function_call":
            parsed = value
            if isinstance(value, str):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    raise bad(f"{at}.value", "is a function_call that is not valid JSON") from None
            items = parsed if isinstance(parsed, list) else [parsed]
            tool_calls = []
            for item in items:
                if not isinstance(item, dict):
                    raise bad(f"{at}.value", "is a function_call that is not an object with name and arguments")
                tool_calls.append(function_call(item, calls, f"{at}.value"))
                calls += 1
            pending.extend(c["id"] for c in tool_calls)
            out.append(message("assistant", None, tool_calls=tool_calls))
            continue
        if value is None:
            raise bad(f"{at}.value", "is missing")
        content = value if type(value) is str else text_content(value, f"{at}.value")
        role = SHAREGPT_ROLES.get(speaker, speaker)
        if role == "tool":
            out.append(message("tool", content, tool_call_id=pending.pop(0) if pending else None))
        else:
            out.append(message(role, content))
    return out


def any_messages(value: Any, where: str, default_role: str) -> list[dict[str, Any]]:
    """A string (one ``default_role`` message), one message object, or a list of either dialect."""
    if type(value) is str:
        return [message(default_role, value)]
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
        if all("from" in m for m in value):
            return sharegpt_messages(value, where)
        return openai_messages(value, where)
    if isinstance(value, list) and not value:
        raise bad(where, "is empty")
    raise bad(where, "is missing" if value is None else
              f"is {type_name(value)}, expected a string, a message or a list of messages")


def tools_text(value: Any, where: str = "tools") -> str | None:
    """Function schemas as canonical JSON text (parsed first when given as a JSON string)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad(where, "is a string that is not valid JSON") from None
    if not isinstance(value, (list, dict)):
        raise bad(where, f"is {type_name(value)}, expected a list of function schemas")
    if not value:
        return None
    try:
        return hashing.canonical_json(value)
    except (TypeError, ValueError):
        raise bad(where, "cannot be written as JSON") from None


def has_system(messages: Sequence[dict[str, Any]]) -> bool:
    return any(m["role"] == "system" for m in messages)
