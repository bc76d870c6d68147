"""The audit subcommands of ``tuneset``: explain, diff, models, forget.

Each takes ``--json`` for machine-readable output; the default is a readable summary. Problems are
printed as one plain ``error:`` message (exit 1) naming the fix, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuneset.audit import AuditError

FINAL = "data/final"
REGISTRY = "models/registry.yaml"
EXCLUDE = "conf/exclude/default.yaml"
REPO = Path(".")


def _show(args: argparse.Namespace, obj: Any, render: Callable[[], str]) -> None:
    """``obj`` as JSON with ``--json``, else the readable summary ``render()`` makes."""
    print(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) if args.json else render())


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        os.environ.setdefault("DVC_NO_ANALYTICS", "1")  # as stagekit.quiet_environment, without importing pandas
        try:
            return fn(args)
        except AuditError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return run


@_guard
def _explain(args: argparse.Namespace) -> int:
    from tuneset.audit import explain

    result = explain.explain(REPO, args.id, args.final, history=not args.no_history)
    _show(args, result, lambda: explain.render(result))
    return 0


@_guard
def _diff(args: argparse.Namespace) -> int:
    from tuneset.audit import diff

    result = diff.diff(REPO, args.rev_a, args.rev_b, args.final)
    _show(args, result, lambda: diff.render(result))
    return 0


@_guard
def _register(args: argparse.Namespace) -> int:
    from tuneset.audit import models

    model = models.register(REPO, args.registry, args.name, args.rev, args.final, args.split, args.notes or "")
    _show(args, model.entry(), lambda: f"registered {model.name}: rev {model.rev}, dataset "
          f"{model.dataset_version[:16]}, splits {', '.join(model.splits)} in {args.registry} (commit it)")
    return 0


@_guard
def _which(args: argparse.Namespace) -> int:
    from tuneset.audit import models

    if (args.id is None) == (args.text is None):
        raise AuditError("give an ID or --text TEXT")
    registered = models.load_registry(args.registry)
    if args.text is not None:
        rows = models.which_text(REPO, registered, args.final, args.text)
        what = "examples containing that text"
    else:
        rows = models.which(REPO, registered, args.final, args.id)
        what = args.id
    _show(args, rows, lambda: models.render_which(rows, registered, what))
    return 0


@_guard
def _examples(args: argparse.Namespace) -> int:
    from tuneset.audit import models

    model = models.get(models.load_registry(args.registry), args.name)
    rows = models.examples(REPO, model, args.final)
    _show(args, rows, lambda: models.render_examples(rows, model))
    return 0


@_guard
def _forget(args: argparse.Namespace) -> int:
    from tuneset import config
    from tuneset.audit import exclude, forget

    if (args.id is None) == (args.text is None):
        raise AuditError("give an ID or --text TEXT")
    result = forget.forget(REPO, args.final, args.exclude_file, raw_id=args.id, text=args.text,
                           key=exclude.exclusion_key())
    problem = None
    if not args.no_config:
        config.compose_params(args.conf, args.params)
        listed = config.load_section("exclude", config.read_params(args.params))
        wanted = {k: set(result.added[k]) | set(result.already[k]) for k in forget.LISTS}
        if any(not v <= set(getattr(listed, k)) for k, v in wanted.items()):
            problem = (f"{args.params} does not list the entries written to {args.exclude_file}: select that file "
                       f"in {args.conf}/config.yaml defaults (`- exclude: {Path(args.exclude_file).stem}`), "
                       f"then run `tuneset config`")
    what = "text" if args.text is not None else args.id
    regenerated = "" if args.no_config or problem else f"\n  {args.params} regenerated from {args.conf}/"
    _show(args, {**result.to_json(), "exclude_file": str(args.exclude_file), "params_updated": not args.no_config},
          lambda: forget.render(result, args.exclude_file, what) + regenerated)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add explain, diff, models and forget to the ``tuneset`` subcommands."""
    e = sub.add_parser("explain", help="where an example came from, what happened to it, its split and versions")
    e.add_argument("id", help="example_id or origin_id, or a unique prefix of at least 8 hex characters")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.add_argument("--final", default=FINAL, help="the export directory (default %(default)s)")
    e.add_argument("--no-history", action="store_true", help="skip the committed versions (faster)")
    e.set_defaults(func=_explain)

    d = sub.add_parser("diff", help="examples added, removed, changed and moved between two committed versions")
    d.add_argument("rev_a")
    d.add_argument("rev_b")
    d.add_argument("--json", action="store_true")
    d.add_argument("--final", default=FINAL)
    d.set_defaults(func=_diff)

    m = sub.add_parser("models", help="which dataset version each model trained on, and which models saw an example")
    msub = m.add_subparsers(dest="models_command", required=True)
    r = msub.add_parser("register", help="record that a model trained on the dataset version at a git rev")
    r.add_argument("name")
    r.add_argument("--rev", required=True, help="the git revision of the dataset version (stored as a full hash)")
    r.add_argument("--split", action="append", choices=["train", "val", "test"],
                   help="split the model trained on; repeatable (default: train)")
    r.add_argument("--notes", default="")
    r.set_defaults(func=_register)
    w = msub.add_parser("which", help="which registered models trained on an example, or on any example containing a text")
    w.add_argument("id", nargs="?", help="example_id or origin_id, or a unique prefix")
    w.add_argument("--text", help="case-insensitive text to find in any turn")
    w.set_defaults(func=_which)
    x = msub.add_parser("examples", help="every example a registered model trained on")
    x.add_argument("name")
    x.set_defaults(func=_examples)
    for p in (r, w, x):
        p.add_argument("--json", action="store_true")
        p.add_argument("--registry", default=REGISTRY, help="default %(default)s")
        p.add_argument("--final", default=FINAL)

    f = sub.add_parser("forget", help="exclude an example, a group or every example containing a text from now on")
    f.add_argument("id", nargs="?", help="origin_id, example_id (or a unique prefix), group_id, or "
                                        "<source>:<group key> (e.g. helpdesk:T-1042; stored hashed)")
    f.add_argument("--text", help="exclude every current example with a turn containing this text, and future "
                                  "turns equal to it (stored as a keyed hash, never in clear)")
    f.add_argument("--exclude-file", default=EXCLUDE, help="default %(default)s")
    f.add_argument("--conf", default="conf")
    f.add_argument("--params", default="params.yaml")
    f.add_argument("--no-config", action="store_true", help="do not regenerate params.yaml")
    f.add_argument("--json", action="store_true")
    f.add_argument("--final", default=FINAL)
    f.set_defaults(func=_forget)
