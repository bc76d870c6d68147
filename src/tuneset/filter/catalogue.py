"""The rule catalogue (``tuneset rules``): every registered rule, generated from its class.

A rule's name, version and stage are its class variables, its documentation is its docstring, and
its parameters are its dataclass fields (type, default, and the ``help`` of the field metadata when
given). Nothing here is written by hand, so the catalogue cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import textwrap
import typing
from typing import Any

from tuneset.rules import REGISTRY, Rule

# Modules that register rules, by stage, in pipeline order (importing them fills the registry).
RULE_MODULES = {
    "ingest": ("tuneset.audit.exclude", "tuneset.ingest.rules"),
    "normalize": ("tuneset.normalize",),
    "scrub": ("tuneset.scrub.core",),  # imports Presidio and spaCy: seconds
    "filter": ("tuneset.filter",),
    "dedup": ("tuneset.dedup.rules",),
    "decontaminate": ("tuneset.decontaminate.rules",),
    "split": ("tuneset.split",),
}
STAGE_ORDER = ("ingest", "normalize", "scrub", "filter", "dedup", "decontaminate", "split", "export")


def load_rules(stage: str | None = None) -> dict[str, type[Rule]]:
    """The registry after importing the modules that register the rules of ``stage`` (every stage
    when None); a module that cannot be imported is skipped."""
    modules = [m for s, ms in RULE_MODULES.items() if stage is None or s == stage for m in ms]
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - every module ships with tuneset
            continue
    return dict(REGISTRY)


def _type_text(hint: Any) -> str:
    text = getattr(hint, "__name__", None) if not typing.get_args(hint) else None
    return text or str(hint).replace("typing.", "")


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def describe(cls: type[Rule]) -> dict[str, Any]:
    """One catalogue entry: name, version, stage, doc and parameters of a rule class."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - unresolvable annotations: show them as written
        hints = {}
    params = []
    for f in dataclasses.fields(cls):
        params.append({"name": f.name, "type": _type_text(hints.get(f.name, f.type)),
                       "default": _default(f), "help": f.metadata.get("help", "")})
    return {"rule": cls.name, "version": cls.version, "stage": cls.stage or "",
            "doc": inspect.getdoc(cls) or "", "params": params}


def catalogue(stage: str | None = None) -> list[dict[str, Any]]:
    """Every registered rule (of ``stage`` when given), in pipeline order, then by name."""
    rules = load_rules(stage)
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    entries = [describe(cls) for cls in rules.values() if stage is None or cls.stage == stage]
    return sorted(entries, key=lambda e: (order.get(e["stage"], len(order)), e["stage"], e["rule"]))


def _value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)


def format_text(entries: list[dict[str, Any]], width: int = 100) -> str:
    """The catalogue as plain text, grouped by stage."""
    lines: list[str] = []
    stage = None
    for e in entries:
        if e["stage"] != stage:
            stage = e["stage"]
            lines += ["", f"== {stage or '(no stage)'} =="]
        lines += ["", f"{e['rule']}  (version {e['version']})"]
        lines += textwrap.indent(e["doc"], "    ").splitlines()
        if e["params"]:
            lines.append("    parameters:")
            for p in e["params"]:
                default = _value(p["default"])
                if len(default) > 60:
                    default = default[:57] + "..."
                lines.append(f"      {p['name']}: {p['type']} = {default}")
                if p["help"]:
                    lines += textwrap.wrap(p["help"], width=width, initial_indent="          ",
                                           subsequent_indent="          ")
    return "\n".join(lines).lstrip("\n") + "\n"


def format_markdown(entries: list[dict[str, Any]]) -> str:
    """The catalogue as Markdown (one section per rule, a parameter table each)."""
    out: list[str] = ["# Rule catalogue", ""]
    stage = None
    for e in entries:
        if e["stage"] != stage:
            stage = e["stage"]
            out += [f"## {stage or '(no stage)'}", ""]
        out += [f"### `{e['rule']}` (version {e['version']})", "", e["doc"], ""]
        if e["params"]:
            out += ["| parameter | type | default | meaning |", "|---|---|---|---|"]
            for p in e["params"]:
                default = _value(p["default"]).replace("|", "\\|")
                out.append(f"| `{p['name']}` | {p['type'].replace('|', 'or')} | `{default}` | {p['help']} |")
            out.append("")
    return "\n".join(out)


def format_json(entries: list[dict[str, Any]]) -> str:
    return json.dumps(entries, indent=2, ensure_ascii=False, default=str) + "\n"
