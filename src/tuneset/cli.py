"""The ``tuneset`` command line: configuration, the sample, and (later) the audit commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tuneset import config


def _cmd_config(args: argparse.Namespace) -> int:
    if args.describe:
        print(config.describe())
        return 0
    if args.check:
        if config.params_stale(args.conf, args.params):
            print(config.STALE_MESSAGE, file=sys.stderr)
            return 1
        print(f"{args.params} is up to date with {args.conf}/")
        return 0
    config.compose_params(args.conf, args.params, args.overrides)
    # Composition succeeded; now prove every section loads into its dataclass, naming any bad key.
    params = config.read_params(args.params)
    config.load_sources(params)
    for name in config.SECTIONS:
        config.load_section(name, params)
    print(f"wrote {args.params} from {args.conf}/")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from tuneset import sample

    argv = ["--raw-dir", args.raw_dir, "--bench-dir", args.bench_dir, "--seed", str(args.seed)]
    return sample.main(argv) or 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tuneset", description="Build fine-tuning datasets people can trust.")
    sub = ap.add_subparsers(dest="command", required=True)

    c = sub.add_parser("config", help="compose conf/ into params.yaml (the same compose as `dvc exp run`)")
    c.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. split.salt=v2 export=openai_dpo")
    c.add_argument("--conf", default="conf")
    c.add_argument("--params", default="params.yaml")
    c.add_argument("--check", action="store_true", help="exit 1 when params.yaml is stale")
    c.add_argument("--describe", action="store_true", help="print every key with its type, default and meaning")
    c.set_defaults(func=_cmd_config)

    s = sub.add_parser("sample", help="regenerate the bundled sample (deterministic)")
    s.add_argument("--raw-dir", default="data/raw/sample")
    s.add_argument("--bench-dir", default="data/benchmarks/sample")
    s.add_argument("--seed", type=int, default=20261122)
    s.set_defaults(func=_cmd_sample)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except config.ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
