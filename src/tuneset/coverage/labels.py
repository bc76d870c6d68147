"""Labels of the kept examples: what coverage counts, the split stratifies by and the data card shows.

A label comes from the first of these that gives it (a later one never overwrites an earlier one):

1. the source itself: the fields a source lists under ``labels`` (copied by ingest);
2. ``filter.labels.fields``: a label taken from a source field (``intent: category``);
3. filter rules: ``refusal`` (the refusal rule with ``action: label``), ``language`` (the
   language rule);
4. ``filter.labels.taxonomies``: keyword/regex classes searched in the text;
5. ``filter.labels.derived``: ``length_bucket`` (of ``n_tokens``), ``has_tools``, ``turns`` (user
   turns), ``kind``, ``origin``, ``source``.

``filter.labels.values`` then renames values of any label (``{intent: {Refunds: refund}}``).
Label values are text; an empty value given by 2-5 is no label (a source's own labels are kept
as they are).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tuneset import schema as col
from tuneset.config import LabelsConfig, TaxonomyConfig
from tuneset.filter import text as tx
from tuneset.filter.fields import Fields
from tuneset.filter.prefilter import Prefilter, compile_patterns


def length_bucket(n: Any, edges: Sequence[int]) -> str | None:
    """``0-255``, ``256-1023``, ..., ``4096+`` for edges [256, 1024, 4096]."""
    if n is None or (isinstance(n, float) and n != n):
        return None
    n = int(n)
    low = 0
    for e in edges:
        if n < e:
            return f"{low}-{e - 1}"
        low = e
    return f"{low}+"


def _tools_and_turns(tools: list[Any], messages: list[Any], cap: int) -> tuple[list[str], list[str]]:
    """``has_tools`` (tools declared, a tool call or a tool turn: yes/no) and ``turns`` (user turns
    of the prompt, ``cap+`` from ``cap`` on) of every row, in one pass over the messages."""
    has, turns = [], []
    names = [str(i) for i in range(cap)] + [f"{cap}+"]
    for t, ms in zip(tools, messages):
        users, calls = 0, False
        for m in ms or ():
            role = m.get("role")
            if role == "user":
                users += 1
            elif role == "tool" or m.get("tool_calls"):
                calls = True
        has.append("yes" if calls or (t.__class__ is str and t and t != "[]") else "no")
        turns.append(names[min(users, cap)])
    return has, turns


_SEPARATORS = str.maketrans({c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d\u2026\u2013\u2014"})


def words(text: str) -> list[str]:
    """Case-folded words: punctuation (apostrophes and hyphens too) separates words."""
    return text.casefold().translate(_SEPARATORS).split()


class Taxonomy:
    """A compiled taxonomy: the first class, in config order, whose keywords or patterns match.

    Keywords are matched as whole words on case-folded text (``sign in`` matches "Sign-in" and
    "SIGN IN", not "signing"); patterns are regular expressions searched case-insensitively.
    """

    def __init__(self, cfg: TaxonomyConfig) -> None:
        self.text = cfg.text
        self.default = cfg.default
        self.values = [c.value for c in cfg.classes]
        self.phrases: dict[int, dict[str, int]] = {}  # words per phrase -> phrase -> first class index
        self.patterns: list[tuple[int, re.Pattern[str], Prefilter]] = []
        for i, c in enumerate(cfg.classes):
            for k in c.keywords:
                w = words(k)
                if w:
                    self.phrases.setdefault(len(w), {}).setdefault(" ".join(w), i)
            if c.patterns:
                rx, pre = compile_patterns(tuple(c.patterns), re.IGNORECASE)
                self.patterns.append((i, rx, pre))

    def classify(self, text: str) -> str | None:
        best = len(self.values)
        ws = words(text)
        for n, table in self.phrases.items():
            grams = set(ws) if n == 1 else {" ".join(ws[j:j + n]) for j in range(len(ws) - n + 1)}
            for g in grams & table.keys():
                best = min(best, table[g])
        for i, rx, pre in self.patterns:
            if i >= best:
                break
            if pre.may_match(text) and rx.search(text):
                best = i
                break
        if best == len(self.values):
            return self.default or None
        return self.values[best]


def _taxonomy_texts(df: pd.DataFrame, which: str, cache: dict[str, list[str]]) -> list[str]:
    if which not in cache:
        if which == "both":
            cache[which] = [f"{q}\n{a}" for q, a in zip(_taxonomy_texts(df, "question", cache),
                                                        _taxonomy_texts(df, "answer", cache))]
        else:
            cache[which] = tx.get(df, {"question": tx.QUESTION, "prompt": tx.PROMPT, "answer": tx.ANSWER}[which])
    return cache[which]


def _column(df: pd.DataFrame, name: str) -> list[Any]:
    return df[name].tolist() if name in df.columns else [None] * len(df)


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def compute_labels(df: pd.DataFrame, cfg: LabelsConfig, rule_labels: Mapping[str, Sequence[Any]] | None = None,
                   taxonomies: Mapping[str, Taxonomy] | None = None) -> list[dict[str, str]]:
    """The labels map of every row of ``df`` (one dict per row, in row order; Parquet writes the
    items of a map sorted, so their order here does not matter)."""
    n = len(df)
    out = [{str(k): "" if v is None else str(v) for k, v in m.items()} if isinstance(m, Mapping) else {}
           for m in _column(df, col.LABELS)]  # the source's own labels, as they are

    def give(name: str, values: Sequence[Any]) -> None:
        for labels, v in zip(out, values):
            if name in labels:
                continue
            if v.__class__ is str:  # the common case, without a call
                if v and not v.isspace():
                    labels[name] = v.strip()
            elif (s := _text(v)) is not None:
                labels[name] = s

    if cfg.fields:
        fields = Fields(df)
        for name, source in cfg.fields.items():
            give(name, fields.values(source))
    for name, values in (rule_labels or {}).items():
        give(name, values)
    if cfg.taxonomies:
        compiled = taxonomies if taxonomies is not None else {k: Taxonomy(t) for k, t in cfg.taxonomies.items()}
        cache: dict[str, list[str]] = {}
        for name, tax in compiled.items():
            give(name, [tax.classify(t) if t else (tax.default or None) for t in _taxonomy_texts(df, tax.text, cache)])
    derived = list(cfg.derived)
    if "length_bucket" in derived and col.N_TOKENS in df.columns:
        give("length_bucket", [length_bucket(v, cfg.length_edges) for v in df[col.N_TOKENS].tolist()])
    if "has_tools" in derived or "turns" in derived:
        tools, turns = _tools_and_turns(_column(df, col.TOOLS), _column(df, col.MESSAGES), cfg.max_turns)
        if "has_tools" in derived:
            give("has_tools", tools)
        if "turns" in derived:
            give("turns", turns)
    for name in ("kind", "origin", "source"):
        if name in derived:
            give(name, _column(df, name))
    if cfg.values:
        for labels in out:
            for name, mapping in cfg.values.items():
                v = labels.get(name)
                if v is not None and v in mapping and (s := _text(mapping[v])) is not None:
                    labels[name] = s
    assert len(out) == n
    return out


def assign_labels(df: pd.DataFrame, cfg: LabelsConfig, rule_labels: Mapping[str, Sequence[Any]] | None = None,
                  taxonomies: Mapping[str, Taxonomy] | None = None) -> pd.DataFrame:
    """``df`` with its ``labels`` column replaced by :func:`compute_labels`."""
    labels = compute_labels(df, cfg, rule_labels, taxonomies)
    return df.assign(**{col.LABELS: pd.Series(labels, index=df.index, dtype=object)})
