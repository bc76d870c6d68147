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


def _cmd_show(args: argparse.Namespace) -> int:
    from tuneset import frames, tokens
    from tuneset.templates import get_template
    from tuneset.templates.show import find_example, format_example

    target = config.load_section("target", config.read_params(args.params)) if Path(args.params).exists() \
        else config.TargetConfig()
    try:
        counter = tokens.TokenCounter(args.tokenizer or target.tokenizer)
        template = get_template(args.template or target.template, extra_markers=tokens.special_tokens(counter.enc))
        if not Path(args.examples).exists():
            raise LookupError(f"{args.examples} not found: run the pipeline first, or pass --examples PATH")
        record = find_example(frames.read_parquet(args.examples), args.id)
    except (LookupError, ValueError) as exc:
        print(f"show: {exc}", file=sys.stderr)
        return 1
    color = sys.stdout.isatty() if args.color == "auto" else args.color == "always"
    print(format_example(record, template, counter, color=color, token_view=args.tokens))
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from tuneset.filter import catalogue

    entries = catalogue.catalogue(args.stage)
    if not entries:
        print(f"rules: no rules of stage {args.stage!r}", file=sys.stderr)
        return 1
    fmt = {"text": catalogue.format_text, "markdown": catalogue.format_markdown, "json": catalogue.format_json}
    sys.stdout.write(fmt[args.format](entries))
    return 0


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

    w = sub.add_parser("show", help="print an example rendered with a chat template, trained spans marked")
    w.add_argument("id", help="example_id or origin_id, or a unique prefix of at least 8 hex characters")
    w.add_argument("--template", help="chatml, llama3, mistral, gemma or a .jinja path (default: target.template)")
    w.add_argument("--tokenizer", help="o200k_base, cl100k_base, llama3 or qwen3 (default: target.tokenizer)")
    w.add_argument("--examples", default="data/final/examples.parquet")
    w.add_argument("--params", default="params.yaml")
    w.add_argument("--tokens", action="store_true", help="also list every token with its id and whether it is trained")
    w.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    w.set_defaults(func=_cmd_show)

    r = sub.add_parser("rules", help="print the catalogue of rules (name, version, documentation, parameters)")
    r.add_argument("--stage", help="only the rules of this stage (ingest, normalize, scrub, filter, dedup, ...)")
    r.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    r.set_defaults(func=_cmd_rules)

    from tuneset.audit.cli import add_commands as add_audit_commands  # explain, diff, models, forget

    add_audit_commands(sub)

    from tuneset.scrub.review import add_commands as add_pii_commands  # pii review

    add_pii_commands(sub)
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
