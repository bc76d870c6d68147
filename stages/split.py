"""Stage split: deterministic, group-aware train/val/test assignment from a salted hash."""

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import config, frames, ledger, stagekit
from tuneset import schema as col
from tuneset.split import KEY_COLUMNS, assign_splits

STAGE = "split"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/normalize/examples.parquet")
    ap.add_argument("--out", default="data/split")
    ap.add_argument("--report", default="reports/split.json")
    ap.add_argument("--suite", default="expectations/split.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("split", config.read_params(args.params))
    out = Path(args.out)
    with stagekit.timed(STAGE) as timing:
        # Only the key columns go through pandas; the content stays in Arrow, so memory stays small.
        table = pq.read_table(args.input)
        keys = frames.from_table(table.select([c for c in KEY_COLUMNS if c in table.column_names]))
        timing["rows"] = len(keys)
        result = assign_splits(keys, cfg)
        if col.CLUSTER_ID not in table.column_names:
            table = table.append_column(col.CLUSTER_ID, pa.array(result.examples[col.CLUSTER_ID].tolist(), pa.string()))
        table = table.append_column(col.SPLIT, pa.array(result.examples[col.SPLIT].tolist(), pa.string()))
        # Export streams in this order: example_id order within the file, so it never sorts again.
        table = table.sort_by([(col.EXAMPLE_ID, "ascending"), (col.ORIGIN_ID, "ascending")])
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, out / "examples.parquet", compression="zstd")
        frames.write_parquet(ledger.dropped_frame(result.dropped), out / "dropped.parquet", col.DROPPED_TYPES)
        stagekit.write_json(args.report, result.report)
        stagekit.log(STAGE, f"counts {result.report['counts']}")
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/split.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
