"""Benchmark: `explain` and `models which` on synthetic dataset versions of 10k to 1M examples.

Usage: python bench/audit.py [--sizes 10000 100000 1000000] [--keep DIR]

For each size, in a scratch git + DVC repository:
1. gen: a synthetic data/final (manifest, examples with 2-4 turns, dropped table = 5%, VERSION.json);
2. build: the index export writes (tuneset.audit.index.export_index), in its own process: seconds
   and peak RSS;
3. commit: `dvc commit` + `git commit`, then register a model on that rev;
4. query: one fresh process runs each query several times: explain by example-id prefix, by
   origin-id prefix and of a dropped unit (history included: the committed version is read through
   DVC), models which ID (through the model's rev), models which --text (a rare and a common
   phrase). Prints the median wall and CPU seconds per query after imports, the first call's wall
   time (it includes importing DVC), the number of results (for explain: versions listed) and the
   process's peak RSS;
5. cli: the wall time of `tuneset explain` and `tuneset models which` as a user runs them
   (interpreter start and imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINAL = "data/final"
RARE = "ZEBRA-CODE-7781"
COMMON = "refund"
SENTENCES = 4000


def sh(cwd: Path, *cmd: str) -> str:
    env = dict(os.environ, DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@b")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def worker(work: Path, mode: str, *args: str) -> tuple[float, dict]:
    """Run this script in ``mode`` as its own process: wall seconds and the JSON it prints (with its peak RSS)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--worker", mode, str(work), *args], capture_output=True,
                          text=True, env=dict(os.environ, DVC_NO_ANALYTICS="1"))
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-4000:]}")
    return time.perf_counter() - start, json.loads(proc.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- workers (each its own process) -----------------------------------------------------------------

def gen(work: Path, n: int) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tuneset import export, frames, hashing
    from tuneset import schema as col

    rng = np.random.default_rng(7)
    words = ("the a my account order refund please help cannot sync storage plan billing card charged twice password "
             "reset link email support team thank you will check again later today invoice upgrade shipping parcel "
             "login device folder share photo backup restore delete").split()
    pool = [" ".join(rng.choice(words, size=rng.integers(6, 30))) for _ in range(SENTENCES)]
    pool[0] = f"my code is {RARE} please help"
    pick = rng.integers(1, SENTENCES, size=(n, 4))
    pick[rng.choice(n, size=min(n, 10), replace=False), 0] = 0  # the rare phrase in 10 user turns
    turns = rng.choice([2, 4], size=n, p=[0.7, 0.3])
    eids = [hashing.sha256_text(f"example {i}") for i in range(n)]
    oids = [hashing.sha256_text(f"origin {i}") for i in range(n)]
    splits = rng.choice(["train", "val", "test"], size=n, p=[0.8, 0.1, 0.1])
    msgs = []
    for i in range(n):
        roles = ("user", "assistant") * (turns[i] // 2)
        msgs.append([{"role": r, "content": pool[pick[i, j]], "name": None, "tool_calls": None, "tool_call_id": None}
                     for j, r in enumerate(roles)])
    meta = {
        col.EXAMPLE_ID: eids, col.ORIGIN_ID: oids, col.KIND: ["sft"] * n, col.SPLIT: splits.tolist(),
        col.GROUP_ID: oids, col.CLUSTER_ID: oids, col.SOURCE: ["chat"] * n,
        col.SOURCE_FILE: ["data/raw/chat.jsonl"] * n, col.LOCATOR: [str(i + 1) for i in range(n)],
        col.ORIGIN: ["production"] * n, col.LICENSE: ["internal"] * n, col.N_TOKENS: rng.integers(20, 400, size=n),
    }
    manifest = export.manifest(pd.DataFrame({k: (v if k == col.N_TOKENS else pd.Series(v, dtype=object))
                                             for k, v in meta.items()}))
    out = work / FINAL
    out.mkdir(parents=True, exist_ok=True)
    frames.write_parquet(manifest, out / "manifest.parquet")
    pii = [json.dumps({"EMAIL_ADDRESS": 1}) if i % 10 == 0 else None for i in range(n)]
    examples = pa.table({
        col.ORIGIN_ID: oids, col.EXAMPLE_ID: eids, col.KIND: meta[col.KIND],
        col.MESSAGES: pa.array(msgs, type=col.MESSAGES_TYPE), col.SPLIT: meta[col.SPLIT], "pii_edits": pii})
    pq.write_table(examples, out / "examples.parquet", compression="zstd")
    d = max(1, n // 20)
    dropped = pd.DataFrame({c: pd.Series([None] * d, dtype=object) for c in col.DROPPED_COLUMNS})
    dropped[col.ORIGIN_ID] = [hashing.sha256_text(f"dropped {i}") for i in range(d)]
    dropped[col.EXAMPLE_ID] = [eids[i] if i % 4 == 0 else hashing.sha256_text(f"dropped example {i}") for i in range(d)]
    dropped[col.STAGE], dropped[col.RULE], dropped[col.RULE_FINGERPRINT] = "filter", "min_length", "0" * 16
    dropped[col.REASON], dropped[col.DETAILS], dropped[col.PREVIEW] = "too short", "{}", ""
    dropped[col.SOURCE_FILE], dropped[col.LOCATOR] = "data/raw/chat.jsonl", [str(n + i + 1) for i in range(d)]
    frames.write_parquet(dropped, out / "dropped.parquet", col.DROPPED_TYPES)
    version = export.version(manifest, "bench", None)
    (out / "VERSION.json").write_text(version.to_json(), encoding="utf-8")
    train = next(i for i in range(n // 2, n) if splits[i] == "train")  # so that `models which` names the model
    print(json.dumps({"example": eids[train], "origin": oids[n // 3], "dropped": dropped[col.ORIGIN_ID].iloc[1],
                      "peak_rss_mb": peak_rss_mb()}))


def build(work: Path) -> None:
    from tuneset import frames
    from tuneset.audit import index as idx

    out = work / FINAL
    manifest = frames.read_parquet(out / "manifest.parquet")
    dropped = frames.read_parquet(out / "dropped.parquet")
    loaded = peak_rss_mb()  # export holds these frames anyway; the index's own cost is the rest
    start, start_cpu = time.perf_counter(), time.process_time()
    counts = idx.export_index(out / idx.INDEX_DIR, manifest, dropped, out / "examples.parquet")
    print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - start_cpu, "counts": counts,
                      "peak_rss_mb": peak_rss_mb(), "loaded_rss_mb": loaded}))


def query(work: Path, ids_json: str, repeats: int) -> None:
    from tuneset.audit import explain, models

    ids = json.loads(ids_json)
    registered = models.load_registry(work / "models/registry.yaml")
    cases = {
        "explain example prefix": lambda: explain.explain(work, ids["example"][:10], FINAL),
        "explain origin prefix": lambda: explain.explain(work, ids["origin"][:10], FINAL),
        "explain dropped unit": lambda: explain.explain(work, ids["dropped"], FINAL),
        "models which ID": lambda: models.which(work, registered, FINAL, ids["example"][:12]),
        f"models which --text (rare: {RARE})": lambda: models.which_text(work, registered, FINAL, RARE.lower()),
        f"models which --text (common: {COMMON})": lambda: models.which_text(work, registered, FINAL, COMMON),
    }
    out = {}
    for name, fn in cases.items():
        times, cpu, result = [], [], None
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = fn()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        size = len(result) if isinstance(result, list) else len(result.get("versions", [])) if isinstance(result, dict) else 0
        out[name] = {"median": statistics.median(times), "cpu": statistics.median(cpu), "first": times[0], "results": size}
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


# --- driver --------------------------------------------------------------------------------------------

def cli_wall(work: Path, *args: str) -> str:
    """``wall s / cpu s`` of one ``tuneset`` command as a user runs it (interpreter start and imports included)."""
    import resource

    tuneset = Path(sys.executable).parent / "tuneset"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(tuneset), *args], cwd=work, check=True, capture_output=True,
                   env=dict(os.environ, DVC_NO_ANALYTICS="1"))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return f"{wall:.2f}s wall / {cpu:.2f}s cpu"


def bench(n: int, root: Path, repeats: int) -> None:
    work = root / f"n{n}"
    work.mkdir(parents=True)
    sh(work, "git", "init", "-q")
    sh(work, "dvc", "init", "-q")
    (work / "dvc.yaml").write_text("stages:\n  export:\n    cmd: echo written by bench/audit.py\n    outs:\n      - data/final\n")
    t_gen, ids = worker(work, "gen", str(n))
    _, built = worker(work, "build")
    sh(work, "dvc", "commit", "-f", "-q", "export")
    sh(work, "git", "add", "-A")
    sh(work, "git", "commit", "-qm", f"dataset of {n}")
    sh(work, "tuneset", "models", "register", "bench-model", "--rev", "HEAD")
    ids.pop("peak_rss_mb")
    _, q = worker(work, "query", json.dumps(ids), str(repeats))
    size_mb = sum(p.stat().st_size for p in (work / FINAL / "index").iterdir()) / 1e6
    print(f"\n## {n:,} examples (+{max(1, n // 20):,} dropped); generated in {t_gen:.1f}s")
    print(f"index build (export_index): {built['seconds']:.2f}s wall / {built['cpu']:.2f}s cpu, peak RSS {built['peak_rss_mb']:,.0f} MB "
          f"({built['loaded_rss_mb']:,.0f} MB before the call: the manifest and dropped frames export already holds); "
          f"index files {size_mb:,.1f} MB")
    print(f"{'query (after imports)':<44} {'median s':>9} {'cpu s':>7} {'first s':>8} {'results':>8}")
    for name, v in q.items():
        if isinstance(v, dict):
            print(f"{name:<44} {v['median']:>9.3f} {v['cpu']:>7.3f} {v['first']:>8.3f} {v['results']:>8}")
    print(f"query process peak RSS {q['peak_rss_mb']:,.0f} MB")
    ids_d = ids
    print("CLI, process start and imports included:")
    print(f"  tuneset explain ID             {cli_wall(work, 'explain', ids_d['example'][:10])}")
    print(f"  tuneset models which ID        {cli_wall(work, 'models', 'which', ids_d['example'][:12])}")
    print(f"  tuneset models which --text    {cli_wall(work, 'models', 'which', '--text', RARE)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", help="keep the scratch repositories in this directory")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        mode, work, *rest = args.worker
        {"gen": lambda: gen(Path(work), int(rest[0])), "build": lambda: build(Path(work)),
         "query": lambda: query(Path(work), rest[0], int(rest[1]))}[mode]()
        return
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tuneset-bench-audit-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        for n in args.sizes:
            bench(n, root, args.repeats)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
