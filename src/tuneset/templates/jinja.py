"""A user's chat template from a ``.jinja`` file (the Hugging Face ``chat_template`` dialect).

The template is rendered in Jinja's immutable sandbox with the variables Hugging Face templates
expect: ``messages`` (tool calls as ``{"type", "id", "function": {"name", "arguments"}}`` with the
arguments parsed), ``tools``, ``add_generation_prompt`` (false), ``bos_token`` and ``eos_token``
(empty unless given), ``raise_exception`` and a ``tojson`` filter that keeps non-ASCII text.
``strftime_now`` returns a fixed date (2024-01-01) so renders never depend on the clock.

Trained spans: if the template wraps assistant output in ``{% generation %}...{% endgeneration %}``
(Hugging Face's convention for assistant masks), the k-th block is the k-th assistant turn.
Otherwise each assistant turn's content is found in the rendered text, in order, and the control
token right after it (an end-of-turn marker) is trained with it. An assistant turn the template
does not print verbatim is not trained: the ``trained_tokens`` filter rule then reports it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tuneset.templates.base import Piece, Rendered, parse_json, tool_calls_of, tool_list

# Noncharacters (never valid in interchange; the control_characters rule rejects them in content).
OPEN, CLOSE = "\ufdd0", "\ufdd1"
_GENERATION_TAG = re.compile(r"\{%-?\s*generation\s*-?%\}")
_FIXED_DATE = dt.datetime(2024, 1, 1)


class _Generation(Extension):
    tags = {"generation"}

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_wrap"), [], [], body).set_lineno(lineno)

    def _wrap(self, caller: Any) -> str:
        return OPEN + caller() + CLOSE


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)


def _raise(message: str) -> None:
    raise TemplateError(message)


class TemplateRenderError(ValueError):
    """The user's template raised (``raise_exception``) or failed on an example."""


def hf_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Canonical messages in the shape Hugging Face templates read."""
    out = []
    for m in messages:
        msg: dict[str, Any] = {"role": m.get("role"), "content": m.get("content")}
        if m.get("name"):
            msg["name"] = m["name"]
        if m.get("tool_call_id"):
            msg["tool_call_id"] = m["tool_call_id"]
        calls = tool_calls_of(m)
        if calls:
            msg["tool_calls"] = [{"type": "function", "id": c["id"],
                                  "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls]
        out.append(msg)
    return out


class JinjaTemplate:
    """A chat template read from Jinja source; ``markers`` are the strings counted as control tokens."""

    def __init__(self, source: str, name: str = "custom.jinja", markers: Iterable[str] = (),
                 bos_token: str = "", eos_token: str = "") -> None:
        self.name = name
        self.markers = tuple(sorted(set(markers) | ({bos_token, eos_token} - {""}), key=lambda s: (-len(s), s)))
        self.bos_token, self.eos_token = bos_token, eos_token
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[_Generation])
        env.filters["tojson"] = _tojson
        env.globals["raise_exception"] = _raise
        env.globals["strftime_now"] = _FIXED_DATE.strftime
        self._template = env.from_string(source)
        self.uses_generation = bool(_GENERATION_TAG.search(source))
        self._marker_re = re.compile("|".join(re.escape(m) for m in self.markers)) if self.markers else None

    def render(self, messages: Sequence[Mapping[str, Any]], tools: str | None = None,
               train_from: int = 0) -> Rendered:
        schemas = tool_list(tools)
        try:
            raw = self._template.render(messages=hf_messages(messages), tools=schemas or None,
                                        add_generation_prompt=False, bos_token=self.bos_token,
                                        eos_token=self.eos_token)
        except TemplateError as exc:
            raise TemplateRenderError(f"template {self.name} failed: {exc}") from None
        assistant_idx = [j for j, m in enumerate(messages) if m.get("role") == "assistant"]
        if self.uses_generation:
            text, spans = _strip_generation(raw, [j >= train_from for j in assistant_idx])
        else:
            text = raw.replace(OPEN, "").replace(CLOSE, "")
            spans = self._find_answers(text, [messages[j] for j in assistant_idx],
                                       [j >= train_from for j in assistant_idx])
        return Rendered(self._pieces(text, spans), exact_boundaries=False)

    def _find_answers(self, text: str, answers: Sequence[Mapping[str, Any]], trained: Sequence[bool]) -> list[tuple[int, int]]:
        spans, cursor = [], 0
        for m, train in zip(answers, trained):
            content = m.get("content")
            if not isinstance(content, str) or not content:
                continue
            at = text.find(content, cursor)
            if at < 0:
                continue
            end = at + len(content)
            cursor = end
            if self._marker_re is not None:
                nxt = self._marker_re.match(text, end)
                if nxt:
                    end = nxt.end()
            if train:
                spans.append((at, end))
        return spans

    def _pieces(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Piece]:
        cuts = {0, len(text)}
        for a, b in spans:
            cuts.update((a, b))
        markers: list[tuple[int, int]] = []
        if self._marker_re is not None:
            for m in self._marker_re.finditer(text):
                markers.append((m.start(), m.end()))
                cuts.update((m.start(), m.end()))
        marker_starts = {a: b for a, b in markers}
        points = sorted(cuts)
        pieces: list[Piece] = []
        for a, b in zip(points, points[1:]):
            if a == b:
                continue
            train = any(s <= a and b <= e for s, e in spans)
            special = marker_starts.get(a) == b
            if not special and pieces and not pieces[-1][1] and pieces[-1][2] == train:
                pieces[-1] = (pieces[-1][0] + text[a:b], False, train)
            else:
                pieces.append((text[a:b], special, train))
        return pieces


def _strip_generation(raw: str, trained: Sequence[bool]) -> tuple[str, list[tuple[int, int]]]:
    """Remove the generation sentinels; the spans of the blocks whose assistant turn is trained."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = length = block = 0
    start = None
    for m in re.finditer(f"[{OPEN}{CLOSE}]", raw):
        chunk = raw[pos:m.start()]
        out.append(chunk)
        length += len(chunk)
        if m.group() == OPEN:
            start = length
        elif start is not None:
            if block < len(trained) and trained[block]:
                spans.append((start, length))
            block += 1
            start = None
        pos = m.end()
    out.append(raw[pos:])
    return "".join(out), spans


def load(path: str, markers: Iterable[str] = ()) -> JinjaTemplate:
    """A template from a ``.jinja`` file (path relative to the working directory, i.e. the repo root)."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"target.template: {path} not found; give a path to a .jinja file relative to the repo root")
    return JinjaTemplate(p.read_text(encoding="utf-8"), name=p.name, markers=markers)


__all__ = ["JinjaTemplate", "TemplateRenderError", "hf_messages", "load", "parse_json"]
