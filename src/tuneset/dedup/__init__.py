"""Dedup: exact and near-duplicate removal, clusters for the split, and contradictions.

1. **Exact**: rows whose key text (``dedup.key``: the whole conversation by default) is the same
   after case and whitespace folding form an exact group (:mod:`tuneset.dedup.text`).
2. **Near**: one row per exact group takes part in MinHash + LSH (:mod:`~tuneset.dedup.minhash`,
   :mod:`~tuneset.dedup.lsh`); each candidate pair is verified by exact Jaccard, rapidfuzz ratio
   or shingle containment (:mod:`~tuneset.dedup.verify`). Optionally, embedding cosine adds semantic pairs
   (:mod:`~tuneset.dedup.semantic`, off by default).
3. **Clusters**: union-find over exact groups and verified pairs (:mod:`~tuneset.dedup.clusters`).
4. **Survivors**: the policy of :mod:`~tuneset.dedup.survivors` keeps ``keep_per_cluster`` rows of
   each cluster; every other row is dropped as ``exact_duplicate``, ``near_duplicate`` or
   ``semantic_duplicate`` with ``duplicate_of`` = the kept row's ``origin_id`` and the similarity in
   ``details``.
5. **Contradictions** among kept rows (:mod:`~tuneset.dedup.contradictions`): reported, and
   resolved by ``dedup.contradictions`` (``report``, ``keep_one``, ``drop_all``).

Every kept row gets ``cluster_id``: the ``origin_id`` of the best kept row (by the survivor policy)
of its cluster, joined with the kept rows that share its prompt (exact or near), so the split keeps
near neighbours and same-prompt rows on one side; a row alone has its own ``origin_id``.
"""

from __future__ import annotations

import dataclasses

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tuneset import ledger
from tuneset import schema as col
from tuneset.config import DedupConfig
from tuneset.dedup import contradictions as contra
from tuneset.dedup import semantic
from tuneset.dedup.clusters import components
from tuneset.dedup.rules import STAGE, Contradiction, ExactDuplicate, NearDuplicate, SemanticDuplicate
from tuneset.dedup.survivors import choose, policy_order
from tuneset.dedup.text import Texts, compact, extract
from tuneset.dedup.verify import NearParams, SimilarityCache, near_duplicate_pairs, ratio
from tuneset.preview import make_preview
from tuneset.rules import Rule

__all__ = ["DedupResult", "STAGE", "build_rules", "dedup", "near_params"]


@dataclass
class DedupResult:
    examples: pd.DataFrame  # kept rows, input order, with cluster_id
    dropped: pd.DataFrame  # the dropped table
    report: dict[str, Any]  # reports/dedup.json
    contradictions: dict[str, Any]  # reports/contradictions.json


def near_params(cfg: DedupConfig) -> NearParams:
    """The near-duplicate settings of ``cfg`` (the config keys have the parameters' names)."""
    return NearParams(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(NearParams)})


def build_rules(cfg: DedupConfig) -> dict[str, Rule]:
    order = tuple(cfg.survivor_order)
    return {
        "exact": ExactDuplicate(key=cfg.key, include_system=cfg.include_system, fold_case=cfg.fold_case,
                                fold_whitespace=cfg.fold_whitespace, survivor_order=order,
                                keep_per_cluster=cfg.keep_per_cluster),
        "near": NearDuplicate(key=cfg.key, include_system=cfg.include_system, survivor_order=order,
                              keep_per_cluster=cfg.keep_per_cluster, **dataclasses.asdict(near_params(cfg))),
        "semantic": SemanticDuplicate(model=cfg.semantic_model, threshold=cfg.semantic_threshold, survivor_order=order,
                                      keep_per_cluster=cfg.keep_per_cluster),
        "contradiction": Contradiction(policy=cfg.contradictions, answer_similarity=cfg.answer_similarity,
                                       include_system=cfg.include_system, jaccard_threshold=cfg.jaccard_threshold,
                                       ratio_threshold=cfg.ratio_threshold, survivor_order=order),
    }


@dataclass
class _Edge:
    partner: int  # row
    method: str  # jaccard, ratio or semantic
    jaccard: float | None
    ratio: float | None
    cosine: float | None = None

    @property
    def score(self) -> float:
        return max(v for v in (self.jaccard, self.ratio, self.cosine) if v is not None)


def _preference_veto(texts: Texts) -> Callable[[int, int], str | None]:
    """A preference pair whose chosen answer is closer to the other's rejected one is not a duplicate."""
    def veto(i: int, j: int) -> str | None:
        if texts.kinds[i] != "preference":
            return None
        ci, cj, rj = compact(texts.answer[i]), compact(texts.answer[j]), compact(texts.rejected[j])
        return "swapped_preference" if ratio(ci, rj) > ratio(ci, cj) else None
    return veto


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 4)


def dedup(df: pd.DataFrame, cfg: DedupConfig, *, embed: semantic.Embedder | None = None,
          log: Callable[[str], None] | None = None) -> DedupResult:
    """Drop exact, near (and optionally semantic) duplicates; add ``cluster_id``; find contradictions.

    ``embed`` overrides the embedding model of semantic dedup (tests); without it, ``dedup.semantic``
    loads ``dedup.semantic_model`` and raises :class:`semantic.SemanticUnavailable` when it cannot.
    """
    say = log or (lambda _msg: None)
    rules = build_rules(cfg)
    sem_installed, sem_note = semantic.status(cfg.semantic_model)
    if cfg.semantic and embed is None:
        embed = semantic.load_embedder(cfg.semantic_model)
    n = len(df)
    columns = list(df.columns) + ([col.CLUSTER_ID] if col.CLUSTER_ID not in df.columns else [])
    params = near_params(cfg)

    texts = extract(df, cfg.key, cfg.include_system, cfg.fold_case, cfg.fold_whitespace)
    group = (pd.factorize(pd.Series(texts.exact, dtype=object))[0] if cfg.exact and n else np.arange(n)).astype(np.int64)
    n_groups = int(group.max()) + 1 if n else 0
    _, group_first = np.unique(group, return_index=True)  # first row of each group, by group id
    say(f"exact: {n} rows in {n_groups} distinct contents")

    # Verified pairs between group representatives (rows), best edge per row.
    pair_rows: list[tuple[int, int]] = []
    best_edge: dict[int, _Edge] = {}
    has_near: set[int] = set()
    near_stats: dict[str, Any] = {}
    cache = SimilarityCache(texts.key_text, cfg.shingle, cfg.ngram)

    def add_edge(i: int, j: int, edge_i: _Edge, edge_j: _Edge) -> None:
        pair_rows.append((i, j))
        for r, e in ((i, edge_i), (j, edge_j)):
            old = best_edge.get(r)
            if old is None or (e.score, -e.partner) > (old.score, -old.partner):
                best_edge[r] = e
            if e.method != "semantic":
                has_near.add(r)

    if cfg.near and n_groups > 1:
        found = near_duplicate_pairs(texts.key_text, group_first, params, groups=texts.kinds,
                                     veto=_preference_veto(texts), cache=cache)
        near_stats = found.stats
        for (i, j), jv, rv, how in zip(found.pairs.tolist(), found.jaccard.tolist(), found.ratio.tolist(), found.method):
            add_edge(i, j, _Edge(j, how, jv, rv), _Edge(i, how, jv, rv))
        say(f"near: {near_stats['candidate_pairs']} candidate pairs, {near_stats['verified_pairs']} verified")
    sem_pairs = 0
    if cfg.semantic and n_groups > 1 and embed is not None:
        emb = np.asarray(embed([texts.key_text[r] for r in group_first]))
        sp, sims = semantic.cosine_pairs(emb, cfg.semantic_threshold)
        for (a, b), s in zip(sp.tolist(), sims.tolist()):
            i, j = int(group_first[a]), int(group_first[b])
            if texts.kinds[i] == texts.kinds[j]:
                sem_pairs += 1
                add_edge(i, j, _Edge(j, "semantic", None, None, s), _Edge(i, "semantic", None, None, s))

    group_pairs = np.asarray([(group[i], group[j]) for i, j in pair_rows], dtype=np.int64).reshape(-1, 2)
    cluster = components(n_groups, group_pairs)[group] if n else np.zeros(0, dtype=np.int64)
    best_first = policy_order(df[col.ORIGIN].tolist(), texts.answer_chars, df[col.EXAMPLE_ID].tolist(),
                              df[col.ORIGIN_ID].tolist(), cfg.survivor_order) if n else np.zeros(0, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[best_first] = np.arange(n)
    choice = choose(cluster, group, best_first, cfg.keep_per_cluster)
    sizes = np.bincount(cluster, minlength=n) if n else np.zeros(0, dtype=np.int64)

    # Contradictions among the rows dedup keeps.
    kept_rows = np.flatnonzero(choice.kept)
    pg = contra.find(texts, kept_rows, rank, params, cfg.answer_similarity)
    say(f"contradictions: {pg.groups} prompt groups, {len(pg.sets)} conflict sets")
    contra_drop = contra.to_drop(pg.sets, cfg.contradictions)
    final_kept = choice.kept.copy()
    final_kept[list(contra_drop)] = False

    # cluster_id: components of (row, its representative) and (row, its prompt group), best kept row.
    links = [(int(r), int(choice.representative[r])) for r in np.flatnonzero(choice.representative != np.arange(n))]
    links += [(r, lab) for r, lab in pg.label.items() if r != lab]
    comp = components(n, np.asarray(links, dtype=np.int64).reshape(-1, 2))
    origin_ids = df[col.ORIGIN_ID].tolist()
    order_kept = best_first[final_kept[best_first]]
    labels_kept = comp[order_kept]
    _, firsts = np.unique(labels_kept, return_index=True)
    best_of = dict(zip(labels_kept[firsts].tolist(), order_kept[firsts].tolist()))
    kept_idx = np.flatnonzero(final_kept)
    cluster_ids = [origin_ids[best_of[int(comp[r])]] for r in kept_idx]
    say("cluster ids")

    # The dropped table.
    sources, locators = df[col.SOURCE_FILE].tolist(), df[col.LOCATOR].tolist()
    where = [f"{s} {loc}" for s, loc in zip(sources, locators)]
    folded = " and ".join(w for w, on in (("case", cfg.fold_case), ("whitespace", cfg.fold_whitespace)) if on)
    folded = f", {folded} folded" if folded else ""
    dropped_idx = np.flatnonzero(~choice.kept)
    near_rows = [int(r) for r in dropped_idx if not choice.exact[r]]
    cache.prepare(near_rows + [int(choice.duplicate_of[r]) for r in near_rows])
    records = df.iloc[np.concatenate([dropped_idx, np.asarray(sorted(contra_drop), dtype=np.int64)])].to_dict("records")
    rows_out: list[dict[str, Any]] = []
    for rec, r in zip(records, dropped_idx.tolist()):
        kept = int(choice.duplicate_of[r])
        base = {"cluster_size": int(sizes[cluster[r]]), "kept": where[kept]}
        if choice.exact[r]:
            rule = rules["exact"]
            details = {**base, "match": "exact", "key": cfg.key, "similarity": 1.0}
            reason = f"{where[r]}: exact copy ({cfg.key}{folded}) of {where[kept]}"
        else:
            grp_rep = int(group_first[group[r]])
            edge = best_edge[grp_rep]
            rule = rules["near"] if grp_rep in has_near else rules["semantic"]
            jv, rv = cache.jaccard(r, kept), cache.ratio(r, kept)
            details = {**base, "match": "near" if rule is rules["near"] else "semantic",
                       "jaccard": _round(jv), "ratio": _round(rv),
                       "jaccard_threshold": cfg.jaccard_threshold, "ratio_threshold": cfg.ratio_threshold,
                       "containment_threshold": cfg.containment_threshold,
                       "joined_by": {"origin_id": origin_ids[edge.partner], "method": edge.method,
                                     "jaccard": _round(edge.jaccard), "ratio": _round(edge.ratio),
                                     **({"cosine": _round(edge.cosine)} if edge.cosine is not None else {})}}
            reason = (f"{where[r]}: {details['match']} duplicate of {where[kept]} "
                      f"(Jaccard {jv:.2f}, ratio {rv:.2f}; cluster of {details['cluster_size']})")
        rows_out.append(ledger.dropped_row(rec, stage=STAGE, rule=rule, reason=reason, details=details,
                                           duplicate_of=origin_ids[kept]))
    for rec, r in zip(records[len(dropped_idx):], sorted(contra_drop)):
        s = contra_drop[r]
        details = {"policy": cfg.contradictions, "conflict_set": origin_ids[s.representative],
                   "set_size": len(s.members), "prompt_match": s.prompt_match,
                   "answer_similarity": s.similarity.get(r), "threshold": cfg.answer_similarity}
        reason = (f"{where[r]}: same prompt as {where[s.representative]} with a conflicting answer "
                  f"(dedup.contradictions={cfg.contradictions})")
        rows_out.append(ledger.dropped_row(rec, stage=STAGE, rule=rules["contradiction"], reason=reason, details=details))
    dropped = ledger.dropped_frame(rows_out)
    say(f"dropped table: {len(dropped)} rows")

    examples = df.iloc[kept_idx].copy()
    examples[col.CLUSTER_ID] = pd.Series(cluster_ids, index=examples.index, dtype=object)
    examples = examples[columns].reset_index(drop=True)

    multi = sizes[sizes > 1]
    size_hist = Counter(str(int(s)) if s < 10 else "10+" for s in multi.tolist())
    copies = np.bincount(group, minlength=n_groups) if n else np.zeros(0, dtype=np.int64)
    report = {
        "rows_in": int(n),
        "rows_out": int(len(examples)),
        "dropped_by_rule": ledger.rule_counts(dropped),
        "key": cfg.key,
        "exact": {"enabled": cfg.exact, "groups_with_copies": int((copies > 1).sum()),
                  "rows_in_those_groups": int(copies[copies > 1].sum())},
        "near": {"enabled": cfg.near, **near_stats},
        "semantic": {"enabled": cfg.semantic, "model": cfg.semantic_model, "model_installed": sem_installed,
                     "note": sem_note, "pairs": sem_pairs},
        "clusters": {"multi_member": int(len(multi)), "rows_in_multi_member": int(multi.sum()),
                     "largest": int(multi.max()) if len(multi) else 1,
                     "sizes": dict(sorted(size_hist.items(), key=lambda kv: (len(kv[0]), kv[0])))},
        "survivors": {"order": list(cfg.survivor_order), "keep_per_cluster": cfg.keep_per_cluster,
                      "then": ["longest answer", "smallest example_id", "smallest origin_id"]},
        "contradictions": {"policy": cfg.contradictions, "prompt_groups": pg.groups, "conflict_sets": len(pg.sets),
                           "rows_in_conflict_sets": sum(len(s.members) for s in pg.sets),
                           "dropped": len(contra_drop), "near_prompts": pg.near},
        "cluster_ids": {"kept_rows_sharing_a_cluster": int(pd.Series(cluster_ids, dtype=object).duplicated(keep=False).sum())
                        if cluster_ids else 0},
        "rules": [r.describe() for r in rules.values()],
    }
    return DedupResult(examples, dropped, report, _contradictions_report(df, texts, pg.sets, final_kept, cfg))


def _contradictions_report(df: pd.DataFrame, texts: Texts, sets: Sequence[contra.ConflictSet],
                           final_kept: np.ndarray, cfg: DedupConfig) -> dict[str, Any]:
    fields = (col.ORIGIN_ID, col.EXAMPLE_ID, col.SOURCE, col.SOURCE_FILE, col.LOCATOR, col.ORIGIN)
    values = {f: df[f].tolist() for f in fields}
    out_sets = []
    for s in sets:
        members = []
        for m in s.members:
            members.append({**{f: values[f][m] for f in fields},
                            "kind": texts.kinds[m],
                            "answer": make_preview(texts.answer[m], 160),
                            "answer_similarity": None if m == s.representative else s.similarity.get(m),
                            "conflicts": m in s.conflicts,
                            "decision": "kept" if final_kept[m] else "dropped"})
        out_sets.append({"id": values[col.ORIGIN_ID][s.representative], "kind": texts.kinds[s.representative],
                         "prompt_match": s.prompt_match, "prompt": make_preview(texts.prompt[s.representative], 200),
                         "size": len(s.members), "members": members})
    out_sets.sort(key=lambda x: x["id"])
    return {
        "policy": cfg.contradictions,
        "answer_similarity": cfg.answer_similarity,
        "conflict_sets": len(out_sets),
        "rows_in_conflict_sets": sum(x["size"] for x in out_sets),
        "rows_dropped": sum(1 for x in out_sets for m in x["members"] if m["decision"] == "dropped"),
        "sets": out_sets,
    }
