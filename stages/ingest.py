"""Stage ingest: read every raw file into canonical records; quarantine what cannot be read."""

import argparse
import sys
from pathlib import Path

from tuneset import config, frames, ledger, stagekit
from tuneset import schema as col
from tuneset.audit.exclude import ExclusionFilter, ExclusionKeyError, exclude_quarantined, exclusion_key
from tuneset.ingest import discover, ingest_file
from tuneset.records import SourceInfo

STAGE = "ingest"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--raw", default="data/raw")
    ap.add_argument("--out", default="data/ingest")
    ap.add_argument("--report", default="reports/ingest.json")
    ap.add_argument("--suite", default="expectations/ingested.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    params = config.read_params(args.params)
    sources = config.load_sources(params)
    repo = Path.cwd()
    with stagekit.timed(STAGE) as timing:
        files, warnings = discover(Path(args.raw), repo, sources)
        for w in warnings:
            stagekit.log(STAGE, f"WARNING: {w}")
        out = Path(args.out)
        # Files come in sorted path order and units in file order, so batches are written already sorted.
        sink = frames.ParquetSink(out / "examples.parquet")
        try:  # the exclusion list (deletion requests, takedowns) applies before anything else
            exclusions = ExclusionFilter(config.load_section("exclude", params), exclusion_key(), sink.write_frame)
        except ExclusionKeyError as exc:
            stagekit.log(STAGE, f"ERROR: {exc}")
            return 1
        quarantine, per_file = [], {}
        for path, source, spec in files:
            rel = path.resolve().relative_to(repo.resolve()).as_posix()
            info = SourceInfo(source=source, source_file=rel, origin=spec.origin, license=spec.license)
            result = ingest_file(path, info, spec, sink=exclusions)
            quarantine += result.quarantine
            per_file[rel] = {"source": source, "container": result.container, "format": result.format,
                             "units": result.units, "records": result.units - len(result.quarantine),
                             "quarantined": len(result.quarantine), "empty": result.empty, "notes": result.notes}
            stagekit.log(STAGE, f"{rel}: {result.format}, {result.units} units, {len(result.quarantine)} quarantined")
        sink.close()
        kept = sink.rows
        dropped = exclude_quarantined(ledger.dropped_frame(quarantine + exclusions.dropped), exclusions.cfg)
        timing["rows"] = kept + len(dropped)
        frames.write_parquet(dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        stagekit.write_json(args.report, {
            "raw_rows": kept + len(dropped), "rows_in": kept + len(dropped),
            "rows_out": kept, "quarantined": len(dropped),
            "dropped_by_rule": ledger.rule_counts(dropped), "files": per_file,
            "empty_files": sorted(f for f, v in per_file.items() if v["empty"]), "warnings": warnings,
        })
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/ingested.json")
        stagekit.gate(STAGE, dropped, args.dropped_suite, "reports/gates/ingest_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
