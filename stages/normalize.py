"""Stage normalize: canonical roles, repaired text, structural checks (each failure a named drop).

The input streams through in batches: each batch is normalized on its own (in worker processes, see
:mod:`tuneset.parallel`) and appended to the output in input order, and the report's whole-dataset figures come from the batches' merged counters, so
memory holds one batch, the drops and those counters, not the table.
"""

import argparse
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tuneset import config, frames, ledger, parallel, stagekit
from tuneset import schema as col
from tuneset.normalize import NormalizeStats, check_config, normalize_table

STAGE = "normalize"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/ingest/examples.parquet")
    ap.add_argument("--out", default="data/normalize")
    ap.add_argument("--report", default="reports/normalize.json")
    ap.add_argument("--suite", default="expectations/normalized.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    ap.add_argument("--batch-rows", type=int, default=None,
                    help="rows per batch (default: 50,000, smaller with several workers)")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("normalize", config.read_params(args.params))
    check_config(cfg)
    with stagekit.timed(STAGE) as timing:
        total = pq.read_metadata(args.input).num_rows
        timing["rows"] = total
        columns = frames.parquet_columns(args.input)
        out = Path(args.out)
        sink = frames.ParquetSink(out / "examples.parquet", columns)
        stats, dropped = NormalizeStats(), []
        workers = parallel.workers(rows=total)
        timing["workers"] = workers
        batches = frames.iter_tables(args.input, args.batch_rows or parallel.batch_rows(total, workers))
        with stagekit.progress(STAGE, total) as bar:
            # Batches are normalized in worker processes (TUNESET_WORKERS), merged here in input order.
            for _, (kept, drops, batch_stats) in parallel.map_ordered(lambda t: normalize_table(t, cfg), batches,
                                                                      workers):
                sink.write_table(kept)
                dropped.append(drops)
                stats.merge(batch_stats)
                bar(stats.rows_in)
        sink.close(empty_like=frames.records_frame([], columns))
        dropped = ledger.concat_dropped(dropped)
        frames.write_parquet(dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        report = stats.report(cfg)
        stagekit.write_json(args.report, report)
        stagekit.log(STAGE, f"{report['rows_in']} in, {report['rows_out']} kept, dropped {report['dropped_by_rule']}")
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/normalized.json")
        stagekit.gate(STAGE, dropped, args.dropped_suite, "reports/gates/normalize_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
