"""Start-up checks of ``filter.labels``, ``filter.coverage`` and ``filter.balance`` beyond their types:
a bad regular expression or an impossible target is an error naming the key before any data is read."""

from __future__ import annotations

import re
from typing import Any

from tuneset.config import ConfigError

DERIVED = ("length_bucket", "has_tools", "turns", "kind", "origin", "source")
TAXONOMY_TEXTS = ("question", "prompt", "answer", "both")


def check_filter_config(cfg: Any) -> None:
    labels, coverage = cfg.labels, cfg.coverage
    unknown = sorted(set(labels.derived) - set(DERIVED))
    if unknown:
        raise ConfigError(f"filter.labels.derived: unknown label(s) {unknown}; known: {', '.join(DERIVED)}")
    edges = list(labels.length_edges)
    if any(e <= 0 for e in edges) or edges != sorted(set(edges)):
        raise ConfigError(f"filter.labels.length_edges: must be positive and strictly increasing, got {edges}")
    if labels.max_turns < 1:
        raise ConfigError(f"filter.labels.max_turns: must be at least 1, got {labels.max_turns}")
    for name, source in labels.fields.items():
        if not name or not source:
            raise ConfigError(f"filter.labels.fields: label and source field names must not be empty ({name!r}: {source!r})")
    for name, tax in labels.taxonomies.items():
        where = f"filter.labels.taxonomies.{name}"
        if tax.text not in TAXONOMY_TEXTS:
            raise ConfigError(f"{where}.text: {tax.text!r} is not one of {', '.join(TAXONOMY_TEXTS)}")
        if not tax.classes:
            raise ConfigError(f"{where}.classes: needs at least one class")
        for i, c in enumerate(tax.classes):
            if not c.value:
                raise ConfigError(f"{where}.classes[{i}].value: must not be empty")
            if not c.keywords and not c.patterns:
                raise ConfigError(f"{where}.classes[{i}] ({c.value}): needs keywords or patterns")
            for p in c.patterns:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ConfigError(f"{where}.classes[{i}].patterns: {p!r} is not a valid regular expression: {exc}") from None
    if coverage.max_values < 1 or coverage.pair_max_values < 1:
        raise ConfigError("filter.coverage.max_values and pair_max_values must be at least 1")
    for i, pair in enumerate(coverage.pairs):
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ConfigError(f"filter.coverage.pairs[{i}]: a pair names two different labels, got {list(pair)}")
    for i, t in enumerate(coverage.targets):
        where = f"filter.coverage.targets[{i}]"
        if not t.label:
            raise ConfigError(f"{where}.label: required (e.g. intent)")
        if t.by == t.label:
            raise ConfigError(f"{where}.by: must differ from label")
        if t.min_count < 0 or not 0.0 <= t.min_share <= 1.0 or (t.min_count == 0 and t.min_share == 0.0):
            raise ConfigError(f"{where}: set min_count (>= 1) or min_share (in (0, 1])")
        if t.by_values and not t.by:
            raise ConfigError(f"{where}.by_values: needs by")
    for i, b in enumerate(cfg.balance):
        where = f"filter.balance[{i}]"
        if not b.label:
            raise ConfigError(f"{where}.label: required")
        if b.max_count < 0 or not 0.0 <= b.max_share <= 1.0 or (b.max_count == 0 and b.max_share == 0.0):
            raise ConfigError(f"{where}: set max_count (>= 1) or max_share (in (0, 1])")
