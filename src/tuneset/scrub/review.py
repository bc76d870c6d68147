"""``tuneset pii review``: each leak-gate finding in context, on the user's terminal, and its fix.

It re-runs the leak scan (:func:`tuneset.scrub.leakscan.scan_final`, the same checks as the
``leak_scan`` stage; it needs ``TUNESET_PII_SALT``) over ``data/final`` and prints, per finding, its
id, file and line, check, type, source, and the text around the value with the value marked
(``>>>value<<<``). That is printed on stdout only: nothing here writes a value or its surroundings to
``reports/``, a log, or a file git tracks.

Then, for each finding, one of:

- **allow** (``--allow ID``, or ``a``): append its keyed hash to the allow file
  (``conf/pii/allow.yaml``, :mod:`tuneset.scrub.allow`); the gate accepts the value from then on;
- **drop the example** (``--drop ID``, or ``d``): append the example's ``origin_id`` to the exclusion
  list, the mechanism of ``tuneset forget`` (:func:`tuneset.audit.forget.append`), and regenerate
  ``params.yaml``; the next ``dvc repro`` drops it at ingest (rule ``excluded``);
- **skip** (``s``) or **quit** (``q``, keeping the decisions made so far).

On a terminal without flags it asks finding by finding (``[a]llow / [d]rop example / [s]kip /
[q]uit``); otherwise, or with ``--list``, it only prints. IDs may be given as a unique prefix.
Allow entries made under another key match nothing: a review that writes removes them (and says so).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneset.audit.cli import EXCLUDE  # the exclusion file `tuneset forget` appends to
from tuneset.scrub import allow

if TYPE_CHECKING:  # the scan pulls in pandas and the detectors: only when a review runs
    from tuneset.scrub.leakscan import Finding, LeakScanResult

FINAL = "data/final"
VAULT = "data/scrub/pii_vault.parquet"
SALT_FINGERPRINT = "data/salt.fingerprint"
CONTEXT = 60
PROMPT = "[a]llow / [d]rop example / [s]kip / [q]uit? "


class ReviewError(RuntimeError):
    """A review cannot go on: the message names the file or flag and the fix."""


@dataclass
class Decisions:
    """What the user chose: findings to allow, findings whose example to drop."""

    allow: list[Finding] = field(default_factory=list)
    drop: list[Finding] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Showing a finding


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", "⏎").replace("\t", " ")


def context(f: Finding, width: int = CONTEXT) -> str:
    """The text around the value, ``width`` characters each side, the value marked ``>>>value<<<``,
    on one line (line breaks shown as ⏎)."""
    before = f.text[max(0, f.start - width):f.start]
    after = f.text[f.end:f.end + width]
    return (("…" if f.start > width else "") + _one_line(before) + ">>>" + _one_line(f.value) + "<<<"
            + _one_line(after) + ("…" if f.end + width < len(f.text) else ""))


def render(f: Finding, i: int | None = None, n: int | None = None) -> str:
    """A finding as the review prints it: a header line, then the value in context."""
    where = f"[{i}/{n}] " if i is not None and n is not None else ""
    example = f"example {f.example_id[:12]}" if f.example_id else "no example (file not in the manifest)"
    return (f"{where}{f.id}  {f.file}:{f.line}  {f.check} {f.type}  source {f.source or '-'}  {example}\n"
            f"    {context(f)}")


# --------------------------------------------------------------------------------------------
# Finding the findings


def scan(final: str, vault: str, params: str, allow_file: str, key: str) -> tuple[LeakScanResult, allow.AllowList]:
    """The leak scan as the stage runs it; allow entries made under another key are left out (counted in ``stale``)."""
    from tuneset import config, frames
    from tuneset.scrub.leakscan import LeakScanError, scan_final

    if not Path(vault).exists():
        raise ReviewError(f"{vault} not found: run the pipeline first (dvc repro)")
    cfg = config.load_section("pii", config.read_params(params))
    allowed = allow.load(allow_file, key, discard_stale=True)
    try:
        return scan_final(final, frames.read_parquet(vault), key, cfg, allow=allowed), allowed
    except LeakScanError as exc:
        raise ReviewError(str(exc)) from None


def pick(findings: Sequence[Finding], ids: Sequence[str], flag: str) -> list[Finding]:
    """The findings named by ``ids`` (each a finding id or a unique prefix of one)."""
    out = []
    for raw in ids:
        hits = [f for f in findings if f.id.startswith(raw.strip().lower())] if raw.strip() else []
        if len(hits) != 1:
            why = "matches no current finding" if not hits else f"is ambiguous ({len(hits)} findings)"
            raise ReviewError(f"{flag} {raw}: {why}; `tuneset pii review --list` shows the current ids")
        out.append(hits[0])
    return out


# --------------------------------------------------------------------------------------------
# The fixes


def allow_findings(allow_file: str, key: str, allowed: allow.AllowList, findings: Sequence[Finding]) -> list[allow.Entry]:
    """Append the findings' keyed hashes to the allow file (rewriting it under ``key``); returns the new entries."""
    added = allowed.add(allow.Entry(f.hash, f.check, f.type, f.id) for f in findings)
    allow.save(allow_file, allowed, key)
    return added


def drop_findings(findings: Sequence[Finding], exclude_file: str, conf: str, params: str) -> list[str]:
    """Exclude the findings' examples by ``origin_id`` as ``tuneset forget`` does, then regenerate ``params.yaml``."""
    from tuneset import config
    from tuneset.audit import AuditError, forget

    unmapped = [f.id for f in findings if not f.origin_id]
    if unmapped:
        raise ReviewError(f"--drop {', '.join(unmapped)}: the finding is in a file the manifest does not map to an "
                          f"example, so there is no example to drop; allow it, or fix the export target")
    origin_ids = sorted({f.origin_id for f in findings})
    try:
        forget.append(exclude_file, {"origin_ids": origin_ids})
    except AuditError as exc:
        raise ReviewError(str(exc)) from None
    config.compose_params(conf, params)
    listed = set(config.load_section("exclude", config.read_params(params)).origin_ids)
    if not set(origin_ids) <= listed:
        raise ReviewError(f"{params} does not list the origin ids written to {exclude_file}: select that file in "
                          f"{conf}/config.yaml defaults (`- exclude: {Path(exclude_file).stem}`), then run "
                          f"`tuneset config`")
    return origin_ids


# --------------------------------------------------------------------------------------------
# Asking


def ask(findings: Sequence[Finding], read: Callable[[str], str] = input, write: Callable[[str], Any] = print) -> Decisions:
    """Show each finding and ask what to do with it; end of input is quit."""
    out = Decisions()
    for i, f in enumerate(findings, 1):
        write(render(f, i, len(findings)))
        while True:
            try:
                answer = read(PROMPT).strip().lower()[:1]
            except EOFError:
                answer = "q"
            if answer in ("a", "d", "s", "q"):
                break
            write("    please answer a, d, s or q")
        if answer == "q":
            break
        if answer == "a":
            out.allow.append(f)
        elif answer == "d":
            out.drop.append(f)
    return out


def _is_tty() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _apply(args: argparse.Namespace, key: str, allowed: allow.AllowList, decisions: Decisions) -> None:
    if decisions.allow or allowed.stale:
        added = allow_findings(args.allow_file, key, allowed, decisions.allow)
        if allowed.stale:
            print(f"removed {allowed.stale} entries of {args.allow_file} made with another TUNESET_PII_SALT")
        if decisions.allow:
            print(f"allowed {len(added)} value(s) in {args.allow_file} (keyed hashes only; commit it)")
    if decisions.drop:
        origin_ids = drop_findings(decisions.drop, args.exclude_file, args.conf, args.params)
        print(f"excluded {len(origin_ids)} example(s) by origin_id in {args.exclude_file}; {args.params} regenerated "
              f"from {args.conf}/ (the next run drops them at ingest, rule excluded)")
    if decisions.allow or decisions.drop:
        print("next: `dvc repro`" + ("" if decisions.drop else " (only leak_scan and report re-run)"))


def review(args: argparse.Namespace) -> int:
    """The ``tuneset pii review`` command (see the module docstring)."""
    from tuneset.scrub import salt

    try:
        key = salt.checked_salt(args.salt_fingerprint, "{var} is not the key of this pipeline run ({path}): set it "
                                "to the key scrub used")
        result, allowed = scan(args.final, args.vault, args.params, args.allow_file, key)
        findings = result.findings
        if allowed.stale:
            print(f"note: {allow.stale_message(args.allow_file, allowed.stale)}", file=sys.stderr)
        if not findings:
            print(f"no leak-gate findings in {args.final} ({len(allowed)} allowed value(s) in {args.allow_file})")
        decisions = Decisions(pick(findings, args.allow or [], "--allow"), pick(findings, args.drop or [], "--drop"))
        if args.list or not (decisions.allow or decisions.drop or _is_tty()):
            for i, f in enumerate(findings, 1):
                print(render(f, i, len(findings)))
            if findings and not args.list:
                print("fix each with `tuneset pii review --allow ID` or `--drop ID` (or run it on a terminal)")
            if args.list:
                return 0
        elif not (decisions.allow or decisions.drop):
            decisions = ask(findings)
        _apply(args, key, allowed, decisions)
    except (salt.SaltError, allow.AllowFileError, ReviewError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``pii review`` to the ``tuneset`` subcommands."""
    p = sub.add_parser("pii", help="PII: review the leak gate's findings")
    psub = p.add_subparsers(dest="pii_command", required=True)
    r = psub.add_parser("review", help="show each leak-gate finding in context (terminal only) and allow it or drop "
                                       "its example")
    r.add_argument("--allow", action="append", metavar="ID", help="allow the value of this finding (repeatable)")
    r.add_argument("--drop", action="append", metavar="ID", help="exclude this finding's example from the next run "
                                                                 "(repeatable; as `tuneset forget`)")
    r.add_argument("--list", action="store_true", help="print the findings without asking or changing anything")
    r.add_argument("--final", default=FINAL, help="the export directory (default %(default)s)")
    r.add_argument("--vault", default=VAULT, help="default %(default)s")
    r.add_argument("--params", default="params.yaml")
    r.add_argument("--allow-file", default=allow.PATH, help="default %(default)s")
    r.add_argument("--exclude-file", default=EXCLUDE, help="default %(default)s")
    r.add_argument("--conf", default="conf")
    r.add_argument("--salt-fingerprint", default=SALT_FINGERPRINT, help="default %(default)s")
    r.set_defaults(func=review)
