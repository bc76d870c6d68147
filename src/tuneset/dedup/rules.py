"""The dedup stage's rules: each dropped row names one of these, with its fingerprint."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from tuneset.rules import Rule, register

STAGE = "dedup"


@lru_cache(maxsize=256)
def _fingerprint(rule: Rule) -> str:
    return Rule.fingerprint(rule)


class _Cached:
    """Mixin: a rule's fingerprint is computed once (the ledger asks for it on every dropped row)."""

    def fingerprint(self) -> str:
        return _fingerprint(self)  # type: ignore[arg-type]


@register
@dataclass(frozen=True)
class ExactDuplicate(_Cached, Rule):
    """Drops an example whose key text (``key``: the whole conversation by default; system prompts
    left out unless ``include_system``) equals a kept example's after case folding and whitespace
    folding (each configurable). ``duplicate_of`` names the kept copy, chosen by ``survivor_order``,
    then the longest answer, then the smallest example_id."""

    name: ClassVar[str] = "exact_duplicate"
    stage: ClassVar[str] = STAGE
    key: str = "conversation"
    include_system: bool = False
    fold_case: bool = True
    fold_whitespace: bool = True
    survivor_order: tuple[str, ...] = ("expert", "production", "public", "synthetic", "unknown")
    keep_per_cluster: int = 1


@register
@dataclass(frozen=True)
class NearDuplicate(_Cached, Rule):
    """Drops an example in a near-duplicate cluster that the survivor policy does not keep. Pairs come
    from MinHash (``num_perm`` permutations of ``shingle`` ``ngram``-grams) with LSH bands chosen for
    ``lsh_threshold``; a pair counts only when the exact Jaccard of the shingle sets reaches
    ``jaccard_threshold``, rapidfuzz's normalized similarity reaches ``ratio_threshold``, or the
    smaller shingle set is ``containment_threshold`` inside the other (texts at most twice as long),
    and (with ``numbers_must_match``) both texts hold the same numbers. Clusters are the union-find closure of
    the verified pairs. ``duplicate_of`` names the cluster's representative; ``details`` hold the
    similarity to it and the verified pair that joined the row to the cluster."""

    name: ClassVar[str] = "near_duplicate"
    stage: ClassVar[str] = STAGE
    key: str = "conversation"
    include_system: bool = False
    shingle: str = "word"
    ngram: int = 5
    num_perm: int = 128
    lsh_threshold: float = 0.5
    jaccard_threshold: float = 0.8
    ratio_threshold: float = 0.92
    containment_threshold: float = 0.9
    numbers_must_match: bool = True
    short_text_chars: int = 300
    seed: int = 1
    survivor_order: tuple[str, ...] = ("expert", "production", "public", "synthetic", "unknown")
    keep_per_cluster: int = 1


@register
@dataclass(frozen=True)
class SemanticDuplicate(_Cached, Rule):
    """Drops an example joined to a cluster only by embedding cosine similarity of at least
    ``threshold`` (``model``: an installed package; off unless ``dedup.semantic``)."""

    name: ClassVar[str] = "semantic_duplicate"
    stage: ClassVar[str] = STAGE
    model: str = ""
    threshold: float = 0.95
    survivor_order: tuple[str, ...] = ("expert", "production", "public", "synthetic", "unknown")
    keep_per_cluster: int = 1


@register
@dataclass(frozen=True)
class Contradiction(_Cached, Rule):
    """Drops members of a conflict set (same prompt, exact or near; SFT answers less similar than
    ``answer_similarity``, or preference rows whose chosen answer is the other's rejected one) as
    ``policy`` says: ``keep_one`` drops the members that conflict with the best row by the survivor
    policy, ``drop_all`` drops the whole set; ``report`` drops nothing."""

    name: ClassVar[str] = "contradiction"
    stage: ClassVar[str] = STAGE
    policy: str = "report"
    answer_similarity: float = 0.5
    include_system: bool = False
    jaccard_threshold: float = 0.8
    ratio_threshold: float = 0.92
    survivor_order: tuple[str, ...] = ("expert", "production", "public", "synthetic", "unknown")
