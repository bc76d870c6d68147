"""Dedup quality on planted clusters among real text (Alpaca, ../shared/data), with datasketch's
MinHashLSH at the same threshold scored on the same run as a baseline.

Background: 3,000 Alpaca rows, distinct examples. Clusters: 250 other Alpaca rows, each with one to
three planted variants (word swaps, typos, an added greeting or sign-off, a case and whitespace
change). Acceptance (issue 5): at least 95% of clusters end with exactly one survivor, no cluster
loses all its members, and at least 99% of the distinct examples survive.
"""

from __future__ import annotations

import gzip
import json
import random
import re

import pytest

from tuneset import schema as col
from tuneset.config import DedupConfig
from tuneset.dedup import dedup

from .helpers import frame, sft

pytestmark = pytest.mark.shared

BACKGROUND, CLUSTERS = 3000, 250
GREETINGS = ["Hi there! ", "Hello, quick question: ", "Good morning. ", "Hey! "]
SIGNOFFS = [" Thanks!", " Thank you in advance.", " Cheers."]


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long_words:
        return text + " ."
    i = rng.choice(long_words)
    w = words[i]
    k = rng.randrange(1, len(w) - 2)
    words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2:]  # swap two letters
    return " ".join(words)


def _swap(rng: random.Random, text: str, vocab: list[str]) -> str:
    words = text.split(" ")
    i = rng.randrange(len(words))
    if re.search(r"\d", words[i]):
        return text
    words[i] = rng.choice(vocab)
    return " ".join(words)


def variant(rng: random.Random, user: str, answer: str, vocab: list[str]) -> tuple[str, str]:
    how = rng.choice(["swap", "typo", "greeting", "case"])
    if how == "swap":
        # A replaced word in a three-word answer makes another answer: swap where there is room.
        if len(answer.split()) >= 12:
            return user, _swap(rng, answer, vocab)
        if len(user.split()) >= 8:
            return _swap(rng, user, vocab), answer
        how = "typo"
    if how == "typo":
        return _typo(rng, user), answer
    if how == "greeting":
        return rng.choice(GREETINGS) + user, answer + rng.choice(SIGNOFFS)
    return user.upper(), "  " + answer.replace(" ", "  ")


@pytest.fixture
def planted(shared_data):
    rows = json.loads(gzip.decompress((shared_data / "alpaca/alpaca_data.json.gz").read_bytes()))
    rng = random.Random(5)
    picked = rng.sample(range(len(rows)), BACKGROUND + CLUSTERS)
    vocab = sorted({w for i in picked[:500] for w in rows[i]["output"].split() if w.isalpha()})
    records, cluster_of = [], []
    for k, i in enumerate(picked):
        r = rows[i]
        user = r["instruction"] + (f"\n\n{r['input']}" if r["input"] else "")
        records.append(sft(user, r["output"], origin="public", loc=f"[{i}]", file="alpaca.json"))
        cluster_of.append(None if k < BACKGROUND else k)
        if k >= BACKGROUND:
            for v in range(rng.randint(1, 3)):
                u, a = variant(rng, user, r["output"], vocab)
                records.append(sft(u, a, origin="public", loc=f"[{i}]/v{v}", file="planted.json"))
                cluster_of.append(k)
    return records, cluster_of


def score(kept: set[int], cluster_of: list[int | None]) -> dict[str, float]:
    clusters: dict[int, list[int]] = {}
    background = [i for i, c in enumerate(cluster_of) if c is None]
    for i, c in enumerate(cluster_of):
        if c is not None:
            clusters.setdefault(c, []).append(i)
    survivors = [sum(i in kept for i in members) for members in clusters.values()]
    return {"exactly_one": sum(s == 1 for s in survivors) / len(survivors),
            "lost_all": sum(s == 0 for s in survivors),
            "distinct_kept": sum(i in kept for i in background) / len(background)}


def datasketch_kept(records: list[dict]) -> set[int]:
    from datasketch import MinHash, MinHashLSH

    split = re.compile(r"[^A-Za-z_0-9]")
    texts = [f"{r[col.MESSAGES][0]['content']}\n{r[col.MESSAGES][1]['content']}" for r in records]
    sets = []
    for t in texts:
        w = [x for x in split.split(t.lower()) if x]
        sets.append([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
    mhs = MinHash.bulk(sets, num_perm=128)
    lsh = MinHashLSH(threshold=DedupConfig().lsh_threshold, num_perm=128)
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    parent = list(range(len(records)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            a, b = find(i), find(j)
            parent[max(a, b)] = min(a, b)
    return {i for i in range(len(records)) if find(i) == i}  # keep the first row of each component


def test_planted_clusters_among_real_text(planted, capsys):
    records, cluster_of = planted
    result = dedup(frame(records), DedupConfig())
    index = {r[col.ORIGIN_ID]: i for i, r in enumerate(records)}
    ours = score({index[o] for o in result.examples[col.ORIGIN_ID]}, cluster_of)
    baseline = score(datasketch_kept(records), cluster_of)
    with capsys.disabled():
        print(f"\n[dedup quality] tuneset {ours} | datasketch MinHashLSH(threshold={DedupConfig().lsh_threshold}) {baseline}")
    assert ours["exactly_one"] >= 0.95
    assert ours["lost_all"] == 0
    assert ours["distinct_kept"] >= 0.99
