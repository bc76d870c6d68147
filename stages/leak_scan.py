"""Stage leak_scan: the gate after export. Fails the run when an exported line still holds PII or a secret.

Maps each line of data/final/<kind>/<split>.jsonl to its example through the manifest and checks the
promises scrub made (tuneset.scrub.leakscan): no value scrub replaced in a group is left in that
group's lines, and every structured identifier or secret is a surrogate scrub inserted or allowed
(pii.allow_list, or a keyed hash in conf/pii/allow.yaml written by `tuneset pii review`).
reports/leak_scan.json and the LEAK lines name the finding id, file, line, check and type, never the
value; `tuneset pii review` shows each finding in context on the user's terminal.
"""

import argparse
import sys

from tuneset import config, frames, stagekit
from tuneset.scrub import allow, salt
from tuneset.scrub.leakscan import LeakScanError, scan_final

STAGE = "leak_scan"
MAX_PRINTED = 200
REVIEW = "run `tuneset pii review` to see each one in context and allow it or drop its example"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--final", default="data/final")
    ap.add_argument("--vault", default="data/scrub/pii_vault.parquet")
    ap.add_argument("--allow-file", default=allow.PATH)
    ap.add_argument("--salt-fingerprint", default="data/salt.fingerprint")
    ap.add_argument("--report", default="reports/leak_scan.json")
    args = ap.parse_args()
    stagekit.quiet_environment()
    cfg = config.load_section("pii", config.read_params(args.params))
    try:
        key = salt.checked_salt(args.salt_fingerprint, "{var} is not the key scrub used ({path}); the vault cannot "
                                "be checked", must_exist=True)
        allowed = allow.load(args.allow_file, key)
    except (salt.SaltError, allow.AllowFileError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    with stagekit.timed(STAGE) as timing:
        try:
            result = scan_final(args.final, frames.read_parquet(args.vault), key, cfg, allow=allowed)
        except LeakScanError as exc:
            stagekit.log(STAGE, f"ERROR: {exc}")
            return 1
        timing["rows"] = sum(result.report["files"].values())
        result.report["allow_file"] = args.allow_file
        stagekit.write_json(args.report, result.report)
        for name in result.report["unmapped_files"]:
            stagekit.log(STAGE, f"{name}: not in the manifest, scanned for identifiers and secrets only")
        if not result.passed:
            for f in result.findings[:MAX_PRINTED]:  # never the value: the review shows it, on the terminal only
                stagekit.log(STAGE, f"LEAK {f.id} {f.file}:{f.line} {f.check} {f.type}")
            if len(result.findings) > MAX_PRINTED:
                stagekit.log(STAGE, f"... and {len(result.findings) - MAX_PRINTED} more (`tuneset pii review --list`)")
            stagekit.log(STAGE, f"ERROR: {len(result.findings)} finding(s) {result.report['by_check']}: {REVIEW}")
            return 1
        stagekit.log(STAGE, f"no leak in {len(result.report['files'])} files "
                            f"({result.report['strings_scanned']} strings scanned, {len(allowed)} allowed value(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
