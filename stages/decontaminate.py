"""Stage decontaminate: drop examples that overlap a benchmark or eval set under data/benchmarks/.

Examples stream through in batches and keep their file order; only the rows a benchmark hits are
turned into dropped rows, so memory holds one batch of content plus the benchmark index.
"""

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import config, frames, ledger, stagekit
from tuneset import schema as col
from tuneset.decontaminate import decontaminate, load_benchmarks, prepare, report

STAGE = "decontaminate"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/dedup/examples.parquet")
    ap.add_argument("--benchmarks", default="data/benchmarks", help="folder of benchmark and eval files")
    ap.add_argument("--out", default="data/decontaminate")
    ap.add_argument("--report", default="reports/decontaminate.json")
    ap.add_argument("--suite", default="expectations/decontaminated.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("decontaminate", config.read_params(args.params))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with stagekit.timed(STAGE) as timing:
        bench = prepare(load_benchmarks(args.benchmarks, Path("."), cfg), cfg)
        stagekit.log(STAGE, f"{bench.benchmarks.items} benchmark items in {len(bench.benchmarks.files)} file(s)")
        for note in bench.benchmarks.notes:
            stagekit.log(STAGE, f"note: {note}")
        source = pq.ParquetFile(args.input)
        writer = pq.ParquetWriter(out / "examples.parquet", source.schema_arrow, compression="zstd")
        counts, dropped = [], []
        try:
            for batch in source.iter_batches(batch_size=50_000):
                table = pa.Table.from_batches([batch], schema=source.schema_arrow)
                result = decontaminate(frames.from_table(table), bench, cfg)
                writer.write_table(table.filter(pa.array(result.keep)))
                counts.append(result.counts)
                dropped.append(result.dropped)
        finally:
            writer.close()
        dropped_frame = ledger.concat_dropped(dropped)
        frames.write_parquet(dropped_frame, out / "dropped.parquet", col.DROPPED_TYPES)
        summary = report(bench, cfg, counts)
        timing["rows"] = summary["rows_in"]
        stagekit.write_json(args.report, summary)
        stagekit.log(STAGE, f"{summary['rows_in']} in, {summary['rows_out']} kept, "
                            f"contaminated by benchmark {({k: v['contaminated'] for k, v in summary['benchmarks'].items()})}")
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/decontaminated.json")
        stagekit.gate(STAGE, dropped_frame, args.dropped_suite, "reports/gates/decontaminate_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
