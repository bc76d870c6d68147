"""Locality-sensitive hashing: candidate pairs from MinHash signatures cut into bands.

Two texts become a candidate pair when all ``rows`` values of at least one of ``bands`` bands are
equal, which happens with probability ``1 - (1 - J^rows)^bands`` for Jaccard similarity ``J``.
:func:`lsh_params` picks ``(bands, rows)`` for a threshold the way datasketch's ``MinHashLSH``
does (the pair that minimizes the equally weighted areas of false positives below the threshold
and false negatives above it), so the two can be compared at the same threshold. Candidates are
only candidates: every pair is verified afterwards (:mod:`tuneset.dedup.verify`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tuneset.dedup.shingles import fmix64

U64 = np.uint64
# A bucket with more members than this yields a star and a chain instead of every pair: enough to
# connect its members in the union-find while keeping the pairs to verify linear in its size.
ALL_PAIRS_BUCKET = 40


def _integrate(f, a: float, b: float, steps: int = 512) -> float:
    if b <= a:
        return 0.0
    x = np.linspace(a, b, steps + 1)
    return float(np.trapezoid(f(x), x))


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimizing false-positive + false-negative area."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"LSH threshold must be between 0 and 1, got {threshold}")
    best, best_err = (1, 1), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _integrate(lambda s: 1 - (1 - s ** r) ** b, 0.0, threshold)
            fn = _integrate(lambda s: 1 - (1 - (1 - s ** r) ** b), threshold, 1.0)
            err = 0.5 * fp + 0.5 * fn
            if err < best_err - 1e-12:
                best, best_err = (b, r), err
    return best


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that two texts of this Jaccard similarity share at least one band."""
    return 1.0 - (1.0 - jaccard ** rows) ** bands


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per text and band, shape ``(n, bands)``: a hash of the band's ``rows`` values."""
    if bands * rows > sig.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations, signatures have {sig.shape[1]}")
    keys = np.empty((sig.shape[0], bands), dtype=U64)
    with np.errstate(over="ignore"):
        for j in range(bands):
            h = np.full(sig.shape[0], U64(j + 1) * U64(0x9E3779B97F4A7C15), dtype=U64)
            for c in range(j * rows, (j + 1) * rows):
                h ^= sig[:, c].astype(U64)
                h *= U64(0x100000001B3)
            keys[:, j] = fmix64(h)
    return keys


def candidate_pairs(keys: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
    """Distinct pairs ``(i, j)``, ``i < j``, of rows that share a band key; shape ``(m, 2)``, sorted.

    ``ids`` maps key rows to the ids returned (default: the row numbers).
    """
    n = keys.shape[0]
    ids = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    found: list[np.ndarray] = []
    for j in range(keys.shape[1]):
        order = np.argsort(keys[:, j], kind="stable")
        k = keys[order, j]
        same = k[1:] == k[:-1]
        if not same.any():
            continue
        # Runs of equal keys: [start, end) in ``order``.
        edges = np.diff(same.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) + 1
        sizes = ends - starts
        pairs_ = ids[order[starts[sizes == 2]]], ids[order[starts[sizes == 2] + 1]]
        found.append(np.stack(pairs_, axis=1))
        for s, e in zip(starts[sizes > 2].tolist(), ends[sizes > 2].tolist()):
            members = np.sort(ids[order[s:e]])
            if len(members) <= ALL_PAIRS_BUCKET:
                iu = np.triu_indices(len(members), 1)
                found.append(np.stack([members[iu[0]], members[iu[1]]], axis=1))
            else:
                star = np.stack([np.full(len(members) - 1, members[0]), members[1:]], axis=1)
                chain = np.stack([members[1:-1], members[2:]], axis=1)
                found.append(np.concatenate([star, chain]))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    keep = lo != hi
    width = np.int64(int(ids.max()) + 1) if len(ids) else np.int64(1)
    code = np.unique(lo[keep] * width + hi[keep])  # one int64 per pair: sorts far faster than rows
    return np.stack([code // width, code % width], axis=1)
