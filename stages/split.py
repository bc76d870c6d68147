"""Stage split: deterministic, group-aware train/val/test assignment from a salted hash."""

import argparse
import sys
from pathlib import Path

from tuneset import config, frames, ledger, stagekit
from tuneset import schema as col
from tuneset.split import assign_splits

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
    with stagekit.timed(STAGE) as timing:
        df = frames.read_parquet(args.input)
        timing["rows"] = len(df)
        result = assign_splits(df, cfg)
        frames.write_parquet(result.examples, Path(args.out) / "examples.parquet")
        frames.write_parquet(ledger.dropped_frame(result.dropped), Path(args.out) / "dropped.parquet", col.DROPPED_TYPES)
        stagekit.write_json(args.report, result.report)
        stagekit.log(STAGE, f"counts {result.report['counts']}")
        stagekit.gate(STAGE, result.examples, args.suite, "reports/gates/split.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
