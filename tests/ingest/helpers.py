"""Small assertions helpers shared by the ingest tests."""

from __future__ import annotations

import collections

from tuneset.ingest import FileResult


def rules_of(result: FileResult) -> dict[str, int]:
    return dict(collections.Counter(q["rule"] for q in result.quarantine))


def locators(rows: list[dict]) -> list[str]:
    return [r["locator"] for r in rows]


def roles(messages: list[dict] | None) -> list[str]:
    return [m["role"] for m in messages or ()]
