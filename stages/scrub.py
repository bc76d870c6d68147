"""Stage scrub: detect PII and secrets; drop examples holding secrets, replace the rest (surrogates or placeholders).

Writes examples.parquet (with a pii_edits column and recomputed example_id), dropped.parquet,
pii_vault.parquet (keyed hashes only: what the leak scan after export checks against) and
reports/scrub.json (pii_by_type, pii_by_source, NER status, key fingerprint; never a value).
"""

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import config, frames, ledger, parallel, stagekit
from tuneset import schema as col
from tuneset.scrub import PII_EDITS, salt
from tuneset.scrub.core import ScrubRun

STAGE = "scrub"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/normalize/examples.parquet")
    ap.add_argument("--out", default="data/scrub")
    ap.add_argument("--report", default="reports/scrub.json")
    ap.add_argument("--suite", default="expectations/scrubbed.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    ap.add_argument("--salt-fingerprint", default="data/salt.fingerprint")
    ap.add_argument("--batch-rows", type=int, default=50_000, help="rows per batch (memory holds one batch)")
    args = ap.parse_args()
    stagekit.quiet_environment()
    params = config.read_params(args.params)
    cfg = config.load_section("pii", params)
    sources = config.load_sources(params)  # their PII profiles (sources.<name>.pii)
    try:
        key = salt.checked_salt(args.salt_fingerprint, "{var} differs from the key recorded in {path}; run the "
                                "whole pipeline (dvc repro) so salt_fingerprint records the key in use")
    except salt.SaltError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    with stagekit.timed(STAGE) as timing:
        total = pq.read_metadata(args.input).num_rows
        timing["rows"] = total
        workers = timing["workers"] = parallel.workers(rows=total)  # TUNESET_WORKERS; detection runs in them
        run = ScrubRun(cfg, key, sources=sources, workers=workers)
        # Three passes over the input, one batch in memory at a time: detect everything (a surrogate must
        # never reproduce an original found anywhere), plan (a name is public knowledge only on evidence
        # from the whole dataset; a value replaced in a group is replaced in all of it), then replace.
        with stagekit.progress(f"{STAGE} (detect)", total) as bar:
            run.detect(frames.iter_frames(args.input, args.batch_rows), bar)
        with stagekit.progress(f"{STAGE} (plan)", total) as bar:
            run.plan(frames.iter_frames(args.input, args.batch_rows), bar)
        out = Path(args.out)
        columns = [c for c in frames.parquet_columns(args.input) if c != PII_EDITS] + [PII_EDITS]
        types = {**col.RECORD_TYPES, PII_EDITS: pa.string()}
        sink, dropped = frames.ParquetSink(out / "examples.parquet", columns, types), []
        with stagekit.progress(f"{STAGE} (replace)", total) as bar:
            for batch in frames.iter_frames(args.input, args.batch_rows):
                kept, drops = run.replace(batch)
                sink.write_frame(kept)
                dropped.append(drops)
                bar(run.rows_in)
        sink.close(empty_like=frames.records_frame([], columns))
        dropped_df = ledger.concat_dropped(dropped)
        frames.write_parquet(dropped_df, out / "dropped.parquet", col.DROPPED_TYPES)
        vault = run.vault()
        frames.write_parquet(vault, out / "pii_vault.parquet", {})
        report = run.report(vault)
        stagekit.write_json(args.report, report)
        ner = report["detection"]["ner"]
        stagekit.log(STAGE, ner["message"] if ner["enabled"] else f"WARNING: {ner['message']}")
        if report["salt"]["demo"]:
            stagekit.log(STAGE, f"WARNING: {report['salt']['note']}")
        for warning in report["warnings"]:
            stagekit.log(STAGE, f"WARNING: {warning}")
        stagekit.log(STAGE, f"{report['rows_in']} in, {report['rows_out']} kept, "
                            f"dropped {report['dropped_by_rule']}; replaced {report['pii_by_type']}")
        stagekit.gate(STAGE, out / "examples.parquet", args.suite, "reports/gates/scrubbed.json")
        stagekit.gate(STAGE, dropped_df, args.dropped_suite, "reports/gates/scrub_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
