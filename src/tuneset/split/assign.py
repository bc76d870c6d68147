"""Which split each group goes to.

- **A new group** (no row in the last committed version) goes where the salted hash of its key falls:
  ``split_of(key, salt, ratios)``, a pure function of (key, salt, ratios). With ``stratify_by``, the
  new groups of each label value are instead ranked by that hash and dealt out so that the value's
  rows fill each split's share (what the existing groups of that value leave to fill first).
- **An existing group** stays where the last committed version put its rows: existing assignments
  take precedence, so adding data never moves an existing example.
- **A new row that would join groups already in different splits** (through its ``group_id``, its
  ``cluster_id`` or a prompt link) is dropped under ``split_bridge``; it never moves anything. Rows are considered
  existing rows first, then new rows in ``origin_id`` order, so the choice of the bridge is
  deterministic.
- **When the grouping of existing rows itself changed** (a new ``group_key``, a cluster that now
  joins existing rows), a merged group holding rows of several splits goes to the split holding most
  of them (ties: train, val, test), and the others move; they are counted as ``moved.regrouped``.
- **Changing the ratios moves only the minimum needed.** New groups follow the new ratios. Then, in
  each split holding more rows than its new share, existing groups move out, one by one, while the
  excess is at least half the group: first the groups whose hash now falls in another split, then by
  hash order; each goes to the split its hash now picks if that split lacks rows, else to the split
  lacking most. No row moves unless a share is off, and none moves into a split that is already
  full. They are counted as ``moved.ratios``. A changed salt reshuffles everything, as documented.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.split.groups import Groups, build_groups

SPLIT_CODE = {s: i for i, s in enumerate(col.SPLITS)}


def split_of(group_key: str, salt: str, ratios: Mapping[str, float]) -> str:
    """The split of one group: its hash fraction falls into the train, val or test interval."""
    u = hashing.fraction(group_key, salt)
    edge = 0.0
    for name in col.SPLITS:
        edge += ratios[name]
        if u < edge:
            return name
    # Float rounding can leave [sum, 1) uncovered; that sliver belongs to the last non-empty split.
    return next(name for name in reversed(col.SPLITS) if ratios[name] > 0)


@dataclass
class Plan:
    """The outcome for every input row."""

    split: list[str | None]  # None: dropped as a bridge
    bridges: dict[int, dict[str, object]]  # row -> details of the split_bridge drop
    groups: Groups  # over the kept rows (``of_row`` indexes kept rows in input order)
    group_split: list[str]
    strata: list[str] | None  # stratum of each group, when stratifying
    existing: int = 0  # kept rows that were in the last committed version
    moved: Counter[str] = field(default_factory=Counter)  # regrouped / ratios


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}
        self.colors: dict[object, Counter[str]] = {}

    def find(self, x: object) -> object:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: object, b: object) -> object:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if repr(rb) < repr(ra):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.colors.setdefault(ra, Counter()).update(self.colors.pop(rb, Counter()))
        return ra

    def color(self, x: object) -> str | None:
        return majority(self.colors.get(self.find(x)))


def majority(counts: Mapping[str, int] | None) -> str | None:
    """The split holding most rows (ties: train, val, test); None for no rows."""
    if not counts:
        return None
    return max(col.SPLITS, key=lambda s: (counts.get(s, 0), -SPLIT_CODE[s]))


def _bridges(rows: Sequence[int], oid: Sequence[str], gid: Sequence[str], cid: Sequence[str],
             prev: Sequence[str | None], partners: Mapping[int, list[int]]) -> dict[int, dict[str, object]]:
    """The new rows of one conflicting group that would join groups already in different splits."""
    uf = _UnionFind()
    old = sorted((r for r in rows if prev[r] is not None), key=lambda r: oid[r])
    new = sorted((r for r in rows if prev[r] is None), key=lambda r: oid[r])

    def nodes(r: int) -> list[tuple[str, str, str]]:
        return [("group_id", "g", gid[r]), ("cluster_id", "c", cid[r])] + \
            [("linked example", "g", gid[b]) for b in partners.get(r, ())]

    for r in old:
        own = nodes(r)
        uf.colors.setdefault(uf.find(own[0][1:]), Counter())[str(prev[r])] += 1
        for _, *node in own[1:]:
            uf.union(own[0][1:], tuple(node))
    out = {}
    for r in new:
        own = nodes(r)
        colors = {}
        for via, *node in own:
            c = uf.color(tuple(node))
            if c is not None:
                colors.setdefault(c, via)
        if len(colors) > 1:
            out[r] = {"splits": {s: colors[s] for s in col.SPLITS if s in colors}}
            continue
        for _, *node in own[1:]:
            uf.union(own[0][1:], tuple(node))
    return out


def _deal(order: Sequence[int], sizes: np.ndarray, shares: Sequence[float]) -> list[str]:
    """Splits for groups taken in ``order``: each goes where the midpoint of its rows falls on the
    cumulative ``shares`` line (train, then val, then test)."""
    total = float(sum(int(sizes[g]) for g in order)) or 1.0
    edges = np.cumsum(shares)
    out, done = [], 0
    for g in order:
        mid = (done + int(sizes[g]) / 2.0) / total
        k = int(np.searchsorted(edges, mid, side="right"))
        out.append(col.SPLITS[min(k, len(col.SPLITS) - 1)])
        done += int(sizes[g])
    return out


def _natural(u: np.ndarray, ratios: Mapping[str, float]) -> list[str]:
    """:func:`split_of` of many hash fractions at once."""
    edges = np.cumsum([ratios[s] for s in col.SPLITS])
    k = np.searchsorted(edges, u, side="right")
    last = next(i for i in reversed(range(len(col.SPLITS))) if ratios[col.SPLITS[i]] > 0)
    k[k >= len(col.SPLITS)] = last
    return [col.SPLITS[i] for i in k.tolist()]


def _targets(ratios: Mapping[str, float], total: float) -> dict[str, float]:
    return {s: ratios[s] * total for s in col.SPLITS}


def _rebalance(groups: list[int], split: list[str], sizes: np.ndarray, fixed: np.ndarray, u: np.ndarray,
               natural: list[str], ratios: Mapping[str, float]) -> int:
    """Move the fewest existing groups needed so each split holds its share of these groups' rows
    (``split`` is updated in place); returns the rows of the groups moved."""
    rows = Counter()
    for g in groups:
        rows[split[g]] += int(sizes[g])
    target = _targets(ratios, float(sum(rows.values())))
    # Rows only leave the splits that hold too many and only enter those that hold too few: a split
    # topped up past its share by a whole group never gives a row back.
    short = {d for d in col.SPLITS if target[d] - rows[d] > 0}
    moved = 0
    for s in [x for x in col.SPLITS if rows[x] - target[x] > 0]:
        excess = rows[s] - target[s]
        candidates = [g for g in groups if split[g] == s and fixed[g]]
        candidates.sort(key=lambda g: (natural[g] == s, u[g], g))
        for g in candidates:
            size = int(sizes[g])
            if excess < size / 2.0:
                continue
            lacking = {d: target[d] - rows[d] for d in short if target[d] - rows[d] > 0}
            if not lacking:
                break
            dest = natural[g] if natural[g] in lacking else max(lacking, key=lambda d: (lacking[d], -SPLIT_CODE[d]))
            split[g] = dest
            rows[s] -= size
            rows[dest] += size
            excess -= size
            moved += size
    return moved


def plan(oid: Sequence[str], gid: Sequence[str], cid: Sequence[str], prev: Sequence[str | None], *,
         salt: str, ratios: Mapping[str, float], previous_ratios: Mapping[str, float] | None = None,
         labels: Sequence[str] | None = None, links: np.ndarray | None = None) -> Plan:
    """Assign every row; ``prev`` is each row's split in the last committed version (None: new row),
    ``labels`` each row's value of the stratification label (None: no stratification), ``links``
    row pairs that belong together (shape (m, 2))."""
    n = len(oid)
    links = np.zeros((0, 2), dtype=np.int64) if links is None else np.asarray(links, dtype=np.int64).reshape(-1, 2)
    first = build_groups(gid, cid, links)
    # Groups whose existing rows sit in more than one split.
    bits = np.zeros(len(first), dtype=np.int64)
    codes = np.asarray([SPLIT_CODE[p] if p is not None else -1 for p in prev], dtype=np.int64)
    old = codes >= 0
    np.bitwise_or.at(bits, first.of_row[old], np.left_shift(1, codes[old]))
    conflicted = set(np.flatnonzero((bits & (bits - 1)) != 0).tolist())
    bridges: dict[int, dict[str, object]] = {}
    if conflicted:
        by_group: dict[int, list[int]] = {}
        for r in np.flatnonzero(np.isin(first.of_row, list(conflicted))).tolist():
            by_group.setdefault(int(first.of_row[r]), []).append(r)
        partners: dict[int, list[int]] = {}
        for a, b in links.tolist():
            partners.setdefault(a, []).append(b)
            partners.setdefault(b, []).append(a)
        for rows in by_group.values():
            bridges.update(_bridges(rows, oid, gid, cid, prev, partners))
    kept = np.asarray([r for r in range(n) if r not in bridges], dtype=np.int64) if bridges else np.arange(n)
    if bridges:
        position = np.full(n, -1, dtype=np.int64)
        position[kept] = np.arange(len(kept))
        kept_links = position[links]
        kept_links = kept_links[(kept_links >= 0).all(axis=1)]
        groups = build_groups([gid[r] for r in kept], [cid[r] for r in kept], kept_links)
    else:
        groups = first
    n_groups = len(groups)
    sizes = groups.size
    u = np.asarray([hashing.fraction(k, salt) for k in groups.key], dtype=np.float64)
    natural = _natural(u, ratios)
    of_kept = groups.of_row

    # Existing groups: where most of their existing rows are (ties: train, val, test).
    kept_codes = codes[kept]
    has = kept_codes >= 0
    per = np.zeros((n_groups, len(col.SPLITS)), dtype=np.int64)
    np.add.at(per, (of_kept[has], kept_codes[has]), 1)
    fixed = per.sum(axis=1) > 0
    group_split: list[str] = [col.SPLITS[int(c)] if f else "" for c, f in zip(per.argmax(axis=1).tolist(), fixed.tolist())]
    regrouped = int(per.sum() - per.max(axis=1).sum())

    strata: list[str] | None = None
    if labels is not None:
        frame = pd.DataFrame({"g": of_kept, "v": [labels[r] or "" for r in kept.tolist()]})
        counts = frame.groupby(["g", "v"], sort=True).size().reset_index(name="n")
        best = counts.sort_values(["g", "n", "v"], ascending=[True, False, True], kind="stable").drop_duplicates("g")
        strata = [""] * n_groups
        for g, v in zip(best["g"].tolist(), best["v"].tolist()):
            strata[int(g)] = str(v)
    by_stratum: dict[str, list[int]] = {}
    if strata is None:
        by_stratum[""] = list(range(n_groups))
    else:
        for g in range(n_groups):
            by_stratum.setdefault(strata[g], []).append(g)

    # New groups: the hash, or (stratified) dealt in hash order to fill each split's share.
    for members in by_stratum.values():
        new = [g for g in members if not fixed[g]]
        if not new:
            continue
        if strata is None:
            for g in new:
                group_split[g] = natural[g]
            continue
        have = Counter()
        for g in members:
            if fixed[g]:
                have[group_split[g]] += int(sizes[g])
        target = _targets(ratios, float(sum(int(sizes[g]) for g in members)))
        lacking = [max(0.0, target[s] - have[s]) for s in col.SPLITS]
        shares = [x / sum(lacking) for x in lacking] if sum(lacking) > 0 else [ratios[s] for s in col.SPLITS]
        order = sorted(new, key=lambda g: (u[g], g))
        for g, s in zip(order, _deal(order, sizes, shares)):
            group_split[g] = s

    # Changed ratios: move the fewest existing groups needed.
    if previous_ratios is not None and any(abs(float(previous_ratios.get(s, -1)) - ratios[s]) > 1e-9 for s in col.SPLITS):
        for members in by_stratum.values():
            _rebalance(members, group_split, sizes, fixed, u, natural, ratios)

    final = np.asarray([SPLIT_CODE[x] for x in group_split], dtype=np.int64)[of_kept] if n_groups else \
        np.zeros(0, dtype=np.int64)
    names = np.asarray(col.SPLITS, dtype=object)
    split: list[str | None] = [None] * n
    for r, name in zip(kept.tolist(), names[final].tolist()):
        split[r] = name
    existing = int(has.sum())
    moved_rows = int((final[has] != kept_codes[has]).sum())
    moved = Counter({"regrouped": regrouped, "ratios": moved_rows - regrouped})
    return Plan(split, bridges, groups, group_split, strata, existing, moved)
