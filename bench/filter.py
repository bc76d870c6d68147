"""Benchmark: the filter stage with every default rule (conf/filter/default.yaml), labels and coverage.

Usage: python bench/filter.py [--sizes 10000 100000] [--workers 1 2] [--conf conf/filter/default.yaml] [--no-language]

Each size runs in a fresh subprocess so its peak RSS is its own. Rows are synthetic support chats
built as canonical records (1-3 exchanges, a system prompt on a third, a tool call every 20th row,
a preference pair every 10th, a refusal, a template leftover and a looping answer here and there so
every rule meets both outcomes), written to a temporary Parquet file. Per size and number of worker processes it runs the stage's
loop (stages/filter.py): Arrow batches read, judged in the workers (render + count tokens + every
rule + labels), counted in order, kept rows rebuilt and written to Parquet, then the reports. It
prints examples/s of wall clock and per CPU-second (this process and its workers: what one core
does), then, on one 50k batch in-process, the quality rules alone (``apply_rules``, token counts
already there) and language id alone. The target is 20k examples/s for all default rules at 100k
examples on this 2-core machine.
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
         "vault order shipping tracking renewal settings export import backup restore team admin the a to and "
         "your you we please open then select click it is was will can").split()
TOOLS = json.dumps([{"type": "function", "function": {"name": "lookup_order", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}])
ODD = ["As an AI language model, I cannot access your account. Please contact support.",
       "Hi {{customer_name}}, your order has shipped. TODO: add tracking link.",
       "I can help with that. " * 12]


def records(n: int, seed: int = 7) -> list[dict]:
    from tuneset.records import Parsed, SourceInfo, Unit, build_record, message

    rng = random.Random(seed)
    info = SourceInfo("bench", "data/raw/bench/chat.jsonl", origin="production", license="internal")

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))

    out = []
    for i in range(n):
        msgs = [message("system", "You are Northwind's support assistant. Be concise.")] if i % 3 == 0 else []
        for _ in range(rng.randint(1, 3)):
            msgs += [message("user", f"Question {i}: {text(5, 40)}?"), message("assistant", f"Sure. {text(10, 80)}.")]
        if i % 97 == 0:
            msgs[-1] = message("assistant", ODD[(i // 97) % len(ODD)])
        tools = None
        if i % 20 == 0:
            call = {"id": "c1", "type": "function", "function": {"name": "lookup_order",
                                                                 "arguments": json.dumps({"order_id": f"HL-{i}"})}}
            msgs[-1:-1] = [message("assistant", None, tool_calls=[call]),
                           message("tool", json.dumps({"status": "shipped"}), tool_call_id="c1")]
            tools = TOOLS
        labels = {"category": rng.choice(["billing", "login", "sync", "shipping"])}
        if i % 10 == 5:
            parsed = Parsed(kind="preference", messages=msgs[:-1], chosen=[msgs[-1]],
                            rejected=[message("assistant", f"No. {text(3, 20)}")], tools=tools, labels=labels,
                            meta={"csat": rng.randint(1, 5)})
        else:
            parsed = Parsed(kind="sft", messages=msgs, tools=tools, labels=labels, meta={"csat": rng.randint(1, 5)})
        out.append(build_record(Unit(locator=str(i + 1), raw=f"{i}".encode(), parsed=parsed), info))
    return out


def _cfg(conf: str, no_language: bool):
    from pathlib import Path

    from omegaconf import OmegaConf

    from tuneset import config

    loaded = OmegaConf.load(conf)
    bases = [OmegaConf.load(Path(conf).parent / f"{b}.yaml") for b in loaded.get("defaults", []) if b != "_self_"]
    values = OmegaConf.to_container(OmegaConf.merge(*bases, loaded), resolve=True)  # a group file's defaults list
    values.pop("defaults", None)
    if no_language:
        values["rules"] = [r for r in values["rules"] if r.get("rule") != "language"]
    return config.load_section("filter", {"filter": values})


def _clock():
    return time.perf_counter(), time.process_time()


def one(n: int, conf: str, no_language: bool, workers: int) -> dict:
    import tempfile
    from pathlib import Path

    from tuneset import frames, parallel
    from tuneset.config import TargetConfig
    from tuneset.filter import FilterRun, apply_rules, text
    from tuneset.filter.language import Language

    cfg, target = _cfg(conf, no_language), TargetConfig()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "examples.parquet"
        frames.write_parquet(frames.records_frame(records(n)), path)  # the stage reads its input batch by batch
        FilterRun(cfg, target).add(frames.read_parquet(path).iloc[:50].reset_index(drop=True))  # load tokenizers
        run = FilterRun(cfg, target)
        # The stage's loop (stages/filter.py): Arrow batches judged in `workers` processes, counted
        # here in order, kept rows rebuilt as Arrow and written; reports at the end.
        w, c = time.perf_counter(), cpu_seconds()
        sink = None
        batches = frames.iter_tables(path, parallel.batch_rows(n, workers))
        for kept_table, verdict in run.filter_tables(batches, workers):
            if sink is None:
                sink = frames.ParquetSink(Path(tmp) / "out.parquet", kept_table.column_names,
                                          run.output_types(verdict.added))
            sink.write_table(kept_table)
        sink.close()
        report, coverage = run.report(), run.coverage_report()
        w_all, c_all = time.perf_counter() - w, cpu_seconds() - c
        # The quality rules alone, on one 50k batch in this process (token counts and texts there).
        kept = run.add(frames.read_parquet(path).iloc[: min(n, 50_000)].reset_index(drop=True))[0]
        work = text.add_columns(kept.assign(_render_error=None), run.needs, run.text_counter)
        w, c = _clock()
        apply_rules(work, run.rules)
        w_rules, c_rules = time.perf_counter() - w, time.process_time() - c
        lang = Language()
        w, c = _clock()
        lang.evaluate(work)
        w_lang, c_lang = time.perf_counter() - w, time.process_time() - c
    m = len(work)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": n, "workers": workers, "rules": [r.name for r in run.rules], "kept": report["rows_out"],
            "dropped": report["dropped_by_rule"], "filter_rate": n / w_all, "filter_cpu_rate": n / c_all,
            "rules_rate": m / w_rules, "rules_cpu_rate": m / c_rules, "language_rate": m / w_lang,
            "language_cpu_rate": m / c_lang, "labels": len(coverage["labels"]), "peak_rss_mb": round(peak_mb)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--conf", default="conf/filter/default.yaml")
    ap.add_argument("--no-language", action="store_true", help="leave the language rule out")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                    help="worker processes (TUNESET_WORKERS in the stage); 1 runs in-process")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.conf, args.no_language, args.workers[0])))
        return 0
    print("| rows | workers | filter ex/s wall | ex/s per CPU-second | quality rules ex/s (CPU) "
          "| language ex/s (CPU) | kept | peak RSS (parent) |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for workers in args.workers:
            cmd = [sys.executable, __file__, "--one", str(n), "--conf", args.conf, "--workers", str(workers)]
            cmd += ["--no-language"] if args.no_language else []
            r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            k = lambda key: f"{r[key] / 1000:.1f}k"  # noqa: E731
            print(f"| {n:,} | {workers} | {k('filter_rate')} | {k('filter_cpu_rate')} | {k('rules_rate')} "
                  f"({k('rules_cpu_rate')}) | {k('language_rate')} ({k('language_cpu_rate')}) | {r['kept']:,} "
                  f"| {r['peak_rss_mb']} MB |", flush=True)
            print(f"  rules: {', '.join(r['rules'])}; dropped {r['dropped']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
