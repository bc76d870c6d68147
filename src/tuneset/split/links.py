"""Prompt links: examples whose user message holds another example's whole user message.

A customer question copied into another example with a greeting or a sign-off added ("Hello. <the
question> Thanks in advance.") is the leak that matters most, and neither a ``group_id`` nor a
symmetric near-duplicate test sees it (the copy is longer, so its Jaccard stays low). The
decontaminate method finds it: every user message of at least ``decontaminate.ngram`` words is an
item, and a user message holding *all* of an item's non-ubiquitous n-grams contains it. Each such
(container, contained) pair links two examples. The split groups linked examples together
(``split.link_prompts``) and the leakage gate fails on any link across splits
(``decontaminate.self_check``).

Canned answers and template sentences, shared on purpose by many support conversations, make no
link: only whole user messages count, and an n-gram found in more than
``decontaminate.max_item_frequency`` messages is boilerplate and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from tuneset import schema as col
from tuneset.config import DecontaminateConfig
from tuneset.decontaminate import message_texts
from tuneset.decontaminate.index import build_index
from tuneset.decontaminate.match import scan_ids

COLUMNS = (col.ORIGIN_ID, col.MESSAGES, col.CHOSEN, col.REJECTED)
CONTAINS = "contains"
_EVERY = 2**62  # min_matches meaning "every n-gram of the text"


def empty_links() -> pd.DataFrame:
    return pd.DataFrame({col.ORIGIN_ID: pd.Series([], dtype=object), CONTAINS: pd.Series([], dtype=object)})


def prompt_links(frames: Callable[[], Iterable[pd.DataFrame | pa.Table]], cfg: DecontaminateConfig) -> pd.DataFrame:
    """``(origin_id, contains)`` pairs, sorted: an example, and an other example whose whole user
    message one of its user messages holds; over every frame (or Arrow table) ``frames()`` yields."""
    texts: list[str] = []
    row_parts: list[np.ndarray] = []
    oids: list[str] = []
    for df in frames():
        if not len(df):
            continue
        t, r, _ = message_texts(df, role="user")
        texts += t
        row_parts.append(r + len(oids))
        ids = df.column(col.ORIGIN_ID).to_pylist() if isinstance(df, pa.Table) else df[col.ORIGIN_ID].tolist()
        oids += [str(o) for o in ids]
    rows = np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64)
    if not texts:
        return empty_links()
    index = build_index(texts, rows, np.zeros(len(rows), dtype=np.int64), {0: cfg.ngram}, {0: _EVERY}, min_words=cfg.min_words,
                        max_item_frequency=cfg.max_item_frequency, fuzzy_threshold=cfg.fuzzy_threshold,
                        probes=False, whole=False)
    del texts
    found = scan_ids(index, index.ids, index.offsets, rows, every=True, skip_own=True)
    pairs = sorted({(oids[r], oids[int(index.item_of[h.text])]) for r, hits in found.hits.items() for h in hits})
    if not pairs:
        return empty_links()
    a, b = zip(*pairs)
    return pd.DataFrame({col.ORIGIN_ID: pd.Series(a, dtype=object), CONTAINS: pd.Series(b, dtype=object)})
