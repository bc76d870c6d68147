"""Benchmark: the data card and the plot tables (the report stage's work) on synthetic final tables.

Usage: python bench/report.py [--sizes 10000 100000 1000000]

Builds data/final-like frames (manifest, examples, dropped: 5% of the units, 1 in 20 in a
near-duplicate cluster, labels on every example) with the real record and ledger helpers, then times
``build_datacard`` and ``plot_tables`` in-process. Prints rows/s (manifest + dropped rows over the
wall time of both), the page size and the process's peak RSS so far.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import tuneset.normalize  # noqa: F401 - registers the normalize rules
from tuneset import frames, ledger
from tuneset import schema as col
from tuneset.records import Parsed, SourceInfo, Unit, build_record, message
from tuneset.report import build_datacard, plot_tables
from tuneset.rules import REGISTRY

TOPICS = ["billing", "login", "sync", "refund", "shipping", "upgrade", "invoice", "password"]
INFO = SourceInfo(source="bench", source_file="data/raw/bench.jsonl", origin="production", license="internal")


def tables(n: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    rule = REGISTRY["final_assistant_turn"]()
    kept, dropped = [], []
    for i in range(n):
        topic = rng.choice(TOPICS)
        words = " ".join(rng.choice(TOPICS) for _ in range(rng.randint(5, 60)))
        unit = Unit(locator=str(i + 1), raw=f"{i}:{words}".encode(), parsed=Parsed(
            kind="sft", messages=[message("user", f"Question {i} about {topic}: {words}?"),
                                  message("assistant", f"For {topic}, open Settings. {words}.")],
            labels={"category": topic, "channel": rng.choice(["chat", "email"])}, group_id=f"g{i // 2}"))
        rec = build_record(unit, INFO)
        if i % 20 == 7:
            dropped.append(ledger.dropped_row(rec, stage="normalize", rule=rule, reason="bench drop",
                                              details={"score": i % 7}))
            continue
        rec[col.SPLIT] = rng.choices(col.SPLITS, (0.8, 0.1, 0.1))[0]
        rec[col.N_TOKENS] = 20 + len(words) // 4 + (5000 if i % 997 == 0 else 0)
        rec[col.CLUSTER_ID] = kept[-1][col.CLUSTER_ID] if kept and i % 20 == 3 else rec[col.ORIGIN_ID]
        kept.append(rec)
    examples = frames.records_frame(kept, (*col.RECORD_COLUMNS, col.SPLIT, col.CLUSTER_ID, col.N_TOKENS))
    manifest = frames.records_frame(kept, col.MANIFEST_COLUMNS)
    return {"manifest": manifest, "examples": examples, "dropped": ledger.dropped_frame(dropped)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    args = ap.parse_args()
    print(f"{'units':>10} {'card s':>8} {'plots s':>8} {'rows/s':>10} {'page MB':>8} {'peak RSS MB':>12}")
    for n in args.sizes:
        t = tables(n)
        lineage = ledger.lineage(t["manifest"][col.ORIGIN_ID].tolist() + t["dropped"][col.ORIGIN_ID].tolist(),
                                 t["manifest"], t["dropped"])
        reports = {"normalize": {"rows_in": n, "rows_out": len(t["manifest"]),
                                 "dropped_by_rule": ledger.rule_counts(t["dropped"])},
                   "dedup": {"rows_in": n, "rows_out": len(t["manifest"]), "dropped_by_rule": {}}}
        start = time.perf_counter()
        page = build_datacard(**t, lineage=lineage, stage_reports=reports, version={})
        card = time.perf_counter() - start
        start = time.perf_counter()
        plot_tables(**t)
        plots = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>10,} {card:>8.2f} {plots:>8.2f} {n / (card + plots):>10,.0f} {len(page) / 1e6:>8.2f} {rss:>12,.0f}")
        del t, page


if __name__ == "__main__":
    main()
