"""Stage export: write each split in the trainer format, re-read and validate every line, write the
manifest, the kept examples, the consolidated dropped table, VERSION.json, and the balance of the books.
"""

import argparse
import sys
from pathlib import Path

from tuneset import config, export, frames, ledger, stagekit, tokens
from tuneset import schema as col

STAGE = "export"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/split/examples.parquet")
    ap.add_argument("--ingested", default="data/ingest/examples.parquet")
    ap.add_argument("--dropped", nargs="+", required=True, help="every stage's dropped.parquet")
    ap.add_argument("--out", default="data/final")
    ap.add_argument("--salt-fingerprint", default="data/salt.fingerprint")
    ap.add_argument("--suite", default="expectations/manifest.json")
    ap.add_argument("--dropped-suite", default="expectations/dropped.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    params = config.read_params(args.params)
    cfg = config.load_section("export", params)
    target = config.load_section("target", params)
    out = Path(args.out)
    with stagekit.timed(STAGE) as timing:
        df = frames.read_parquet(args.input)
        timing["rows"] = len(df)
        enc = tokens.encoding(target.tokenizer)
        df[col.N_TOKENS] = [export.count_record_tokens(r, enc) for r in df.to_dict("records")]
        files = {}
        for (kind, split), lines in export.export_lines(df, cfg).items():
            path = out / kind / f"{split}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(lines), encoding="utf-8")
            files[path.as_posix()] = export.validate_file(path.read_text(encoding="utf-8"), kind, cfg, path.as_posix())
        dropped = ledger.concat_dropped(frames.read_parquet(p) for p in args.dropped)
        ingested = frames.read_parquet(args.ingested, columns=[col.ORIGIN_ID])[col.ORIGIN_ID].tolist()
        raw_ids = ingested + dropped.loc[dropped[col.STAGE] == "ingest", col.ORIGIN_ID].tolist()
        manifest = export.manifest(df)
        frames.write_parquet(manifest, out / "manifest.parquet")
        frames.write_parquet(df.sort_values([col.EXAMPLE_ID, col.ORIGIN_ID], kind="stable"), out / "examples.parquet")
        frames.write_parquet(dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        salt_path = Path(args.salt_fingerprint)
        salt_fp = salt_path.read_text(encoding="utf-8").strip() if salt_path.exists() else None
        version = export.version(df, Path(args.params).read_text(encoding="utf-8"), salt_fp)
        (out / "VERSION.json").write_text(version.to_json(), encoding="utf-8")
        lineage = ledger.lineage(raw_ids, df, dropped)
        stagekit.write_json("reports/lineage.json", lineage)
        stagekit.write_json("reports/export.json", {"rows_in": len(df), "rows_out": len(df), "dropped_by_rule": {},
                                                    "files": files, "dataset_version": version.dataset_version,
                                                    "n_tokens": export.token_stats(df, target.context_tokens)})
        stagekit.log(STAGE, f"dataset {version.dataset_version[:16]}: {version.counts}")
        if not lineage["balanced"]:
            stagekit.log(STAGE, f"ERROR: the books do not balance: {lineage}")
            return 1
        stagekit.log(STAGE, f"books balance: {lineage['raw_rows']} raw = {lineage['quarantined']} quarantined + "
                            f"{lineage['dropped']} dropped + {lineage['kept']} kept")
        stagekit.gate(STAGE, manifest, args.suite, "reports/gates/manifest.json")
        stagekit.gate(STAGE, dropped, args.dropped_suite, "reports/gates/final_dropped.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
