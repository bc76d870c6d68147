"""Examples as chat bubbles: one style per role; preference pairs show chosen beside rejected."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tuneset import schema as col
from tuneset.preview import scrub_patterns
from tuneset.report import tally
from tuneset.report.html import Safe, fmt_int, h, short_id, truncate

BUBBLE_CHARS = 1500
TOOL_CALL_CHARS = 800
MAX_MESSAGES = 24


def _text(text: str, limit: int, scrub: bool) -> tuple[str, int]:
    if scrub:
        text = scrub_patterns(text)
    return truncate(text, limit)


def _more(n: int) -> Safe | None:
    return h("p", f"… ({fmt_int(n)} more characters)", class_="more") if n else None


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


def bubble(m: Mapping[str, Any], *, scrub: bool) -> Safe:
    """One message: role (and name / tool_call_id) above its content, long text cut with a note."""
    role = str(m.get("role") or "unknown")
    cls = role if role in col.ROLES else "other"
    head = [h("span", role, class_="role")]
    if m.get("name"):
        head.append(h("span", m.get("name"), class_="who"))
    if m.get("tool_call_id"):
        head.append(h("span", "call ", h("code", m.get("tool_call_id")), class_="who"))
    parts = [h("div", head, class_="msg-head")]
    content = m.get("content")
    if content:
        text, cut = _text(str(content), BUBBLE_CHARS, scrub)
        parts += [h("div", text, class_="content"), _more(cut)]
    elif not m.get("tool_calls"):
        parts.append(h("div", "(empty)", class_="content empty"))
    if m.get("tool_calls"):
        text, cut = _text(_pretty_json(str(m.get("tool_calls"))), TOOL_CALL_CHARS, scrub)
        parts += [h("div", "tool calls", class_="sub"), h("pre", text, class_="tool-calls"), _more(cut)]
    return h("div", parts, class_=f"msg {cls}")


def thread(messages: Sequence[Mapping[str, Any]] | None, *, scrub: bool) -> Safe:
    ms = [m for m in (messages or ()) if isinstance(m, Mapping)]
    if not ms:
        return h("div", h("p", "(no messages)", class_="note muted"), class_="thread")
    shown = [bubble(m, scrub=scrub) for m in ms[:MAX_MESSAGES]]
    if len(ms) > MAX_MESSAGES:
        shown.append(h("p", f"… ({fmt_int(len(ms) - MAX_MESSAGES)} more messages)", class_="more"))
    return h("div", shown, class_="thread")


def example_card(row: Mapping[str, Any], *, scrub: bool) -> Safe:
    """An example with its identity, provenance and labels above the conversation."""
    kind = str(row.get(col.KIND) or "")
    where = f"{row.get(col.SOURCE_FILE) or '?'}:{row.get(col.LOCATOR) or '?'}"
    meta = [
        h("span", kind or "?", class_=f"badge kind-{kind}" if kind in col.KINDS else "badge"),
        h("span", "example ", short_id(row.get(col.EXAMPLE_ID))),
        h("span", "source ", h("strong", row.get(col.SOURCE) or "?")),
        h("span", h("code", where)),
    ]
    n_tokens = tally.int_or_none(row.get(col.N_TOKENS))
    if n_tokens is not None:
        meta.append(h("span", f"{fmt_int(n_tokens)} tokens"))
    labels = tally.as_dict(row.get(col.LABELS))
    chips = [h("span", h("b", k), "=", "" if labels[k] is None else labels[k], class_="chip") for k in sorted(labels)]
    body: list[Safe] = []
    if kind == "preference":
        body.append(h("div", "Prompt", class_="sub"))
        body.append(thread(row.get(col.MESSAGES), scrub=scrub))
        body.append(h("div",
                      h("div", h("div", "Chosen", class_="sub"), thread(row.get(col.CHOSEN), scrub=scrub),
                        class_="side chosen"),
                      h("div", h("div", "Rejected", class_="sub"), thread(row.get(col.REJECTED), scrub=scrub),
                        class_="side rejected"),
                      class_="pref"))
    else:
        body.append(thread(row.get(col.MESSAGES), scrub=scrub))
    return h("article", h("div", meta, class_="ex-meta"), h("div", chips, class_="chips") if chips else None,
             body, class_="example")
