"""Stage salt_fingerprint: record which PII key scrub uses (its fingerprint), never the key itself.

The key comes from the environment variable TUNESET_PII_SALT, never from conf/ or params.yaml. This
stage is always_changed and writes the key's fingerprint to data/salt.fingerprint; scrub depends on
that file, so a new key re-runs scrub and an unchanged one re-runs nothing, and export copies the
fingerprint into VERSION.json. Without a key the stage fails with the fix in the message (`make demo`
sets the public demo key and says so).
"""

import argparse
import sys
from pathlib import Path

from tuneset import stagekit
from tuneset.scrub import salt

STAGE = "salt_fingerprint"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="data/salt.fingerprint")
    args = ap.parse_args()
    try:
        key = salt.salt_from_env()
    except salt.SaltMissing as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    fingerprint = salt.fingerprint(key)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(fingerprint + "\n", encoding="utf-8")
    note = " -- DEMO KEY: the public key of `make demo`, which protects nothing" if salt.is_demo(key) else ""
    stagekit.log(STAGE, f"PII key fingerprint {fingerprint[:16]}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
