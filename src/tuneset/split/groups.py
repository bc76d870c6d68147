"""Groups: the connected components of ``group_id`` and ``cluster_id``.

Two rows belong to one group when they share a ``group_id`` (a ticket, a conversation, an
OpenAssistant tree) or a ``cluster_id`` (a near-duplicate cluster), or are linked (a user message
holding another's, :mod:`~tuneset.split.links`), directly or through other rows: a union-find,
computed as connected components of the graph of group and cluster nodes. A merged group is named, and hashed, by its smallest member ``group_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass
class Groups:
    """``of_row[i]`` is row ``i``'s group number; ``key[g]`` is group ``g``'s smallest ``group_id``."""

    of_row: np.ndarray  # int64, one per row
    key: list[str]  # one per group
    members: np.ndarray  # int64: distinct group_ids merged into each group
    size: np.ndarray  # int64: rows per group

    def __len__(self) -> int:
        return len(self.key)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label of each of ``n`` nodes given edges ``a[i] -- b[i]`` (labels are 0..k-1)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def build_groups(group_ids: Sequence[str], cluster_ids: Sequence[str], links: np.ndarray | None = None) -> Groups:
    """The merged groups of rows with these ``group_id`` and ``cluster_id`` values; ``links`` (row
    pairs, shape (m, 2)) joins more rows."""
    n = len(group_ids)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return Groups(z, [], z, z)
    g_codes, g_uniques = pd.factorize(pd.Series(group_ids, dtype=object), sort=True)
    c_codes, _ = pd.factorize(pd.Series(cluster_ids, dtype=object), sort=True)
    n_g = len(g_uniques)
    a, b = g_codes.astype(np.int64), (c_codes + n_g).astype(np.int64)
    if links is not None and len(links):
        a = np.concatenate([a, a[links[:, 0]]])
        b = np.concatenate([b, g_codes.astype(np.int64)[links[:, 1]]])
    labels = components(n_g + int(c_codes.max()) + 1, a, b)
    group_label = labels[:n_g]
    # g_uniques is sorted, so the first group code of each label is its smallest group_id; number the
    # merged groups in that order, which makes the numbering independent of the row order.
    first_code = np.full(int(labels.max()) + 1, n_g, dtype=np.int64)
    np.minimum.at(first_code, group_label, np.arange(n_g, dtype=np.int64))
    used = np.flatnonzero(first_code < n_g)
    order = np.argsort(first_code[used], kind="stable")
    renumber = np.full(len(first_code), -1, dtype=np.int64)
    renumber[used[order]] = np.arange(len(used), dtype=np.int64)
    of_group = renumber[group_label]
    of_row = of_group[g_codes]
    keys = [str(g_uniques[c]) for c in first_code[used[order]].tolist()]
    members = np.bincount(of_group, minlength=len(keys)).astype(np.int64)
    size = np.bincount(of_row, minlength=len(keys)).astype(np.int64)
    return Groups(of_row, keys, members, size)
