"""Stage export: write each split in the trainer format, re-read and validate every line, write the
manifest, the kept examples, the consolidated dropped table, VERSION.json, and the balance of the books.

Examples stream through in batches (the split stage wrote them in example_id order), so memory holds
one batch of content plus the small manifest columns.
"""

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tuneset import config, export, frames, ledger, stagekit, tokens
from tuneset import schema as col
from tuneset.audit import index as audit_index

STAGE = "export"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--input", default="data/split/examples.parquet")
    ap.add_argument("--ingested", default="data/ingest/examples.parquet")
    ap.add_argument("--dropped", nargs="+", required=True, help="every stage's dropped.parquet")
    ap.add_argument("--stage-outputs", nargs="*", default=[],
                    help="data/<stage>/examples.parquet of content-changing stages, in order (for explain)")
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
        enc = tokens.encoding(target.tokenizer)
        columns = frames.parquet_columns(args.input)
        columns += [] if col.N_TOKENS in columns else [col.N_TOKENS]
        sink = frames.ParquetSink(out / "examples.parquet", columns)
        paths = {(k, s): out / k / f"{s}.jsonl" for k in col.KINDS for s in col.SPLITS}
        for p in paths.values():
            p.parent.mkdir(parents=True, exist_ok=True)
        handles = {key: open(p, "w", encoding="utf-8") for key, p in paths.items()}
        manifest_parts = []
        try:
            for batch in frames.iter_frames(args.input):
                if col.N_TOKENS not in batch.columns:
                    batch[col.N_TOKENS] = [export.count_record_tokens(r, enc) for r in batch.to_dict("records")]
                for key, lines in export.export_lines(batch, cfg).items():
                    handles[key].writelines(lines)
                sink.write_frame(batch)
                manifest_parts.append(frames.to_table(batch[list(col.MANIFEST_COLUMNS)]))
        finally:
            for h in handles.values():
                h.close()
        sink.close()
        files = {}
        for (kind, split), path in paths.items():
            with open(path, encoding="utf-8") as f:
                files[path.as_posix()] = export.validate_file(f, kind, cfg, path.as_posix())
        manifest = export.manifest(frames.from_table(pa.concat_tables(manifest_parts)) if manifest_parts
                                   else frames.records_frame([], col.MANIFEST_COLUMNS))
        timing["rows"] = len(manifest)
        frames.write_parquet(manifest, out / "manifest.parquet")
        dropped = ledger.concat_dropped(frames.read_parquet(p) for p in args.dropped)
        frames.write_parquet(dropped, out / "dropped.parquet", col.DROPPED_TYPES)
        audit_index.export_index(out / audit_index.INDEX_DIR, manifest, dropped, out / "examples.parquet",
                                 audit_index.read_stage_outputs(args.stage_outputs))
        ingested = pq.read_table(args.ingested, columns=[col.ORIGIN_ID]).column(col.ORIGIN_ID).to_pylist()
        raw_ids = ingested + dropped.loc[dropped[col.STAGE] == "ingest", col.ORIGIN_ID].tolist()
        salt_path = Path(args.salt_fingerprint)
        salt_fp = salt_path.read_text(encoding="utf-8").strip() if salt_path.exists() else None
        version = export.version(manifest, Path(args.params).read_text(encoding="utf-8"), salt_fp)
        (out / "VERSION.json").write_text(version.to_json(), encoding="utf-8")
        lineage = ledger.lineage(raw_ids, manifest, dropped)
        stagekit.write_json("reports/lineage.json", lineage)
        stagekit.write_json("reports/export.json", {"rows_in": len(manifest), "rows_out": len(manifest),
                                                    "dropped_by_rule": {}, "files": files,
                                                    "dataset_version": version.dataset_version,
                                                    "n_tokens": export.token_stats(manifest, target.context_tokens)})
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
