"""Benchmark: dedup (exact + near + contradictions, the stage's library call) against datasketch.

Usage: python bench/dedup.py [--sizes 100000 1000000] [--baseline-max 1000000]

Synthetic chat examples (a user turn of 10-40 words and an assistant turn of 30-120 words drawn
from a Zipf-like vocabulary of 20k pronounceable pseudo-words, a shared system prompt on 30%), with
1% exact copies (case and whitespace changed) and 3% near copies (one to three word substitutions)
of earlier rows: about the 4% of the bundled sample. Each
measurement runs in a fresh subprocess, so its peak RSS is its own.

- tuneset: ``tuneset.dedup.dedup`` on the frame with the default config (exact, MinHash 128
  permutations, LSH at ``lsh_threshold`` 0.5, verification, clusters, survivors, contradictions,
  the dropped table).
- datasketch 2.0.0: what a user would write (performance.md): words ``re.split(r"[^A-Za-z_0-9]")``
  of the lower-cased user+assistant text, word 5-gram shingles, ``MinHash.bulk(num_perm=128)``,
  ``LeanMinHash``, ``MinHashLSH(threshold=0.5)`` (the same threshold) filled in an insertion
  session, one ``query`` per row and union-find over the results: near dedup only, unverified.

rows/s counts the work alone (the frame is built before the clock starts; imports excluded).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import subprocess
import sys
import time

import numpy as np

SYSTEM = "You are Northwind's support assistant. Be concise, accurate and polite."


def make_texts(n: int, seed: int = 1) -> tuple[list[str], list[str], list[bool]]:
    rng = np.random.default_rng(seed)
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    vocab_set: dict[str, None] = {}
    while len(vocab_set) < 20_000:
        vocab_set["".join(rng.choice(syllables, size=int(rng.integers(1, 4))))] = None
    vocab = np.array(list(vocab_set), dtype=object)
    probs = 1.0 / np.arange(1, len(vocab) + 1) ** 0.9
    probs /= probs.sum()
    users, answers = [], []
    kinds = rng.random(n)
    for i in range(n):
        if i > 10 and kinds[i] < 0.01:  # exact copy, case and spacing changed
            j = int(rng.integers(0, i))
            users.append(users[j].upper())
            answers.append("  " + answers[j].replace(" ", "  "))
            continue
        if i > 10 and kinds[i] < 0.04:  # near copy: a few word substitutions
            j = int(rng.integers(0, i))
            words = answers[j].split()
            for _ in range(int(rng.integers(1, 4))):
                words[int(rng.integers(0, len(words)))] = str(vocab[int(rng.integers(0, len(vocab)))])
            users.append(users[j])
            answers.append(" ".join(words))
            continue
        users.append(" ".join(rng.choice(vocab, size=int(rng.integers(10, 40)), p=probs)) + "?")
        answers.append(" ".join(rng.choice(vocab, size=int(rng.integers(30, 120)), p=probs)) + ".")
    return users, answers, [bool(s) for s in rng.random(n) < 0.3]


def make_frame(n: int):
    import pandas as pd

    from tuneset import schema as col

    users, answers, with_system = make_texts(n)
    origins = np.random.default_rng(2).choice(["production", "expert", "public", "synthetic"], size=n)
    msgs = []
    for u, a, s in zip(users, answers, with_system):
        m = [{"role": "user", "content": u, "name": None, "tool_calls": None, "tool_call_id": None},
             {"role": "assistant", "content": a, "name": None, "tool_calls": None, "tool_call_id": None}]
        msgs.append(([{"role": "system", "content": SYSTEM, "name": None, "tool_calls": None, "tool_call_id": None}] if s else []) + m)
    ids = [hashlib.sha256(f"unit {i}".encode()).hexdigest() for i in range(n)]
    eids = [hashlib.sha256(f"{u}\0{a}".encode()).hexdigest() for u, a in zip(users, answers)]
    obj = lambda values: pd.Series(values, dtype=object)  # noqa: E731
    return pd.DataFrame({
        col.ORIGIN_ID: obj(ids), col.EXAMPLE_ID: obj(eids), col.KIND: obj(["sft"] * n), col.MESSAGES: obj(msgs),
        col.CHOSEN: obj([None] * n), col.REJECTED: obj([None] * n), col.TOOLS: obj([None] * n),
        col.SOURCE: obj(["bench"] * n), col.SOURCE_FILE: obj(["data/raw/bench/chat.jsonl"] * n),
        col.LOCATOR: obj([str(i + 1) for i in range(n)]), col.LICENSE: obj(["unknown"] * n),
        col.ORIGIN: obj(origins.tolist()), col.GROUP_ID: obj(ids), col.LABELS: obj([{}] * n), col.META: obj(["{}"] * n),
    })


def run_tuneset(n: int) -> dict:
    from tuneset.config import DedupConfig
    from tuneset.dedup import dedup

    df = make_frame(n)
    t, cpu = time.perf_counter(), time.process_time()
    res = dedup(df, DedupConfig())
    secs = time.perf_counter() - t
    return {"seconds": secs, "cpu_seconds": time.process_time() - cpu, "removed": int(n - len(res.examples)), "by_rule": res.report["dropped_by_rule"],
            "candidates": res.report["near"].get("candidate_pairs")}


def run_datasketch(n: int) -> dict:
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    users, answers, _ = make_texts(n)
    texts = [f"{u}\n{a}" for u, a in zip(users, answers)]
    del users, answers
    t, cpu = time.perf_counter(), time.process_time()
    split = re.compile(r"[^A-Za-z_0-9]")
    mhs = []
    for lo in range(0, n, 10_000):  # shingle lists of 10k rows at a time, or 1M rows need ~7 GB for them
        sets = []
        for text in texts[lo:lo + 10_000]:
            w = [x for x in split.split(text.lower()) if x]
            sets.append([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
        mhs += [LeanMinHash(m) for m in MinHash.bulk(sets, num_perm=128)]
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    removed = n - len({find(i) for i in range(n)})
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - cpu, "removed": removed}


def child(which: str, n: int) -> None:
    out = run_tuneset(n) if which == "tuneset" else run_datasketch(n)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    ap.add_argument("--baseline-max", type=int, default=1_000_000, help="skip datasketch above this many rows")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    head = f"{'rows/s':>9} {'CPU r/s':>9} {'wall s':>7} {'removed':>8} {'RSS MB':>7}"
    print(f"{'':>9} | {'tuneset (exact + near + contradictions)':^44} | {'datasketch MinHashLSH (near only, unverified)':^44}")
    print(f"{'rows':>9} | {head} | {head}")
    for n in args.sizes:
        row = {}
        for which in ("tuneset", "datasketch"):
            if which == "datasketch" and n > args.baseline_max:
                continue
            proc = subprocess.run([sys.executable, __file__, "--child", which, str(n)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr[-2000:], file=sys.stderr)
                continue
            row[which] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"  ({which} {n:,}: {json.dumps(row[which])})", file=sys.stderr, flush=True)
        cells = []
        for which in ("tuneset", "datasketch"):
            r = row.get(which)
            cells.append(f"{n / r['seconds']:>9,.0f} {n / r['cpu_seconds']:>9,.0f} {r['seconds']:>7.1f} "
                         f"{r['removed']:>8,} {r['peak_rss_mb']:>7,}" if r else f"{'skipped':>44}")
        print(f"{n:>9,} | {cells[0]} | {cells[1]}", flush=True)
        if "tuneset" in row:
            t = row["tuneset"]
            print(f"{'':>9}   tuneset removed by rule: {t['by_rule']}; LSH candidate pairs: {t['candidates']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
