"""Which rows of a cluster survive: a stated, deterministic order.

Rows of a cluster are ranked by origin (``survivor_order``, by default expert, production, public,
synthetic, unknown), then by the longest answer (characters of the trained answer, whitespace runs
counted as one: an SFT example's final turn, a preference row's chosen turns), then by the smallest ``example_id``, then
by the smallest ``origin_id`` (exact copies share an ``example_id``; ``origin_id`` is unique, so the
order is total). The first row is the cluster's representative.

``keep_per_cluster`` keeps the first ``k`` rows of distinct content (exact copies never count as a
second survivor). A dropped row is an *exact* duplicate when a kept row has its exact key (it then
names that row), otherwise a *near* duplicate of the representative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_ORDER = ("expert", "production", "public", "synthetic", "unknown")


def policy_order(origins: Sequence[str], answer_chars: Sequence[int], example_ids: Sequence[str],
                 origin_ids: Sequence[str], order: Sequence[str] = DEFAULT_ORDER) -> np.ndarray:
    """Row indices from best to worst survivor (over all rows; clusters are applied by :func:`choose`)."""
    rank = {o: k for k, o in enumerate(order)}
    origin_rank = np.fromiter((rank.get(o, len(order)) for o in origins), dtype=np.int64, count=len(origins))
    neg_len = -np.asarray(answer_chars, dtype=np.int64)
    eid = np.asarray(example_ids, dtype=object).astype(str)
    oid = np.asarray(origin_ids, dtype=object).astype(str)
    return np.lexsort((oid, eid, neg_len, origin_rank))


@dataclass
class Choice:
    kept: np.ndarray  # bool per row
    representative: np.ndarray  # per row: index of its cluster's representative
    duplicate_of: np.ndarray  # per row: index of the kept row it duplicates, -1 when kept
    exact: np.ndarray  # bool per row: dropped as an exact copy of a kept row


def choose(cluster: np.ndarray, group: np.ndarray, best_first: np.ndarray, keep_per_cluster: int = 1) -> Choice:
    """Apply the policy: ``cluster`` and exact ``group`` label per row, ``best_first`` from :func:`policy_order`."""
    if keep_per_cluster < 1:
        raise ValueError(f"keep_per_cluster must be at least 1, got {keep_per_cluster}")
    n = len(cluster)
    # Stable sort by cluster keeps the policy order inside each cluster.
    perm = best_first[np.argsort(cluster[best_first], kind="stable")]
    c, g = cluster[perm], group[perm]
    cluster_start = np.r_[True, c[1:] != c[:-1]] if n else np.zeros(0, dtype=bool)
    start_pos = np.maximum.accumulate(np.where(cluster_start, np.arange(n), 0)) if n else np.zeros(0, dtype=np.int64)
    representative = np.empty(n, dtype=np.int64)
    representative[perm] = perm[start_pos]
    # The best row of each exact group, and its rank among distinct contents of its cluster.
    group_first = np.zeros(n, dtype=bool)
    _, first_pos = np.unique(g, return_index=True)
    group_first[first_pos] = True
    distinct_rank = np.cumsum(group_first)
    distinct_rank = distinct_rank - (distinct_rank[start_pos] - group_first[start_pos])
    kept_sorted = group_first & (distinct_rank <= keep_per_cluster)
    kept = np.zeros(n, dtype=bool)
    kept[perm] = kept_sorted
    best_of_group = np.empty(int(group.max()) + 1 if n else 0, dtype=np.int64)
    best_of_group[g[first_pos]] = perm[first_pos]
    owner = best_of_group[group]
    exact = ~kept & kept[owner]
    duplicate_of = np.where(kept, -1, np.where(exact, owner, representative))
    return Choice(kept, representative, duplicate_of, exact)
