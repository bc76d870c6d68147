"""Stage split: leak-free train/val/test assignment that keeps the last committed version's splits.

Only the key columns go through pandas; the content stays in Arrow and is written once, batch by
batch, in (example_id, origin_id) order because export streams it in that order. The leakage gate
then reads the output batch by batch and fails the run, naming the pair, when anything leaks.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import config, frames, stagekit
from tuneset import schema as col
from tuneset.split import KEY_COLUMNS, assign_splits, bridge_rows, prompt_links, read_history
from tuneset.split.leakage import COLUMNS, check_leakage
from tuneset.split.links import COLUMNS as LINK_COLUMNS
from tuneset.split.output import output_plan, take_rows, write_sorted

STAGE = "split"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/normalize/examples.parquet")
    ap.add_argument("--out", default="data/split")
    ap.add_argument("--report", default="reports/split.json")
    ap.add_argument("--suite", default="expectations/split.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    ap.add_argument("--history", default="data/final/manifest.parquet",
                    help="the manifest whose committed version (at split.history_rev) holds the existing splits")
    args = ap.parse_args()
    stagekit.quiet_environment()
    params = config.read_params(args.params)
    cfg = config.load_section("split", params)
    decon = config.load_section("decontaminate", params)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with stagekit.timed(STAGE) as timing:
        history = read_history(args.history, cfg.history_rev, ".", args.params) if cfg.history else None
        links = None
        if cfg.link_prompts or decon.self_check != "off":
            source = pq.ParquetFile(args.input)
            links = prompt_links(lambda: (pa.Table.from_batches([b]) for b in
                                          source.iter_batches(batch_size=50_000, columns=list(LINK_COLUMNS))), decon)
            stagekit.log(STAGE, f"{len(links)} prompt link(s): user messages held whole by another example")
        schema = pq.read_schema(args.input)
        keys = frames.read_parquet(args.input, [c for c in KEY_COLUMNS if c in schema.names])
        timing["rows"] = len(keys)
        result = assign_splits(keys, cfg, history, links)
        # How the history was used depends on what HEAD held, not on the inputs: a run record, not a metric.
        timing["history"] = result.history
        stagekit.log(STAGE, f"history: {result.history['status']}")
        bridges = np.flatnonzero(~result.keep)
        placed = output_plan(result.keep, result.examples[col.CLUSTER_ID].tolist(), result.examples[col.SPLIT].tolist())
        del keys
        result.examples = result.examples.iloc[:0]  # the key frame is no longer needed: free it before the content
        source = pq.ParquetFile(args.input)
        dropped = bridge_rows(frames.from_table(take_rows(source, bridges)), result.plan, bridges.tolist())
        # Export streams in this order: example_id order within the file, so it never sorts again.
        write_sorted(source, out / "examples.parquet", placed, out / ".sorting")
        del placed
        frames.write_parquet(dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        stagekit.log(STAGE, f"wrote {int(result.keep.sum())} examples; checking leakage")
        leakage = check_leakage(lambda: frames.iter_frames(out / "examples.parquet", columns=COLUMNS),
                                config.load_section("dedup", params), decon, links)
        result.report["leakage"] = leakage.summary()
        stagekit.write_json(args.report, result.report)
        stagekit.log(STAGE, f"counts {result.report['counts']}, moved {result.history['moved']}, "
                            f"dropped {result.report['dropped_by_rule']}")
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/split.json")
        stagekit.gate(STAGE, dropped, args.dropped_suite, "reports/gates/split_dropped.json")
        if not leakage.ok:
            for leak in leakage.leaks:
                stagekit.log(STAGE, f"LEAK {leakage.describe(leak)}")
            stagekit.log(STAGE, f"leakage gate FAILED: {leakage.summary()['violations']}; every pair is in "
                                f"{args.report} under leakage. Group the rows (group_key), let dedup cluster them, "
                                "or remove one side; the n-gram check alone can be relaxed (decontaminate.self_check)")
            return 1
        stagekit.log(STAGE, f"leakage gate passed: {leakage.summary()['violations']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
