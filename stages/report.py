"""Stage report: the offline HTML data card and the tables behind `dvc plots`."""

import argparse
import sys
from pathlib import Path

from tuneset import frames, stagekit
from tuneset.report import build_datacard, plot_tables

STAGE = "report"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--final", default="data/final")
    ap.add_argument("--reports", default="reports")
    ap.add_argument("--stages", nargs="+", required=True, help="stage names whose reports/<stage>.json to include")
    ap.add_argument("--extras", nargs="*", default=[],
                    help="other reports/<name>.json to show when present (contradictions, coverage)")
    ap.add_argument("--out", default="reports/datacard.html")
    ap.add_argument("--plots", default="reports/plots")
    args = ap.parse_args()
    final, reports = Path(args.final), Path(args.reports)
    with stagekit.timed(STAGE) as timing:
        manifest = frames.read_parquet(final / "manifest.parquet")
        examples = frames.read_parquet(final / "examples.parquet")
        dropped = frames.read_parquet(final / "dropped.parquet")
        timing["rows"] = len(manifest) + len(dropped)
        stage_reports = {s: stagekit.read_json(reports / f"{s}.json") for s in args.stages}
        extras = {n: stagekit.read_json(reports / f"{n}.json") for n in args.extras if (reports / f"{n}.json").exists()}
        html = build_datacard(manifest=manifest, examples=examples, dropped=dropped,
                              lineage=stagekit.read_json(reports / "lineage.json"), stage_reports=stage_reports,
                              version=stagekit.read_json(final / "VERSION.json"), extras=extras)
        Path(args.out).write_text(html, encoding="utf-8")
        plots = Path(args.plots)
        plots.mkdir(parents=True, exist_ok=True)
        for name, table in sorted(plot_tables(manifest=manifest, examples=examples, dropped=dropped).items()):
            table.to_csv(plots / f"{name}.csv", index=False, lineterminator="\n")
        stagekit.log(STAGE, f"wrote {args.out} and {len(list(plots.glob('*.csv')))} plot tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
