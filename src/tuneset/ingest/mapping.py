"""A source's column mapping: rename fields before shape detection, then attach group, labels,
meta and the source's system prompt to each parsed example."""

from __future__ import annotations

from typing import Any

from tuneset import hashing
from tuneset.config import SourceConfig
from tuneset.ingest.messages import has_system
from tuneset.records import Parsed, message


def _as_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return hashing.canonical_json(value)
    return str(value)


class Mapper:
    """What one SourceConfig does to every record of its files."""

    def __init__(self, spec: SourceConfig, format: str) -> None:  # noqa: A002 - the config's name
        self.fields = {canon: src for canon, src in spec.fields.items() if canon != src}
        if format == "prompt_completion":
            # question/answer are prompt/completion under another name when the format says so.
            self.aliases = {"prompt": "question", "completion": "answer"}
        else:
            self.aliases = {}
        self.group_key = spec.group_key
        self.labels = list(spec.labels)
        self.system = spec.system
        self.skip = frozenset(([spec.group_key] if spec.group_key else []) + self.labels)

    def remap(self, rec: dict[str, Any]) -> dict[str, Any]:
        """The record with each mapped source field moved to its canonical name."""
        if not self.fields and not self.aliases:
            return rec
        out = dict(rec)
        for canon, src in self.fields.items():
            if src in out:
                out[canon] = out.pop(src)
        for canon, src in self.aliases.items():
            if canon not in out and src in out:
                out[canon] = out.pop(src)
        return out

    def describe_missing(self, field: str) -> str:
        """'prompt (mapped from Question)' when the field comes from the mapping."""
        src = self.fields.get(field.split(".", 1)[0].split("[", 1)[0])
        return f" (mapped from source field {src[:60]!r})" if src else ""

    def finish(self, parsed: Parsed, original: dict[str, Any], mapped: dict[str, Any], consumed: frozenset[str]) -> None:
        """Group, labels, meta and system prompt of one parsed example, in place."""
        if self.group_key:
            group = _as_text(original.get(self.group_key))
            if group is not None:
                parsed.group_id = group
        for name in self.labels:
            value = _as_text(original.get(name))
            if value is not None:
                parsed.labels[name] = value
        rest = {k: v for k, v in mapped.items() if k not in consumed and k not in self.skip}
        if rest:
            parsed.meta = {**rest, **parsed.meta}
        if self.system and not has_system(parsed.messages):
            parsed.messages.insert(0, message("system", self.system))
