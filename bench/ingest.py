"""Benchmark: the real ingest, normalize, split and export stage scripts on synthetic chat JSONL.

Usage: python bench/ingest.py [--sizes 10000 100000 1000000]

Each stage runs as `dvc repro` would run it (its own process, gates included) in a scratch copy of
conf/ and expectations/, so the figures are the pipeline's own. Prints, per stage: wall seconds of the
process (start-up and the Great Expectations import included), its CPU seconds (user + system: on a
shared machine the fairer figure), the stage's own timed section (reports/timings), rows/s over wall
and over CPU time, the process's peak RSS, and the load average, which says how shared the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOPICS = ["billing", "login", "sync", "refund", "shipping", "upgrade", "invoice", "password"]
STAGES = [
    ("ingest", []),
    ("normalize", []),
    ("split", []),
    ("export", ["--dropped", "data/ingest/dropped.parquet", "data/normalize/dropped.parquet", "data/split/dropped.parquet"]),
]


def write_chat_jsonl(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            topic = rng.choice(TOPICS)
            words = " ".join(rng.choice(TOPICS) for _ in range(rng.randint(5, 40)))
            row = {"messages": [
                {"role": "system", "content": "You are Northwind's support assistant."},
                {"role": "user", "content": f"Question {i} about {topic}: {words}?"},
                {"role": "assistant", "content": f"For {topic}, open Settings and follow the steps. {words}."}]}
            f.write(json.dumps(row) + "\n")


def run_stage(work: Path, name: str, extra: list[str]) -> dict[str, float]:
    """Wall and CPU seconds (user + system) and peak RSS (MB) of one stage process; its stderr goes to
    logs/<stage>.log in the scratch directory."""
    (work / "logs").mkdir(exist_ok=True)
    log = work / "logs" / f"{name}.log"
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, str(REPO / "stages" / f"{name}.py"), *extra], cwd=work,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {name} failed:\n{log.read_text(encoding='utf-8')[-3000:]}")
    timing = json.loads((work / "reports/timings" / f"{name}.json").read_text())
    return {"wall": seconds, "cpu": usage.ru_utime + usage.ru_stime, "inner": timing["wall_seconds"],
            "mb": usage.ru_maxrss / 1024}


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def prepare(work: Path, n: int) -> None:
    from tuneset import config

    for d in ("conf", "expectations"):
        shutil.copytree(REPO / d, work / d)
    cfg = work / "conf/config.yaml"
    cfg.write_text(cfg.read_text().replace("sources: sample", "sources: none"))
    config.compose_params(work / "conf", work / "params.yaml")
    write_chat_jsonl(work / "data/raw/bench/chat.jsonl", n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--keep", type=Path, help="run in DIR/<rows> and keep it (default: a temporary directory)")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; load average (1/5/15 min) at start {load()}", flush=True)
    print(f"{'rows':>9} {'stage':<9} | {'wall s':>7} {'cpu s':>7} {'in-stage s':>10} | {'r/s wall':>9} "
          f"{'r/s cpu':>9} | {'peak MB':>7} | load", flush=True)
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) if args.keep is None else args.keep / str(n)
            if args.keep is not None and work.exists():
                shutil.rmtree(work)
            work.mkdir(parents=True, exist_ok=True)
            prepare(work, n)
            total = {"wall": 0.0, "cpu": 0.0, "inner": 0.0, "mb": 0.0}
            for name, extra in STAGES:
                r = run_stage(work, name, extra)
                total = {k: max(v, r[k]) if k == "mb" else v + r[k] for k, v in total.items()}
                print(f"{n:>9,} {name:<9} | {r['wall']:>7.1f} {r['cpu']:>7.1f} {r['inner']:>10.1f} | "
                      f"{n / r['wall']:>9,.0f} {n / r['cpu']:>9,.0f} | {r['mb']:>7,.0f} | {load()}", flush=True)
            lineage = json.loads((work / "reports/lineage.json").read_text())
            assert lineage["balanced"] and lineage["kept"] == n, lineage
            print(f"{n:>9,} {'all':<9} | {total['wall']:>7.1f} {total['cpu']:>7.1f} {total['inner']:>10.1f} | "
                  f"{n / total['wall']:>9,.0f} {n / total['cpu']:>9,.0f} | {total['mb']:>7,.0f} | {load()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
