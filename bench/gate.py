"""Benchmark: the Great Expectations gates' flat view of a Parquet output, old path vs Arrow path.

Usage: python bench/gate.py [--sizes 100000 1000000] [--gx]

Rows are bench/validate.py's synthetic support chats (system prompt on a third, 1-3 exchanges, a
tool call every 20th row, a preference pair every 10th) as canonical records in Parquet (50k-row
groups, as the stages write them); sizes above 100k repeat the first 100k rows (the flat view's
cost does not depend on rows being distinct). For each size and path, a fresh process reads the
file batch by batch (50k rows) and builds the flat view the gate validates:

- ``old``: ``frames.iter_frames`` (nested columns as Python lists and dicts) + ``gate.flat_view``
  per batch, concatenated (what ``flat_view_of_parquet`` did before);
- ``new``: ``gate.flat_view_of_parquet`` (``frames.iter_tables`` + ``gate.flat_view_of_table``).

Prints wall and CPU seconds of the flat view, the process's RSS before it and its peak, and a
digest of the view (the two paths must print the same). ``--gx`` also validates the view against
expectations/ingested.json, to show what the rest of the gate costs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = 100_000


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def write(n: int, path: Path) -> None:
    """``n`` synthetic canonical records in ``path``: bench/validate.py's records, the first
    100k repeated."""
    sys.path.insert(0, str(REPO / "bench"))
    from validate import records

    from tuneset import frames

    table = frames.to_table(frames.records_frame(records(min(n, BLOCK))))
    sink = frames.ParquetSink(path, table.column_names)
    left = n
    while left > 0:
        sink.write_table(table.slice(0, min(left, table.num_rows)))
        left -= min(left, table.num_rows)
    sink.close()


def one(path: Path, mode: str, gx: bool) -> dict:
    import pandas as pd

    from tuneset import frames, gate

    def old(p: Path) -> pd.DataFrame:
        return pd.concat([gate.flat_view(b) for b in frames.iter_frames(p)], ignore_index=True)

    build = old if mode == "old" else gate.flat_view_of_parquet
    before = _rss_mb()
    t, c = time.perf_counter(), time.process_time()
    view = build(path)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    digest = hashlib.sha256(pd.util.hash_pandas_object(view, index=True).to_numpy().tobytes())
    digest.update(json.dumps([[str(c), str(view[c].dtype)] for c in view.columns]).encode())
    out = {"rows": len(view), "mode": mode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
           "rss_before_mb": round(before), "peak_rss_mb": round(peak), "digest": digest.hexdigest()[:12]}
    if gx:
        c = time.process_time()
        result = gate.validate(view, REPO / "expectations" / "ingested.json", flat=True)
        out["gx_cpu_s"] = round(time.process_time() - c, 2)
        out["gx_success"] = result.success
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    ap.add_argument("--gx", action="store_true", help="also time the GX validation of the view")
    ap.add_argument("--write", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=("old", "new"), default="new", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:
        write(args.write, args.one)
        return 0
    if args.one:
        print(json.dumps(one(args.one, args.mode, args.gx)))
        return 0

    print(f"{'rows':>9} | {'path':>4} | {'wall s':>7} | {'CPU s':>7} | {'RSS before MB':>13} | "
          f"{'peak RSS MB':>11} | {'GX CPU s':>8} | digest")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"examples_{n}.parquet"
            subprocess.run([sys.executable, __file__, "--write", str(n), "--one", str(path)], check=True)
            digests = set()
            for mode in ("old", "new"):
                cmd = [sys.executable, __file__, "--one", str(path), "--mode", mode, *(["--gx"] if args.gx else [])]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                digests.add(r["digest"])
                print(f"{r['rows']:>9,} | {mode:>4} | {r['wall_s']:>7.2f} | {r['cpu_s']:>7.2f} | "
                      f"{r['rss_before_mb']:>13,} | {r['peak_rss_mb']:>11,} | {r.get('gx_cpu_s', '-'):>8} | "
                      f"{r['digest']}", flush=True)
            if len(digests) != 1:
                print(f"  the two paths built different views at {n:,} rows", flush=True)
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
