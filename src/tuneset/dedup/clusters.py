"""Clusters: union-find over verified pairs.

Each cluster is labelled by its smallest member index, so labels do not depend on the order in
which pairs arrive.
"""

from __future__ import annotations

import numpy as np


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving; the root of a set is its smallest member."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        lo, hi = (ra, rb) if ra < rb else (rb, ra)
        self.parent[hi] = lo
        return lo


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Cluster label (smallest member) of each of ``n`` items joined by ``pairs`` (shape (m, 2))."""
    labels = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return labels
    touched = np.unique(pairs)
    local = {int(v): k for k, v in enumerate(touched.tolist())}
    uf = UnionFind(len(touched))
    for a, b in pairs.tolist():
        uf.union(local[a], local[b])
    roots = np.fromiter((uf.find(k) for k in range(len(touched))), dtype=np.int64, count=len(touched))
    labels[touched] = touched[roots]
    return labels
