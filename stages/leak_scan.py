"""Stage leak_scan: the gate after export. Fails the run when a final JSONL file still holds PII or a secret.

Checks every string of every line of data/final/**/*.jsonl against scrub's vault (keyed hashes of
the original values it replaced and of the surrogates it inserted) and re-runs scrub's structured
and secret detectors: an original value, or a detected value that is neither a surrogate nor
allow-listed (pii.allow_list), is a finding. reports/leak_scan.json lists findings by file, line,
check, type and keyed hash, never the value.
"""

import argparse
import sys
from pathlib import Path

from tuneset import config, frames, stagekit
from tuneset.scrub import leak_scan, salt

STAGE = "leak_scan"


def _lines(root: Path):
    for path in sorted(root.rglob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                yield path.as_posix(), i, line


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--final", default="data/final")
    ap.add_argument("--vault", default="data/scrub/pii_vault.parquet")
    ap.add_argument("--salt-fingerprint", default="data/salt.fingerprint")
    ap.add_argument("--report", default="reports/leak_scan.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("pii", config.read_params(args.params))
    try:
        key = salt.checked_salt(args.salt_fingerprint, "{var} is not the key scrub used ({path}); the vault cannot "
                                "be checked", must_exist=True)
    except salt.SaltError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    with stagekit.timed(STAGE) as timing:
        result = leak_scan(_lines(Path(args.final)), frames.read_parquet(args.vault), key, cfg)
        timing["rows"] = sum(result.report["files"].values())
        stagekit.write_json(args.report, result.report)
        if not result.passed:
            for f in result.report["listed"]:
                stagekit.log(STAGE, f"LEAK {f['file']}:{f['line']} {f['check']} {f['type']} (keyed hash {f['value_hash']})")
            stagekit.log(STAGE, f"ERROR: {len(result.findings)} finding(s) {result.report['by_check']}; fix scrub's "
                                f"detection, or allow-list a known false positive in conf/pii (pii.allow_list)")
            return 1
        stagekit.log(STAGE, f"no leak in {len(result.report['files'])} files "
                            f"({result.report['strings_scanned']} strings scanned)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
