"""Stage dedup: drop exact and near duplicates (each naming the row it duplicated), add cluster_id,
and report contradictions (same prompt, materially different answers)."""

import argparse
import sys
from pathlib import Path

from tuneset import config, frames, stagekit
from tuneset import schema as col
from tuneset.dedup import dedup
from tuneset.dedup.semantic import SemanticUnavailable

STAGE = "dedup"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/filter/examples.parquet")
    ap.add_argument("--out", default="data/dedup")
    ap.add_argument("--report", default="reports/dedup.json")
    ap.add_argument("--contradictions", default="reports/contradictions.json")
    ap.add_argument("--suite", default="expectations/deduped.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("dedup", config.read_params(args.params))
    with stagekit.timed(STAGE) as timing:
        df = frames.read_parquet(args.input)
        timing["rows"] = len(df)
        try:
            result = dedup(df, cfg, log=lambda msg: stagekit.log(STAGE, msg))
        except SemanticUnavailable as exc:
            stagekit.log(STAGE, f"ERROR: dedup.semantic is on, but {exc}")
            return 2
        if not cfg.semantic:
            stagekit.log(STAGE, f"semantic dedup is off ({result.report['semantic']['note']})")
        out = Path(args.out)
        frames.write_parquet(result.examples, out / "examples.parquet")
        frames.write_parquet(result.dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        stagekit.write_json(args.report, result.report)
        stagekit.write_json(args.contradictions, result.contradictions)
        stagekit.log(STAGE, f"{result.report['rows_in']} in, {result.report['rows_out']} kept, "
                            f"dropped {result.report['dropped_by_rule']}; "
                            f"{result.contradictions['conflict_sets']} conflict sets ({cfg.contradictions})")
        stagekit.gate(STAGE, result.examples, args.suite, "reports/gates/deduped.json")
        stagekit.gate(STAGE, result.dropped, args.dropped_suite, "reports/gates/dedup_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
