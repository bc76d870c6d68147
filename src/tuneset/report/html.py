"""Escaping and tag helpers: the only way the data card turns values into markup.

Markup is a :class:`Safe` string. Anything else given to :func:`h` or :func:`frag` (data text,
numbers, label names...) is escaped with ``html.escape(quote=True)``, so untrusted text cannot turn
into markup by accident: a caller has to wrap it in :class:`Safe` on purpose, and only this
package's own constants (CSS, fixed strings) are.

Control characters and lone surrogates become visible escapes (``\\x00``, U+FFFD), and escaped
text also has ``://`` written as ``:&#47;&#47;``. A browser shows it as ``://``, but the page
bytes never hold a network URL, so "the card fetches nothing and links nowhere" stays checkable
with a plain substring test even when the data quotes URLs.
"""

from __future__ import annotations

import html as _stdlib_html
import re
from collections.abc import Iterable, Mapping
from typing import Any

# C0 controls but tab/newline/CR, DEL, and lone surrogates: shown as visible escapes, so the page is
# valid HTML and always encodes as UTF-8 whatever the data holds.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return "\ufffd" if code >= 0xD800 else f"\\x{code:02x}"


class Safe(str):
    """A string that is already markup; never escaped again."""

    __slots__ = ()


def esc(value: Any) -> Safe:
    """``value`` as text that is safe in an element body or a quoted attribute."""
    if isinstance(value, Safe):
        return value
    text = _UNPRINTABLE.sub(_visible, "" if value is None else str(value))
    return Safe(_stdlib_html.escape(text, quote=True).replace("://", ":&#47;&#47;"))


Child = Any  # Safe, plain text, a number, None (skipped) or an iterable of those


def _flatten(children: Iterable[Child]) -> Iterable[Safe]:
    for c in children:
        if c is None or c is False:
            continue
        if isinstance(c, str):  # Safe included
            yield esc(c)
        elif isinstance(c, (list, tuple)) or (isinstance(c, Iterable) and not isinstance(c, (bytes, Mapping))):
            yield from _flatten(c)
        else:
            yield esc(c)


def frag(*children: Child) -> Safe:
    """The children concatenated, text escaped."""
    return Safe("".join(_flatten(children)))


def attrs(**kwargs: Any) -> Safe:
    """` name="value"` pairs in the order given; ``class_`` → ``class``, ``_`` → ``-``; None/False skipped."""
    out = []
    for key, value in kwargs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return Safe("".join(out))


VOID = frozenset({"br", "hr", "meta", "img", "col"})


def h(tag: str, *children: Child, **kwargs: Any) -> Safe:
    """``<tag attrs>children</tag>``: children escaped unless :class:`Safe`."""
    open_ = f"<{tag}{attrs(**kwargs)}>"
    if tag in VOID:
        return Safe(open_)
    return Safe(f"{open_}{frag(*children)}</{tag}>")


def fmt_int(n: Any) -> str:
    """``1234`` → ``1,234``; anything that is not a number is shown as text."""
    if isinstance(n, bool):
        return str(n).lower()
    if isinstance(n, int):
        return f"{n:,}"
    if isinstance(n, float) and n.is_integer():
        return f"{int(n):,}"
    return str(n)


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 cluster``, ``2 clusters``, ``1,000 hits``."""
    return f"{fmt_int(n)} {word if n == 1 else (words or word + 's')}"


def fmt_share(part: int, whole: int) -> str:
    return "–" if whole <= 0 else f"{part / whole:.1%}"


def truncate(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters and how many were cut."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def table(header: Iterable[Child], rows: Iterable[Iterable[Child]], *, class_: str | None = None,
          numeric: Iterable[int] = (), row_classes: Iterable[str | None] | None = None) -> Safe:
    """A scrollable table; columns listed in ``numeric`` are right-aligned."""
    num = set(numeric)
    head = h("thead", h("tr", [h("th", c, class_="num" if i in num else None) for i, c in enumerate(header)]))
    classes = list(row_classes) if row_classes is not None else None
    body_rows = []
    for r_i, row in enumerate(rows):
        cells = [h("td", c, class_="num" if i in num else None) for i, c in enumerate(row)]
        body_rows.append(h("tr", cells, class_=classes[r_i] if classes else None))
    return h("div", h("table", head, h("tbody", body_rows), class_=class_), class_="table-wrap")


def kv_table(pairs: Iterable[tuple[Child, Child]]) -> Safe:
    return h("div", h("table", h("tbody", [h("tr", h("th", k, scope="row"), h("td", v)) for k, v in pairs]),
                      class_="kv"), class_="table-wrap")


def note(*children: Child, kind: str = "muted") -> Safe:
    return h("p", children, class_=f"note {kind}")


def code(text: Any) -> Safe:
    return h("code", text)


def short_id(value: Any, n: int = 12) -> Safe:
    """The first ``n`` hex digits of an id, the full id in a tooltip."""
    text = "" if value is None else str(value)
    if len(text) <= n:
        return h("code", text)
    return h("code", text[:n] + "…", title=text)
