"""Source fields of the examples, by name: what metadata predicates and label mappings read.

A source's extra fields live in two places: the ``labels`` map (the fields a source lists under
``labels``, copied by ingest) and the ``meta`` JSON text (every other field). A field path is:

- ``labels.NAME``: the label ``NAME``;
- ``meta.A.B``: key ``B`` of object ``A`` of the meta JSON;
- the name of a canonical column (``source``, ``origin``, ``license``, ``kind``, ``source_file``,
  ``group_id``, ``n_tokens``...): that column;
- any other ``NAME``: the label ``NAME`` when the example has it, else the meta key ``NAME``.

Missing values are ``None``. The meta JSON of a frame is parsed once, whatever the number of paths.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from tuneset import schema as col

COLUMNS = (col.SOURCE, col.ORIGIN, col.LICENSE, col.KIND, col.SOURCE_FILE, col.LOCATOR, col.GROUP_ID,
           col.ORIGIN_ID, col.EXAMPLE_ID, col.N_TOKENS)


def _meta_object(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text or text == "{}":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dig(obj: Any, keys: list[str]) -> Any:
    for k in keys:
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj


class Fields:
    """Field values of one frame, each path resolved once."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._labels: list[dict[str, Any]] | None = None
        self._meta: list[dict[str, Any]] | None = None
        self._cache: dict[str, list[Any]] = {}

    @property
    def labels(self) -> list[dict[str, Any]]:
        if self._labels is None:
            raw = self.df[col.LABELS].tolist() if col.LABELS in self.df.columns else [None] * len(self.df)
            self._labels = [dict(v) if v is not None and not isinstance(v, float) else {} for v in raw]
        return self._labels

    @property
    def meta(self) -> list[dict[str, Any]]:
        if self._meta is None:
            raw = self.df[col.META].tolist() if col.META in self.df.columns else [None] * len(self.df)
            self._meta = [_meta_object(v) for v in raw]
        return self._meta

    def values(self, path: str) -> list[Any]:
        """The value of field ``path`` for every row (None where missing)."""
        if path not in self._cache:
            self._cache[path] = self._resolve(path)
        return self._cache[path]

    def _column(self, name: str) -> list[Any]:
        return [None if isinstance(v, float) and v != v else v for v in self.df[name].tolist()]

    def _resolve(self, path: str) -> list[Any]:
        head, _, rest = path.partition(".")
        if head == "labels" and rest:
            return [m.get(rest) for m in self.labels]
        if head == "meta" and rest:
            keys = rest.split(".")
            return [_dig(m, keys) for m in self.meta]
        if path in COLUMNS and path in self.df.columns and path not in (col.LABELS, col.META):
            return self._column(path)
        labels = self.labels
        in_labels = any(path in m for m in labels)
        meta = self.meta if not all(path in m for m in labels) else None
        column = self._column(path) if path in self.df.columns and path not in (col.LABELS, col.META) else None
        out = []
        for i, m in enumerate(labels):
            if in_labels and path in m:
                out.append(m[path])
            elif meta is not None and path in meta[i]:
                out.append(meta[i][path])
            else:
                out.append(column[i] if column is not None else None)
        return out


def field_values(df: pd.DataFrame, path: str) -> list[Any]:
    return Fields(df).values(path)
