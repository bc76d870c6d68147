"""Benchmark: the decontaminate and split stages at 10^4..10^6 examples, against five real benchmarks.

Usage: python bench/split_decontaminate.py [--sizes 10000 100000 1000000] [--shared ../shared/data]

Examples are distinct chats built from Stanford Alpaca text (a distinct pair of instructions as the
user turn, three to five random answer sentences as the assistant turn), so n-gram statistics are
those of real English and the data looks like it has been through dedup.
The benchmarks are all five sets in ../shared/data: GSM8K test, HumanEval, TruthfulQA (v1), the 57
MMLU-Redux CSVs and MT-Bench, linked (not copied) into a temporary data/benchmarks/. Each stage runs
as `dvc repro` runs it (its script in its own process, gates included) and prints its wall time,
rows/s and peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = {
    "gsm8k": ["gsm8k/test.jsonl"],
    "humaneval": ["humaneval/HumanEval.jsonl.gz"],
    "truthfulqa": ["truthfulqa/v1/TruthfulQA.csv"],
    "mmlu": ["mmlu-redux/mmlu_redux/*.csv"],
    "mtbench": ["mt-bench/question.jsonl"],
}
STAGES = ("decontaminate", "split")


def write_examples(path: Path, n: int, shared: Path, seed: int = 1) -> None:
    from tuneset import frames
    from tuneset.records import Parsed, SourceInfo, Unit, build_record, message

    rows = json.loads(gzip.open(shared / "alpaca/alpaca_data.json.gz").read())
    instructions = [r["instruction"].strip() for r in rows if r["instruction"].strip()]
    sentences = [s.strip() for r in rows for s in re.split(r"(?<=[.!?])\s+", r["output"]) if len(s.split()) >= 4]
    rng = random.Random(seed)
    info = SourceInfo("bench", "data/raw/bench/chat.jsonl", origin="public")
    sink = frames.ParquetSink(path)
    batch = []
    for i in range(n):
        a = i % len(instructions)  # a distinct pair of instructions per row: the data is past dedup
        user = f"{instructions[a]} {instructions[(i // len(instructions) + 7 * a + 1) % len(instructions)]}"
        answer = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 5)))
        parsed = Parsed(kind="sft", messages=[message("user", user), message("assistant", answer)],
                        group_id=f"t{i // 3}" if i % 4 == 0 else None)
        batch.append(build_record(Unit(str(i + 1), f"{i}\0{user}\0{answer}".encode(), parsed=parsed), info))
        if len(batch) == 50_000:
            sink.write_records(batch)
            batch = []
    if batch:
        sink.write_records(batch)
    sink.close()


def link_benchmarks(work: Path, shared: Path) -> None:
    for name, patterns in BENCHMARKS.items():
        for src in sorted(p for pattern in patterns for p in shared.glob(pattern)):
            dst = work / "data/benchmarks" / name / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(src, dst)


def run_phase(stage: str, work: Path) -> dict:
    os.chdir(work)
    args = {"decontaminate": ["--input", "data/in/examples.parquet"],
            "split": ["--input", "data/decontaminate/examples.parquet"]}[stage]
    sys.argv = [f"stages/{stage}.py", *args]
    from tuneset import stagekit

    gate_seconds = [0.0]
    before_gates: list[float] = []
    real_gate = stagekit.gate

    def timed_gate(*a, **kw):  # the Great Expectations gates are shared infrastructure: timed apart
        if not before_gates:
            before_gates.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        t = time.perf_counter()
        try:
            real_gate(*a, **kw)
        finally:
            gate_seconds[0] += time.perf_counter() - t

    stagekit.gate = timed_gate
    start = time.perf_counter()
    code = 0
    try:
        runpy.run_path(str(REPO / "stages" / f"{stage}.py"), run_name="__main__")
    except SystemExit as exc:
        code = int(exc.code or 0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": time.perf_counter() - start, "gate_seconds": gate_seconds[0], "code": code,
            "peak_rss_mb": peak, "peak_before_gates_mb": before_gates[0] if before_gates else peak}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--phase", choices=STAGES, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.work)))
        return 0
    from tuneset import config

    print("seconds: whole stage process (imports, benchmark loading, GX gates included) / of which GX gates; "
          "rows/s: rows / (stage - gates); MB: peak RSS of the stage process, before its gates / overall")
    print(f"{'rows':>9} | " + " | ".join(f"{s + ' s':>16} {'gates':>6} {'rows/s':>8} {'MB':>11}" for s in STAGES)
          + " | notes")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "expectations").symlink_to(REPO / "expectations")
            config.compose_params(REPO / "conf", work / "params.yaml")
            link_benchmarks(work, args.shared)
            write_examples(work / "data/in/examples.parquet", n, args.shared)
            cells, notes = [], []
            for stage in STAGES:
                out = subprocess.run([sys.executable, __file__, "--phase", stage, "--work", str(work)],
                                     capture_output=True, text=True)
                if out.returncode != 0 or not out.stdout.strip():
                    print(out.stderr[-3000:], file=sys.stderr)
                    return 1
                r = json.loads(out.stdout.strip().splitlines()[-1])
                work_s = r["seconds"] - r["gate_seconds"]
                mb = f"{r['peak_before_gates_mb']:,.0f}/{r['peak_rss_mb']:,.0f}"
                cells.append(f"{r['seconds']:>16,.1f} {r['gate_seconds']:>6,.1f} {n / work_s:>8,.0f} {mb:>11}")
                if r["code"]:
                    notes.append(f"{stage} exited {r['code']}")
            dec = json.loads((work / "reports/decontaminate.json").read_text())
            spl = json.loads((work / "reports/split.json").read_text())
            notes.append(f"contaminated {dec['rows_in'] - dec['rows_out']}, "
                         f"items {sum(b['items'] for b in dec['benchmarks'].values())}, "
                         f"links {spl['prompt_links']['pairs']}, leaks {spl['leakage']['violations']}")
            print(f"{n:>9,} | " + " | ".join(cells) + " | " + "; ".join(notes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
