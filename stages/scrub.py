"""Stage scrub: detect PII and secrets; drop examples holding secrets, replace the rest (surrogates or placeholders).

Writes examples.parquet (with a pii_edits column and recomputed example_id), dropped.parquet,
pii_vault.parquet (keyed hashes only: what the leak scan after export checks against) and
reports/scrub.json (pii_by_type, pii_by_source, NER status, key fingerprint; never a value).
"""

import argparse
import sys
from pathlib import Path

import pyarrow as pa

from tuneset import config, frames, parallel, stagekit
from tuneset import schema as col
from tuneset.scrub import PII_EDITS, salt, scrub

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
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("pii", config.read_params(args.params))
    try:
        key = salt.checked_salt(args.salt_fingerprint, "{var} differs from the key recorded in {path}; run the "
                                "whole pipeline (dvc repro) so salt_fingerprint records the key in use")
    except salt.SaltError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    with stagekit.timed(STAGE) as timing:
        df = frames.read_parquet(args.input)
        timing["rows"] = len(df)
        workers = timing["workers"] = parallel.workers(rows=len(df))  # TUNESET_WORKERS; detection runs in them
        result = scrub(df, cfg, key, progress=stagekit.progress(STAGE, len(df)), workers=workers)
        out = Path(args.out)
        frames.write_parquet(result.examples, out / "examples.parquet", {**col.RECORD_TYPES, PII_EDITS: pa.string()})
        frames.write_parquet(result.dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        frames.write_parquet(result.vault, out / "pii_vault.parquet", {})
        stagekit.write_json(args.report, result.report)
        ner = result.report["detection"]["ner"]
        stagekit.log(STAGE, ner["message"] if ner["enabled"] else f"WARNING: {ner['message']}")
        if result.report["salt"]["demo"]:
            stagekit.log(STAGE, f"WARNING: {result.report['salt']['note']}")
        stagekit.log(STAGE, f"{result.report['rows_in']} in, {result.report['rows_out']} kept, "
                            f"dropped {result.report['dropped_by_rule']}; replaced {result.report['pii_by_type']}")
        stagekit.gate(STAGE, result.examples, args.suite, "reports/gates/scrubbed.json")
        stagekit.gate(STAGE, result.dropped, args.dropped_suite, "reports/gates/scrub_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
