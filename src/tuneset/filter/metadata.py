"""Metadata predicates: drop examples by their source fields, written as structured config.

A predicate is data, never code (nothing is ``eval``-ed)::

    {field: csat, op: lt, value: 3}                       # one comparison
    {any: [{field: csat, op: lt, value: 3},               # any / all of a list, not of one
           {field: agent_to_agent, op: eq, value: true},
           {field: created_at, op: lt, value: "2024-01-01"}]}

Fields are resolved by :mod:`tuneset.filter.fields` (labels, then the meta JSON, or a canonical
column). Operators:

- ``eq``, ``ne``, ``in``, ``not_in``: numbers compare as numbers, ``true``/``false`` as booleans
  ("True", "yes", "1" count as true), anything else as text;
- ``lt``, ``le``, ``gt``, ``ge``: numbers as numbers, ISO dates and times (``2024-01-01``,
  ``2026-01-05T09:52:00Z``) as instants (UTC when no zone is given), else never true;
- ``contains`` (case-insensitive substring), ``matches`` (regular expression search);
- ``exists``, ``missing`` (no value, or an empty string).

A missing value satisfies no comparison (only ``missing``), so an example without a ``csat`` is
never dropped by ``csat lt 3``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tuneset.filter.engine import FilterRule
from tuneset.filter.fields import Fields
from tuneset.rules import register

COMPARE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "matches")
OPS = COMPARE_OPS + ("exists", "missing")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def _instant(v: Any) -> dt.datetime | None:
    if isinstance(v, dt.datetime):
        value = v
    elif isinstance(v, dt.date):
        value = dt.datetime(v.year, v.month, v.day)
    elif isinstance(v, str) and len(v) >= 10 and v[4:5] == "-":
        try:
            value = dt.datetime.fromisoformat(v.strip())
        except ValueError:
            return None
    else:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    return None


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (isinstance(v, float) and v != v)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(b, bool) or isinstance(a, bool):
        x, y = _bool(a), _bool(b)
        return x is not None and x == y
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return x == y
    return str(a) == str(b)


def _order(a: Any, b: Any) -> int | None:
    """-1, 0, 1 comparing a with b, or None when they are not comparable."""
    x, y = _number(a), _number(b)
    if x is None or y is None:
        x, y = _instant(a), _instant(b)  # type: ignore[assignment]
        if x is None or y is None:
            return None
    return (x > y) - (x < y)  # type: ignore[operator]


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    value: Any = None
    pattern: re.Pattern[str] | None = None

    def test(self, v: Any) -> bool:
        if self.op == "missing":
            return _missing(v)
        if self.op == "exists":
            return not _missing(v)
        if _missing(v):
            return False
        if self.op == "eq":
            return _equal(v, self.value)
        if self.op == "ne":
            return not _equal(v, self.value)
        if self.op == "in":
            return any(_equal(v, x) for x in self.value)
        if self.op == "not_in":
            return not any(_equal(v, x) for x in self.value)
        if self.op == "contains":
            return str(self.value).casefold() in str(v).casefold()
        if self.op == "matches":
            return self.pattern is not None and self.pattern.search(str(v)) is not None
        c = _order(v, self.value)
        if c is None:
            return False
        return {"lt": c < 0, "le": c <= 0, "gt": c > 0, "ge": c >= 0}[self.op]


def _plain_value(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def parse_predicate(spec: Any, where: str = "drop_if") -> Any:
    """A validated predicate tree from config: a :class:`Leaf`, or ``("all"|"any", [...])`` or
    ``("not", node)``. Errors name the place in the tree."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: a predicate is a mapping {{field, op, value}} or {{all|any: [...]}} or {{not: ...}}, "
                         f"got {type(spec).__name__}")
    keys = set(spec)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                raise ValueError(f"{where}: {combinator} cannot be mixed with {sorted(keys - {combinator})}")
            items = spec[combinator]
            if not isinstance(items, Sequence) or isinstance(items, str) or not items:
                raise ValueError(f"{where}.{combinator}: needs a non-empty list of predicates")
            return (combinator, [parse_predicate(s, f"{where}.{combinator}[{i}]") for i, s in enumerate(items)])
    if "not" in keys:
        if keys != {"not"}:
            raise ValueError(f"{where}: not cannot be mixed with {sorted(keys - {'not'})}")
        return ("not", parse_predicate(spec["not"], f"{where}.not"))
    unknown = keys - {"field", "op", "value"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; a comparison has field, op and value")
    name, op = spec.get("field"), spec.get("op")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.field: needs a field name (a label, a meta key or a column)")
    if op not in OPS:
        raise ValueError(f"{where}.op: {op!r} is not one of {', '.join(OPS)}")
    value = _plain_value(spec.get("value"))
    if op in COMPARE_OPS and "value" not in spec:
        raise ValueError(f"{where}.value: {op} needs a value")
    if op in ("in", "not_in"):
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise ValueError(f"{where}.value: {op} needs a list")
        value = [_plain_value(v) for v in value]
    pattern = None
    if op == "matches":
        try:
            pattern = re.compile(str(value))
        except re.error as exc:
            raise ValueError(f"{where}.value: not a valid regular expression: {exc}") from None
    if op in ("lt", "le", "gt", "ge") and _number(value) is None and _instant(value) is None:
        raise ValueError(f"{where}.value: {op} compares numbers or ISO dates, got {value!r}")
    return Leaf(name, op, value, pattern)


def evaluate_predicate(node: Any, fields: Fields) -> np.ndarray:
    """A boolean per row: does the predicate hold."""
    n = len(fields.df)
    if isinstance(node, Leaf):
        return np.fromiter((node.test(v) for v in fields.values(node.field)), dtype=bool, count=n)
    kind, arg = node
    if kind == "not":
        return ~evaluate_predicate(arg, fields)
    parts = [evaluate_predicate(p, fields) for p in arg]
    out = parts[0].copy()
    for p in parts[1:]:
        out = (out & p) if kind == "all" else (out | p)
    return out


def describe_predicate(node: Any) -> str:
    """The predicate as text (config values only, never a row's)."""
    if isinstance(node, Leaf):
        return f"{node.field} {node.op}" + ("" if node.op in ("exists", "missing") else f" {node.value!r}")
    kind, arg = node
    if kind == "not":
        return f"not ({describe_predicate(arg)})"
    return f"{kind}(" + "; ".join(describe_predicate(p) for p in arg) + ")"


@register
@dataclass(frozen=True)
class Metadata(FilterRule):
    """Drop examples whose source fields match ``drop_if``: a structured predicate
    ``{field, op, value}`` (ops eq, ne, lt, le, gt, ge, in, not_in, contains, matches, exists,
    missing), or ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}`` of them. Fields are labels,
    meta keys (``meta.a.b`` for nested ones) or canonical columns; dates compare as instants.
    Examples: low CSAT ``{field: csat, op: lt, value: 3}``, stale policies ``{field: created_at,
    op: lt, value: "2024-01-01"}``. Never evaluated as code. Score: 1 when the predicate holds."""

    name: ClassVar[str] = "metadata"
    drop_if: dict[str, Any] = field(default_factory=lambda: {"field": "labels.quality", "op": "eq", "value": "bad"},
                                    metadata={"help": "the predicate; matching examples are dropped"})

    def __post_init__(self):
        parse_predicate(self.drop_if)

    def score(self, df):
        node = parse_predicate(self.drop_if)
        return pd.Series(evaluate_predicate(node, Fields(df)).astype("int64"), index=df.index, dtype="int64")

    def keep(self, score):
        return score == 0

    def threshold(self):
        return {"drop_if": describe_predicate(parse_predicate(self.drop_if))}

    def reason(self, score, row):
        return f"source fields match the metadata predicate {describe_predicate(parse_predicate(self.drop_if))}"
