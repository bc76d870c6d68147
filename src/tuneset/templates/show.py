"""``tuneset show``: an example rendered with a chat template, trained spans marked.

This is the "what gets trained" view trainers hide: it shows the exact text the template produces,
which spans carry the loss, and how many tokens each part is, so "all labels masked" or an
untrained end-of-turn token is visible before any training run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tuneset import schema as col
from tuneset import tokens as tok
from tuneset.templates import Rendered, Template

_HEX = re.compile(r"^[0-9a-f]{8,64}$")
GREEN, DIM, RESET = "\x1b[32;1m", "\x1b[2m", "\x1b[0m"


def find_example(df: pd.DataFrame, ident: str) -> dict[str, Any]:
    """The one example whose example_id or origin_id starts with ``ident`` (at least 8 hex characters)."""
    ident = ident.strip().lower()
    if not _HEX.match(ident):
        raise LookupError(f"{ident!r}: give an example_id or origin_id, or a unique prefix of at least 8 hex characters")
    mask = df[col.EXAMPLE_ID].astype(str).str.startswith(ident) | df[col.ORIGIN_ID].astype(str).str.startswith(ident)
    hits = df[mask]
    if hits.empty:
        raise LookupError(f"no example has an example_id or origin_id starting with {ident}")
    if hits[col.ORIGIN_ID].nunique() > 1:
        raise LookupError(f"{ident} is ambiguous: {hits[col.ORIGIN_ID].nunique()} examples match; give more characters")
    return hits.iloc[0].to_dict()


def renders(record: Mapping[str, Any], template: Template) -> list[tuple[str, Rendered]]:
    """The sequences a trainer sees: one for SFT, prompt+chosen and prompt+rejected for a pair."""
    messages = list(record[col.MESSAGES] or ())
    tools = record.get(col.TOOLS)
    if record[col.KIND] != "preference":
        return [("sft", template.render(messages, tools))]
    n = len(messages)
    return [(side, template.render(messages + list(record.get(side) or ()), tools, n))
            for side in (col.CHOSEN, col.REJECTED)]


def _token_lines(rendered: Rendered, counter: tok.TokenCounter) -> list[str]:
    lines = []
    for text, special, trained in rendered.pieces:
        ids = [None] if special else counter.tokens(text)
        for t in ids:
            shown = text if t is None else counter.decode_one(t)
            label = "train" if trained else "  -  "
            lines.append(f"  {label}  {'special' if t is None else t:>7}  {shown!r}")
    return lines


def format_example(record: Mapping[str, Any], template: Template, counter: tok.TokenCounter, *,
                   color: bool = False, token_view: bool = False) -> str:
    """The printable view of one example."""
    out = [f"example {record[col.EXAMPLE_ID]}",
           f"origin  {record[col.ORIGIN_ID]}  ({record[col.KIND]}, {record.get(col.SOURCE_FILE)} {record.get(col.LOCATOR)})"]
    for label, r in renders(record, template):
        total, trained = counter.count_rendered(r)
        share = f"{trained / total:.1%}" if total else "0%"
        title = f"{label}: " if label != "sft" else ""
        out.append("")
        out.append(f"{title}{template.name} template, {counter.name}: {total:,} tokens, {trained:,} trained ({share})")
        if not trained:
            out.append("WARNING: no trained tokens: every label of this example would be masked")
        if color:
            out.append(f"(trained spans in {GREEN}bold green{RESET}, control tokens dimmed)")
            body = "".join(f"{GREEN}{t}{RESET}" if tr else (f"{DIM}{t}{RESET}" if sp else t) for t, sp, tr in r.pieces)
        else:
            out.append("(trained spans are between \u27e6 and \u27e7)")
            body = r.marked()
        out.append("-" * 72)
        out.append(body)
        out.append("-" * 72)
        if token_view:
            out.append("  label       id  token")
            out.extend(_token_lines(r, counter))
    return "\n".join(out)
