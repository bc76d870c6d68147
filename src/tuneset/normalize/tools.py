"""Tool calling: declarations, calls and results must fit together the way trainers expect.

Tool declarations (``tools``) are OpenAI function schemas, ``{"type": "function", "function":
{"name", "description", "parameters"}}``, or the bare ``{"name", "parameters"}`` of the legacy
``functions`` list. A call in ``tool_calls`` is ``{"id", "type": "function", "function": {"name",
"arguments"}}`` with ``arguments`` JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tuneset import schema as col
from tuneset.normalize.base import Facts, StructureRule, located_messages
from tuneset.normalize.jsonschemas import check_schema, first_error
from tuneset.rules import register


def _loads(text: Any) -> tuple[Any, str | None]:
    if not isinstance(text, str):
        return text, None
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"is not valid JSON ({getattr(exc, 'msg', 'parse error')} at line "\
                     f"{getattr(exc, 'lineno', '?')} column {getattr(exc, 'colno', '?')})"


def declared_tools(record: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """``{name: parameters schema or None}`` of the record's tools (None when it declares none),
    or the reason the declarations are malformed."""
    text = record.get(col.TOOLS)
    if not text:
        return None, None
    tools, err = _loads(text)
    if err:
        return None, f"tools {err}"
    if isinstance(tools, dict):
        tools = [tools]
    if not isinstance(tools, list):
        return None, "tools is not a list of function declarations"
    out: dict[str, Any] = {}
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) and isinstance(t.get("function"), dict) else t
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"].strip():
            return None, f"tool {i} has no function.name"
        name = fn["name"]
        if name in out:
            return None, f"tool {name!r} is declared twice"
        params = fn.get("parameters")
        if params is not None:
            why = check_schema(params)
            if why:
                return None, f"tool {name!r} parameters {why}"
        out[name] = params
    return out, None


def parsed_calls(m: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The message's calls as ``{"id", "name", "arguments"}`` (arguments parsed), or why they are malformed."""
    raw = m.get("tool_calls")
    if not raw:
        return [], None
    calls, err = _loads(raw)
    if err:
        return [], f"tool_calls {err}"
    if not isinstance(calls, list) or not calls:
        return [], "tool_calls is not a non-empty list"
    out = []
    for k, c in enumerate(calls):
        if not isinstance(c, dict):
            return [], f"tool call {k} is not an object"
        fn = c.get("function")
        if not isinstance(fn, dict):
            return [], f"tool call {k} has no function object"
        name = fn.get("name")
        if not isinstance(name, str) or not name.strip():
            return [], f"tool call {k} has no function.name"
        if "arguments" not in fn:
            return [], f"tool call {k} ({name}) has no function.arguments"
        args, err = _loads(fn["arguments"])
        if err:
            return [], f"tool call {k} ({name}) arguments {err}"
        if not isinstance(args, dict):
            return [], f"tool call {k} ({name}) arguments are {type(args).__name__}, expected a JSON object"
        out.append({"id": c.get("id"), "name": name, "arguments": args})
    return out, None


def _has_tools(record: Mapping[str, Any]) -> bool:
    if record.get(col.TOOLS):
        return True
    return any(m.get("tool_calls") or m.get("role") == "tool" for _, m in located_messages(record))


@register
@dataclass(frozen=True)
class ToolsDeclaration(StructureRule):
    """``tools``, when present, is a list of function declarations with distinct, non-empty names,
    each ``parameters`` a valid JSON Schema."""

    name: ClassVar[str] = "tools_declaration"

    def needed(self, facts: Facts) -> bool:
        return facts.tools

    def check(self, record):
        return declared_tools(record)[1]


@register
@dataclass(frozen=True)
class ToolCallFormat(StructureRule):
    """Every tool call has ``function.name`` and ``function.arguments`` holding valid JSON (an object)."""

    name: ClassVar[str] = "tool_call_format"

    def needed(self, facts: Facts) -> bool:
        return facts.tools

    def check(self, record):
        for where, m in located_messages(record):
            if m.get("tool_calls"):
                if m.get("role") != "assistant":
                    return f"{where} has tool_calls; only assistant turns may call tools"
                err = parsed_calls(m)[1]
                if err:
                    return f"{where} {err}"
        return None


@register
@dataclass(frozen=True)
class ToolCallIds(StructureRule):
    """Each tool turn answers a call of the assistant turn just before it: its ``tool_call_id`` names
    one of that turn's calls (a missing id is accepted only when one call is pending, or when the
    tool turn's ``name`` names exactly one pending call). Calls have distinct ids, each call is
    answered once, and every call is answered before the conversation goes on."""

    name: ClassVar[str] = "tool_call_ids"

    def needed(self, facts: Facts) -> bool:
        return facts.tools

    def check(self, record):
        if not _has_tools(record):
            return None
        for side in (col.MESSAGES, col.CHOSEN, col.REJECTED):
            pending: dict[str, str] = {}
            for i, m in enumerate(record.get(side) or ()):
                where = f"{'message' if side == col.MESSAGES else side} {i}"
                role = m.get("role")
                if role == "tool":
                    why = _answer(pending, m)
                    if why:
                        return f"{where} (tool) {why}"
                    continue
                if pending:
                    return f"{where} ({role}) comes before call(s) {', '.join(sorted(pending))} were answered"
                calls = parsed_calls(m)[0]
                for k, c in enumerate(calls):
                    cid = c["id"]
                    if not isinstance(cid, str) or not cid:
                        return f"{where} tool call {k} ({c['name']}) has no id"
                    if cid in pending:
                        return f"{where} tool call id {cid!r} is used twice"
                    pending[cid] = c["name"]
        return None


def _answer(pending: dict[str, str], m: Mapping[str, Any]) -> str | None:
    cid = m.get("tool_call_id")
    if cid:
        if cid not in pending:
            return f"answers {cid!r}, which is not a pending call of the assistant turn before it"
        del pending[cid]
        return None
    if len(pending) == 1:
        pending.clear()
        return None
    named = [k for k, v in pending.items() if v == m.get("name")]
    if len(named) == 1:
        del pending[named[0]]
        return None
    return f"has no tool_call_id and {len(pending)} calls are pending" if pending else "answers no pending call"


@register
@dataclass(frozen=True)
class ToolCallDeclared(StructureRule):
    """When ``tools`` are declared, every call names one of them."""

    name: ClassVar[str] = "tool_call_declared"

    def needed(self, facts: Facts) -> bool:
        return facts.tools

    def check(self, record):
        declared, _ = declared_tools(record)
        if declared is None:
            return None
        for where, m in located_messages(record):
            for c in parsed_calls(m)[0]:
                if c["name"] not in declared:
                    return f"{where} calls {c['name']!r}, which is not a declared tool ({', '.join(sorted(declared))})"
        return None


@register
@dataclass(frozen=True)
class ToolCallArguments(StructureRule):
    """When ``tools`` are declared, every call's arguments validate against the called tool's
    ``parameters`` JSON Schema (jsonschema, the draft the schema names; 2020-12 by default)."""

    name: ClassVar[str] = "tool_call_arguments"

    def needed(self, facts: Facts) -> bool:
        return facts.tools

    def check(self, record):
        declared, _ = declared_tools(record)
        if not declared:
            return None
        for where, m in located_messages(record):
            for k, c in enumerate(parsed_calls(m)[0]):
                schema = declared.get(c["name"])
                if schema is None:
                    continue
                why = first_error(schema, c["arguments"])
                if why:
                    return f"{where} tool call {k} ({c['name']}) arguments fail the tool's JSON Schema {why}"
        return None
