"""Benchmark: ingest, normalize and split+export throughput and peak memory on synthetic chat JSONL.

Usage: python bench/ingest.py [--sizes 10000 100000 1000000]

Each phase runs in its own subprocess and hands the next one a Parquet file, as the DVC stages do,
so each peak RSS is that stage's own. Prints rows/s per phase and the largest peak.
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
PHASES = ("ingest", "normalize", "export")


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


def phase(name: str, work: Path) -> dict:
    from tuneset import export, frames, tokens
    from tuneset.config import ExportConfig, NormalizeConfig, SourceConfig, SplitConfig
    from tuneset.ingest import ingest_file
    from tuneset.normalize import normalize
    from tuneset.records import SourceInfo
    from tuneset.split import assign_splits

    t = time.perf_counter()
    if name == "ingest":
        result = ingest_file(work / "chat.jsonl", SourceInfo("bench", "data/raw/bench/chat.jsonl"), SourceConfig())
        rows = result.units
        frames.write_parquet(frames.records_frame(result.records), work / "ingested.parquet")
    elif name == "normalize":
        df = frames.read_parquet(work / "ingested.parquet")
        rows = len(df)
        frames.write_parquet(normalize(df, NormalizeConfig()).examples, work / "normalized.parquet")
    else:
        df = frames.read_parquet(work / "normalized.parquet")
        rows = len(df)
        df = assign_splits(df, SplitConfig()).examples
        enc = tokens.encoding("o200k_base")
        df["n_tokens"] = [export.count_record_tokens(r, enc) for r in df.to_dict("records")]
        cfg = ExportConfig()
        for (kind, _), lines in export.export_lines(df, cfg).items():
            export.validate_file("".join(lines), kind, cfg, "bench")
        frames.write_parquet(export.manifest(df), work / "manifest.parquet")
    seconds = time.perf_counter() - t
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.work)))
        return 0
    print(f"{'rows':>9} | " + " | ".join(f"{p + ' r/s':>14} {'MB':>6}" for p in PHASES) + " | max MB")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            write_chat_jsonl(work / "chat.jsonl", n)
            cells, peak = [], 0.0
            for p in PHASES:
                out = subprocess.run([sys.executable, __file__, "--phase", p, "--work", str(work)],
                                     capture_output=True, text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                peak = max(peak, r["peak_rss_mb"])
                cells.append(f"{r['rows'] / r['seconds']:>14,.0f} {r['peak_rss_mb']:>6,.0f}")
            print(f"{n:>9,} | " + " | ".join(cells) + f" | {peak:,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
