"""The decontaminate stage's rule: one instance per benchmark, so its own settings are fingerprinted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tuneset.rules import Rule, register

STAGE = "decontaminate"


@register
@dataclass(frozen=True)
class BenchmarkOverlap(Rule):
    """Drop an example that overlaps an item of a benchmark or eval set (GPT-3 / datatrove style).

    Every message of the example (prompt and answer, chosen and rejected) is compared with every
    text of every item, over normalized words (NFKC, case-folded, runs of letters and digits):

    - it shares at least ``min_matches`` distinct ``ngram``-grams with one item; or
    - the item text has fewer than ``min_words`` words and a message is exactly that text; or
    - the item text is short enough for one edit to break all its ``ngram``-grams (fewer than
      ``2 * ngram + 2`` words), and a stretch of a message found through one of its shorter probe
      n-grams starts and ends with its first and last words and is ``fuzzy_threshold`` similar to
      it, word by word, or holds its words with two swapped (a word dropped, inserted, swapped, or
      replaced in a longer text).

    n-grams (and short texts) found in more than ``max_item_frequency`` items are ubiquitous and
    never count. ``details`` names the benchmark file, the item, the field and the shared n-gram.
    """

    name: ClassVar[str] = "benchmark_overlap"
    version: ClassVar[int] = 1
    stage: ClassVar[str] = STAGE

    benchmark: str = ""
    ngram: int = 13
    min_words: int = 8
    max_item_frequency: int = 10
    min_matches: int = 1
    fuzzy_threshold: float = 0.9
