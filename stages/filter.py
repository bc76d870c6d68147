"""Stage filter: count the tokens of each rendered example, apply the declared rules (each failure a
named drop with its score), label the kept examples, cap over-full labels (filter.balance), and
report the token budget, the score distributions and the coverage. Reads and writes batch by batch."""

import argparse
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tuneset import config, frames, ledger, parallel, stagekit
from tuneset import schema as col
from tuneset.filter import FilterRun

STAGE = "filter"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/scrub/examples.parquet")
    ap.add_argument("--out", default="data/filter")
    ap.add_argument("--report", default="reports/filter.json")
    ap.add_argument("--coverage", default="reports/coverage.json")
    ap.add_argument("--suite", default="expectations/filtered.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    params = config.read_params(args.params)
    run = FilterRun(config.load_section("filter", params), config.load_section("target", params))
    out = Path(args.out)
    # With balance caps the kept rows are written once, then re-read through the caps.
    first = out / "_before_balance.parquet" if run.balancing else out / "examples.parquet"
    with stagekit.timed(STAGE) as timing:
        total = pq.ParquetFile(args.input).metadata.num_rows
        progress = stagekit.progress(STAGE, total)
        workers = parallel.workers(rows=total)
        sink = empty = None
        dropped = []
        # Batches are judged in worker processes (TUNESET_WORKERS) and counted here in input order.
        batches = frames.iter_tables(args.input, parallel.batch_rows(total, workers))
        for kept, verdict in run.filter_tables(batches, workers):
            if sink is None:
                empty = frames.from_table(kept.slice(0, 0))
                sink = frames.ParquetSink(first, kept.column_names, run.output_types(verdict.added))
            sink.write_table(kept)
            dropped.append(verdict.dropped)
            progress(run.rows_in)
        if sink is None:  # no rows at all: an empty table with the output columns
            empty, _ = run.add(frames.read_parquet(args.input))
            sink = frames.ParquetSink(first, list(empty.columns), run.output_types(empty))
        sink.close(empty_like=empty)
        if run.balancing:
            run.decide_balance()
            final = frames.ParquetSink(out / "examples.parquet", sink.columns, sink.types)
            for batch in frames.iter_frames(first):
                stay, capped = run.cap(batch)
                final.write_frame(stay)
                dropped.append(capped)
            final.close(empty_like=empty)
            first.unlink()
        timing["rows"] = run.rows_in
        timing["workers"] = workers
        dropped_df = ledger.concat_dropped(dropped)
        frames.write_parquet(dropped_df, out / "dropped.parquet", col.DROPPED_TYPES)
        report = run.report()
        stagekit.write_json(args.report, report)
        coverage = run.coverage_report()
        stagekit.write_json(args.coverage, coverage)
        t = report["tokens"]
        stagekit.log(STAGE, f"{report['rows_in']} in, {report['rows_out']} kept, dropped {report['dropped_by_rule']}; "
                            f"{t['tokenizer']}/{t['template']} tokens {t['n_tokens']}, "
                            f"{t['training']['tokens_per_epoch']:,} per epoch; "
                            f"coverage: {len(coverage['labels'])} labels, {len(coverage['gaps'])} gaps")
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/filtered.json")
        stagekit.gate(STAGE, dropped_df, args.dropped_suite, "reports/gates/filter_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
