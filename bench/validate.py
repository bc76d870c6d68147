"""Benchmark: validation (normalize) + token counting (filter) throughput and peak memory.

Usage: python bench/validate.py [--sizes 10000 100000] [--workers 1 2] [--tokenizer o200k_base]
                               [--template chatml] [--shape chat|single]
       python bench/validate.py --bpe      # the BPE guard: pathological no-whitespace runs

Each size runs in a fresh subprocess so its peak RSS is its own. Rows are synthetic support chats
(system prompt on a third of them, 1-3 exchanges, a tool-calling conversation every 20th row, a
preference pair every 10th), built as canonical records the way ingest writes them and written to Parquet. Runs the stages'
loops (Parquet batches in, judged in worker processes, merged in order, Parquet out) and prints
rows/s of normalize, of filter (render + count + the token rules), and of the two together; the
target is 20k rows/s. The first row of each size, ``in-memory``, is the validation and token
counting alone: one DataFrame through normalize() and apply_filter(), no Parquet.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time

from measure import cpu_seconds

WORDS = ("account billing invoice refund password login sync device folder share upload plan upgrade storage "
         "vault order shipping tracking renewal settings export import backup restore team admin").split()
TOOLS = json.dumps([{"type": "function", "function": {"name": "lookup_order", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}])


def records(n: int, seed: int = 1, shape: str = "chat") -> list[dict]:
    from tuneset.records import Parsed, SourceInfo, Unit, build_record, message

    rng = random.Random(seed)
    info = SourceInfo("bench", "data/raw/bench/chat.jsonl", origin="production")
    out = []

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))

    for i in range(n):
        if shape == "single":  # Alpaca-sized: one instruction, one answer (~70 tokens)
            parsed = Parsed(kind="sft", messages=[message("user", f"Task {i}: {text(5, 20)}."),
                                                  message("assistant", text(20, 50))])
            out.append(build_record(Unit(locator=str(i + 1), raw=f"{i}".encode(), parsed=parsed), info))
            continue
        msgs = [message("system", "You are Northwind's support assistant. Be concise.")] if i % 3 == 0 else []
        for _ in range(rng.randint(1, 3)):
            msgs += [message("user", f"Question {i}: {text(5, 40)}?"), message("assistant", f"Sure. {text(10, 80)}.")]
        tools = None
        if i % 20 == 0:
            call = {"id": "c1", "type": "function", "function": {"name": "lookup_order",
                                                                 "arguments": json.dumps({"order_id": f"HL-{i}"})}}
            msgs[-1:-1] = [message("assistant", None, tool_calls=[call]),
                           message("tool", json.dumps({"status": "shipped"}), tool_call_id="c1")]
            tools = TOOLS
        if i % 10 == 5:
            parsed = Parsed(kind="preference", messages=msgs[:-1], chosen=[msgs[-1]],
                            rejected=[message("assistant", f"No. {text(3, 20)}")], tools=tools)
        else:
            parsed = Parsed(kind="sft", messages=msgs, tools=tools)
        out.append(build_record(Unit(locator=str(i + 1), raw=f"{i}".encode(), parsed=parsed), info))
    return out


def in_memory(n: int, tokenizer: str, template: str, shape: str) -> dict:
    """Validation and token counting alone: normalize() and apply_filter() on one DataFrame in this
    process, no Parquet and no conversion between Arrow and Python objects."""
    from tuneset import frames
    from tuneset.config import FilterConfig, NormalizeConfig, TargetConfig
    from tuneset.filter import apply_filter
    from tuneset.normalize import normalize
    from tuneset.parallel import without_gc
    from tuneset.tokens import TokenCounter

    df = frames.records_frame(records(n, shape=shape))
    TokenCounter(tokenizer)  # load the vocabulary outside the timed part (0.2-0.5 s, once per process)
    t, c = time.perf_counter(), cpu_seconds()
    norm = without_gc(lambda d: normalize(d, NormalizeConfig()), df)
    t_norm, c_norm = time.perf_counter() - t, cpu_seconds() - c
    t, c = time.perf_counter(), cpu_seconds()
    filt = without_gc(lambda d: apply_filter(d, FilterConfig(), TargetConfig(tokenizer=tokenizer, template=template)),
                      norm.examples)
    t_filter, c_filter = time.perf_counter() - t, cpu_seconds() - c
    return _result(n, "in-memory", t_norm, c_norm, t_filter, c_filter, filt.report)


def _result(n, workers, t_norm, c_norm, t_filter, c_filter, report) -> dict:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": n, "workers": workers, "normalize_s": round(t_norm, 2), "filter_s": round(t_filter, 2),
            "normalize_rows_s": round(n / t_norm), "filter_rows_s": round(n / t_filter),
            "total_rows_s": round(n / (t_norm + t_filter)), "total_rows_cpu_s": round(n / (c_norm + c_filter)),
            "normalize_rows_cpu_s": round(n / c_norm), "filter_rows_cpu_s": round(n / c_filter),
            "kept": report["rows_out"], "tokens": report["tokens"]["n_tokens"].get("total", 0),
            "peak_rss_mb": round(peak_mb)}


def one(n: int, tokenizer: str, template: str, shape: str, workers: int) -> dict:
    """The normalize and filter stages' loops (stages/normalize.py, stages/filter.py) over Parquet:
    Arrow batches judged in ``workers`` processes, merged in order, written; filter with its
    required rule and the token rules only (FilterConfig's defaults)."""
    import tempfile
    from pathlib import Path

    from tuneset import frames, parallel
    from tuneset.config import FilterConfig, NormalizeConfig, TargetConfig
    from tuneset.filter import FilterRun
    from tuneset.normalize import NormalizeStats, normalize_table

    with tempfile.TemporaryDirectory() as tmp:
        raw, normalized = Path(tmp) / "ingested.parquet", Path(tmp) / "normalized.parquet"
        frames.write_parquet(frames.records_frame(records(n, shape=shape)), raw)
        cfg = NormalizeConfig()
        run = FilterRun(FilterConfig(), TargetConfig(tokenizer=tokenizer, template=template))  # loads the vocabulary
        rows = parallel.batch_rows(n, workers)

        t, c = time.perf_counter(), cpu_seconds()
        sink, stats = frames.ParquetSink(normalized, frames.parquet_columns(raw)), NormalizeStats()
        for _, (kept, _, batch_stats) in parallel.map_ordered(lambda b: normalize_table(b, cfg),
                                                              frames.iter_tables(raw, rows), workers):
            sink.write_table(kept)
            stats.merge(batch_stats)
        sink.close()
        stats.report(cfg)
        t_norm, c_norm = time.perf_counter() - t, cpu_seconds() - c

        t, c = time.perf_counter(), cpu_seconds()
        sink = None
        for out, verdict in run.filter_tables(frames.iter_tables(normalized, rows), workers):
            if sink is None:
                sink = frames.ParquetSink(Path(tmp) / "filtered.parquet", out.column_names,
                                          run.output_types(verdict.added))
            sink.write_table(out)
        sink.close()
        report = run.report()
        t_filter, c_filter = time.perf_counter() - t, cpu_seconds() - c
    return _result(n, workers, t_norm, c_norm, t_filter, c_filter, report)


def bpe(sizes: list[int]) -> None:
    """Time one no-whitespace run of each size: tiktoken exact vs the guarded count."""
    from tuneset import tokens

    rng = random.Random(0)
    print(f"{'run chars':>10} | {'exact s':>8} {'guarded s':>10} | {'exact tokens':>12} {'guarded':>9} {'diff':>6}")
    for name in ("o200k_base",):
        enc = tokens.encoding(name)
        for n in sizes:
            blob = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))
            t = time.perf_counter()
            exact = len(enc.encode_ordinary(blob))
            t_exact = time.perf_counter() - t
            t = time.perf_counter()
            guarded = tokens.count_text(blob, enc)
            t_guard = time.perf_counter() - t
            print(f"{n:>10,} | {t_exact:>8.3f} {t_guard:>10.3f} | {exact:>12,} {guarded:>9,} {guarded - exact:>+6}",
                  flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    ap.add_argument("--tokenizer", default="o200k_base")
    ap.add_argument("--template", default="chatml")
    ap.add_argument("--shape", choices=("chat", "single"), default="chat",
                    help="chat: the multi-turn mix above (~190 tokens/row); single: one Alpaca-sized exchange")
    ap.add_argument("--bpe", action="store_true", help="time the BPE guard on pathological runs instead")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                    help="worker processes (TUNESET_WORKERS in the stages); 1 runs in-process")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bpe:
        bpe([10_000, 40_000, 160_000, 640_000])
        return 0
    if args.one:
        if args.in_memory:
            print(json.dumps(in_memory(args.one, args.tokenizer, args.template, args.shape)))
        else:
            print(json.dumps(one(args.one, args.tokenizer, args.template, args.shape, args.workers[0])))
        return 0
    print(f"tokenizer {args.tokenizer}, template {args.template}, rows {args.shape}")
    print("rows/s of wall clock (rows per CPU-second of this process and its workers in parentheses)")
    print(f"{'rows':>9} | {'workers':>9} | {'normalize r/s':>17} | {'filter r/s':>17} | {'total r/s':>17} | "
          f"{'tokens':>11} | {'peak RSS MB':>11}")
    for n in args.sizes:
        for workers in ["in-memory", *args.workers]:
            mode = ["--in-memory"] if workers == "in-memory" else ["--workers", str(workers)]
            out = subprocess.run([sys.executable, __file__, "--one", str(n), "--tokenizer", args.tokenizer,
                                  "--template", args.template, "--shape", args.shape, *mode],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            cells = [f"{r[k + '_rows_s']:>7,} ({r[k + '_rows_cpu_s']:>7,})" for k in ("normalize", "filter", "total")]
            print(f"{n:>9,} | {workers:>9} | " + " | ".join(cells) + f" | {r['tokens']:>11,} | {r['peak_rss_mb']:>11,}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
