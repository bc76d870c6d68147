"""Stage check_params: fail fast when params.yaml no longer matches conf/.

`dvc repro` never composes Hydra config, so an edit to conf/ alone would otherwise leave the
pipeline "up to date" with stale parameters. This stage is always_changed and writes the
fingerprint of params.yaml, which ingest depends on.
"""

import argparse
import sys

from tuneset import config, hashing, stagekit


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--conf", default="conf")
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--out", default="data/params.fingerprint")
    args = ap.parse_args()
    if config.params_stale(args.conf, args.params):
        print(f"ERROR: {config.STALE_MESSAGE}", file=sys.stderr)
        return 1
    with open(args.params, encoding="utf-8") as f:
        fingerprint = hashing.sha256_text(f.read())
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(fingerprint + "\n")
    stagekit.log("check_params", f"params.yaml matches conf/ ({fingerprint[:16]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
