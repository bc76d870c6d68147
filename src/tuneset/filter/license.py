"""License: keep only examples whose source license may be used for this model.

Every example carries its source's license note (``sources.<name>.license``, ``unknown`` when not
declared). Patterns are shell-style globs, case-insensitive (``CC-BY-NC*``, ``internal:*``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from tuneset import schema as col
from tuneset.filter.engine import FilterRule, param
from tuneset.rules import register


def _matches(value: str, patterns: list[str]) -> bool:
    v = value.casefold()
    return any(fnmatch.fnmatchcase(v, p.casefold()) for p in patterns)


@register
@dataclass(frozen=True)
class License(FilterRule):
    """The example's source license is allowed: it matches a pattern of ``allow`` (empty: any
    license) and none of ``deny``. Patterns are case-insensitive globs, e.g. deny ``*-NC*`` to keep
    non-commercial data out of a commercial model, or allow ``[MIT, Apache-2.0, CC-BY-4.0,
    "internal:*"]``. A source without a declared license has the license ``unknown``.
    Score: 1 when allowed, 0 when not."""

    name: ClassVar[str] = "license"
    allow: list[str] = param((), "license patterns allowed (empty: every license not denied)")
    deny: list[str] = param((), "license patterns refused, even when allowed")

    def _allowed(self, value: Any) -> bool:
        v = value if isinstance(value, str) and value else "unknown"
        return (not self.allow or _matches(v, self.allow)) and not _matches(v, self.deny)

    def score(self, df):
        values = df[col.LICENSE].tolist() if col.LICENSE in df.columns else ["unknown"] * len(df)
        verdict = {v: int(self._allowed(v)) for v in set(values)}  # few distinct licenses: decide each once
        return pd.Series([verdict[v] for v in values], index=df.index, dtype="int64")

    def keep(self, score):
        return score == 1

    def threshold(self):
        return {"allow": list(self.allow), "deny": list(self.deny)}

    def reason(self, score, row):
        lic = row.get(col.LICENSE) or "unknown"
        why = "matches a denied pattern" if _matches(str(lic), self.deny) else "matches no allowed pattern"
        return f"source license {str(lic)[:80]!r} {why}"
