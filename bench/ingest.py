"""Benchmark: ingest + normalize + export throughput and peak memory on synthetic chat JSONL.

Usage: python bench/ingest.py [--sizes 10000 100000 1000000]
Each size runs in a fresh subprocess so its peak RSS is its own. Prints rows/s per phase.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOPICS = ["billing", "login", "sync", "refund", "shipping", "upgrade", "invoice", "password"]


def write_chat_jsonl(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            topic = rng.choice(TOPICS)
            words = " ".join(rng.choice(TOPICS) for _ in range(rng.randint(5, 40)))
            row = {"messages": [
                {"role": "system", "content": "You are Northwind's support assistant."},
                {"role": "user", "content": f"Question {i} about {topic}: {words}?"},
                {"role": "assistant", "content": f"For {topic}, open Settings and follow the steps. {words}."}]}
            f.write(json.dumps(row) + "\n")


def one(n: int) -> dict:
    from tuneset import export, frames, tokens
    from tuneset.config import ExportConfig, NormalizeConfig, SourceConfig, SplitConfig
    from tuneset.ingest import ingest_file
    from tuneset.normalize import normalize
    from tuneset.records import SourceInfo
    from tuneset.split import assign_splits

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.jsonl"
        write_chat_jsonl(path, n)
        timings = {}
        t = time.perf_counter()
        result = ingest_file(path, SourceInfo("bench", "data/raw/bench/chat.jsonl"), SourceConfig(format="auto"))
        df = frames.records_frame(result.records)
        timings["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        norm = normalize(df, NormalizeConfig())
        timings["normalize"] = time.perf_counter() - t
        t = time.perf_counter()
        split = assign_splits(norm.examples, SplitConfig()).examples
        enc = tokens.encoding("o200k_base")
        split["n_tokens"] = [export.count_record_tokens(r, enc) for r in split.to_dict("records")]
        cfg = ExportConfig()
        lines = export.export_lines(split, cfg)
        for (kind, _), ls in lines.items():
            export.validate_file("".join(ls), kind, cfg, "bench")
        frames.write_parquet(export.manifest(split), Path(tmp) / "manifest.parquet")
        timings["split+tokens+export"] = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": n, "seconds": {k: round(v, 2) for k, v in timings.items()},
            "rows_per_s": {k: round(n / v) for k, v in timings.items()},
            "total_rows_per_s": round(n / sum(timings.values())), "peak_rss_mb": round(peak_mb)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    print(f"{'rows':>9} {'ingest r/s':>11} {'normalize r/s':>14} {'split+tok+export r/s':>21} {'total r/s':>10} {'peak RSS MB':>12}")
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rps = r["rows_per_s"]
        print(f"{n:>9,} {rps['ingest']:>11,} {rps['normalize']:>14,} {rps['split+tokens+export']:>21,} "
              f"{r['total_rows_per_s']:>10,} {r['peak_rss_mb']:>12,}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
