"""Stage normalize: canonical roles, repaired text, structural checks (each failure a named drop)."""

import argparse
import sys
from pathlib import Path

from tuneset import config, frames, stagekit
from tuneset import schema as col
from tuneset.normalize import normalize

STAGE = "normalize"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/ingest/examples.parquet")
    ap.add_argument("--out", default="data/normalize")
    ap.add_argument("--report", default="reports/normalize.json")
    ap.add_argument("--suite", default="expectations/normalized.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("normalize", config.read_params(args.params))
    with stagekit.timed(STAGE) as timing:
        df = frames.read_parquet(args.input)
        timing["rows"] = len(df)
        result = normalize(df, cfg, progress=stagekit.progress(STAGE, len(df)))
        out = Path(args.out)
        frames.write_parquet(result.examples, out / "examples.parquet")
        frames.write_parquet(result.dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        stagekit.write_json(args.report, result.report)
        stagekit.log(STAGE, f"{result.report['rows_in']} in, {result.report['rows_out']} kept, "
                            f"dropped {result.report['dropped_by_rule']}")
        stagekit.gate(STAGE, result.examples, args.suite, "reports/gates/normalized.json")
        stagekit.gate(STAGE, result.dropped, args.dropped_suite, "reports/gates/normalize_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
