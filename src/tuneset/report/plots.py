"""Small tables for ``dvc plots``: the data card's numbers in long form, one row order only."""

from __future__ import annotations

import pandas as pd

from tuneset import schema as col
from tuneset.report import tally


def _frame(rows: list[tuple], columns: list[str], ints: tuple[str, ...]) -> pd.DataFrame:
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    return pd.DataFrame({c: pd.Series(data[c], dtype="int64" if c in ints else object) for c in columns})


def token_hist(manifest: pd.DataFrame) -> pd.DataFrame:
    """split, kind, bin_start, bin, count: every bin from 0, one shared bin width, for each (split, kind)
    that has examples with a token count; ``bin`` is the readable range (``40–59``), and the last bin
    is open-ended (``≥ 420``) when some examples are longer than about the 99th percentile."""
    hist = tally.token_hist(manifest)
    rows = [(s, k, start, hist.label(start), n) for (s, k), bins in hist.bins.items() for start, n in bins]
    return _frame(rows, ["split", "kind", "bin_start", "bin", "count"], ("bin_start", "count"))


def drops_by_rule(dropped: pd.DataFrame) -> pd.DataFrame:
    """stage, rule, count: stages in pipeline order, rules sorted (quarantine is stage ``ingest``)."""
    rows = [(s, r, n) for (s, r), n in tally.drop_counts(dropped).items()]
    return _frame(rows, ["stage", "rule", "count"], ("count",))


def split_balance(manifest: pd.DataFrame) -> pd.DataFrame:
    """split, kind, count: every split x kind, zeros included, so the table's shape never changes."""
    counts = tally.split_kind_counts(manifest)
    rows = [(s, k, counts.get((s, k), 0)) for s in tally.split_order(manifest) for k in tally.kind_order(manifest)]
    return _frame(rows, ["split", "kind", "count"], ("count",))


def turn_hist(examples: pd.DataFrame) -> pd.DataFrame:
    """split, kind, turns, count: conversation turns (non-system prompt messages + chosen)."""
    counts = tally.turn_counts(examples)
    splits = tally.ordered([s for s, _, _ in counts], col.SPLITS)
    kinds = tally.ordered([k for _, k, _ in counts], col.KINDS)
    rank_s = {s: i for i, s in enumerate(splits)}
    rank_k = {k: i for i, k in enumerate(kinds)}
    keys = sorted(counts, key=lambda key: (rank_s[key[0]], rank_k[key[1]], key[2]))
    return _frame([(s, k, t, counts[(s, k, t)]) for s, k, t in keys], ["split", "kind", "turns", "count"],
                  ("turns", "count"))


def plot_tables(*, manifest: pd.DataFrame, examples: pd.DataFrame, dropped: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The ``dvc plots`` tables by name, in a fixed order: token_hist, drops_by_rule, split_balance, turn_hist."""
    return {
        "token_hist": token_hist(manifest),
        "drops_by_rule": drops_by_rule(dropped),
        "split_balance": split_balance(manifest),
        "turn_hist": turn_hist(examples),
    }
