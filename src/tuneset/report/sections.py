"""The data card's sections: one function per section, each a pure function of :class:`Ctx`.

A section whose stage did not run says so in words (:data:`NOT_ENABLED`) instead of showing zeros,
so "nothing found" and "nothing looked" never look alike.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tuneset import hashing
from tuneset import schema as col
from tuneset.ledger import record_text
from tuneset.preview import make_preview
from tuneset.report import chat, svg, tally
from tuneset.report.context import Ctx, Section
from tuneset.report.html import (
    Safe, code, fmt_int, fmt_share, h, kv_table, note, plural, short_id, table, truncate,
)

NOT_ENABLED = "stage not enabled in this pipeline"
TOP_LABEL_VALUES = 10
COVERAGE_LABELS = ("category", "intent", "topic", "task", "domain")
COVERAGE_MAX_ROWS = 60
TOP_CLUSTERS = 20
CONTAMINATION_SAMPLES = 10
SAMPLES_PER_SPLIT = 3
REPORT_KEYS = ("rows_in", "rows_out", "dropped_by_rule")
PII_KEYS = ("pii_by_type", "replacements_by_type", "counts_by_type", "by_type", "pii_counts", "pii")
BENCHMARK_KEYS = ("benchmark", "benchmark_name", "benchmark_file")
NGRAM_KEYS = ("ngram", "overlap", "match", "matched_ngram")
ITEM_KEYS = ("item", "benchmark_item", "item_id", "item_index")


def not_enabled(stage: str) -> Safe:
    return note(h("strong", stage), ": ", NOT_ENABLED, ".", kind="off")


def _where(row: Mapping[str, Any]) -> Safe:
    return code(f"{row.get(col.SOURCE_FILE) or '?'}:{row.get(col.LOCATOR) or '?'}")


def _value_text(value: Any, limit: int = 300) -> str:
    if isinstance(value, (dict, list)):
        try:
            text = hashing.canonical_json(value)
        except (TypeError, ValueError):
            text = str(value)
    else:
        text = _scalar_text(value)
    cut, more = truncate(text, limit)
    return cut + (f" … ({fmt_int(more)} more characters)" if more else "")


def _scalar_text(value: Any) -> str:
    value = tally.clean(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.6g}"
    return fmt_int(value)


def flatten(obj: Mapping[str, Any], prefix: str = "", depth: int = 3) -> list[tuple[str, Any]]:
    """``(dotted key, value)`` pairs of a report, keys sorted, nested mappings opened to ``depth``."""
    out: list[tuple[str, Any]] = []
    for key in sorted(obj, key=str):
        value = obj[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth > 1:
            out += flatten(value, name + ".", depth - 1)
        else:
            out.append((name, value))
    return out


def _int_map(value: Any) -> dict[str, int]:
    """A {name: count} mapping (nested mappings summed), or {} when ``value`` is not one."""
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, int] = {}
    for k, v in value.items():
        if isinstance(v, Mapping):
            n = sum(_int_map(v).values())
        else:
            n = tally.int_or_none(v)
        if n is not None:
            out[str(k)] = n
    return out


def _by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


JSON_ROWS = 50
JSON_COLUMNS = 8


def json_view(value: Any) -> Safe:
    """Any JSON value from a report as markup: a list of objects as a table (the first
    :data:`JSON_ROWS` rows, :data:`JSON_COLUMNS` keys), an object as a key/value table, the rest as text."""
    value = tally.clean(value)
    if isinstance(value, Mapping):
        pairs = flatten(value)
        return kv_table([(k, _value_text(v, 200)) for k, v in pairs[:JSON_ROWS]]) if pairs else note("(empty)")
    if isinstance(value, (list, tuple)):
        if not value:
            return note("(empty)")
        if all(isinstance(v, Mapping) for v in value):
            keys: list[str] = []
            for v in value:
                keys += [str(k) for k in v if str(k) not in keys]
            keys = keys[:JSON_COLUMNS]
            rows = [[_value_text(v.get(k), 200) if k in v else "" for k in keys] for v in value[:JSON_ROWS]]
            out = [table(keys, rows)]
            if len(value) > JSON_ROWS:
                out.append(note(f"… and {plural(len(value) - JSON_ROWS, 'more row')}."))
            return h("div", out)
        return h("p", _value_text(list(value), 600))
    return h("p", _value_text(value, 600))


# --- dataset version -----------------------------------------------------------------------------

def version_section(ctx: Ctx) -> Section:
    v = ctx.version
    raw, q, d, k = (ctx.count(x) for x in ("raw_rows", "quarantined", "dropped", "kept"))
    balanced = ctx.lineage.get("balanced")
    if balanced is None:
        balanced = raw == q + d + k
    balance = (h("span", "✓ balanced", class_="ok") if balanced else h("span", "✗ NOT balanced", class_="bad"))
    pairs = [
        ("Dataset version", code(v.get("dataset_version") or "(not recorded)")),
        ("Params fingerprint", code(v.get("params_fingerprint") or "(not recorded)")),
        ("PII salt fingerprint", code(v.get("pii_salt_fingerprint") or "(not recorded)")),
        ("Kept examples", fmt_int(k)),
        ("Conservation", [balance, f": {fmt_int(raw)} raw units = {fmt_int(q)} quarantined + "
                                   f"{fmt_int(d)} dropped + {fmt_int(k)} kept"]),
    ]
    shown = {"raw_rows", "quarantined", "dropped", "kept", "by_split", "dropped_by_stage", "balanced", "breaches"}
    breaches = _int_map(ctx.lineage.get("breaches"))
    if breaches:
        broken = [f"{k} {fmt_int(n)}" for k, n in sorted(breaches.items()) if n]
        pairs.append(("Ledger breaches", h("span", "; ".join(broken), class_="bad") if broken else
                      f"none ({', '.join(sorted(breaches))} all 0)"))
    extra = {k: val for k, val in ctx.lineage.items() if k not in shown}
    pairs += [(f"lineage.{k}", _value_text(val)) for k, val in flatten(extra)]
    body = [kv_table(pairs)]
    counts = v.get("counts") if isinstance(v.get("counts"), Mapping) else {}
    actual = tally.split_kind_counts(ctx.manifest)
    kinds = tally.ordered(list(counts), ctx.kinds)
    splits = tally.ordered([s for c in counts.values() if isinstance(c, Mapping) for s in c], ctx.splits)
    rows, mismatches = [], []
    for kind in kinds:
        given = counts.get(kind) if isinstance(counts.get(kind), Mapping) else {}
        cells = []
        for s in splits:
            n = tally.int_or_none(given.get(s)) if given else None
            if n is not None and n != actual.get((s, kind), 0):
                mismatches.append(f"{kind}/{s}: VERSION.json {fmt_int(n)}, manifest {fmt_int(actual.get((s, kind), 0))}")
            cells.append(fmt_int(n) if n is not None else "–")
        total = sum(tally.int_or_none(given.get(s)) or 0 for s in splits) if given else 0
        rows.append([kind, *cells, fmt_int(total)])
    body.append(h("h3", "Counts recorded in VERSION.json"))
    if counts:
        body.append(table(["kind", *splits, "total"], rows, numeric=range(1, len(splits) + 2)))
    else:
        body.append(note("VERSION.json records no counts."))
    if mismatches:
        body.append(note("VERSION.json disagrees with the manifest: ", "; ".join(mismatches), kind="warn"))
    if not balanced:
        body.append(note("The books do not balance: some units are neither kept nor in a dropped table. "
                         "See reports/lineage.json.", kind="warn"))
    return Section("version", "Dataset version", h("div", body),
                   "Identity of this dataset version and the balance of its books.")


# --- funnel --------------------------------------------------------------------------------------

def _stage_rule_counts(ctx: Ctx, stage: str) -> tuple[dict[str, int], str | None]:
    """Drops per rule of ``stage`` (from the dropped table, else its report) and a mismatch note."""
    from_table = {r: n for (s, r), n in tally.drop_counts(ctx.dropped).items() if s == stage}
    report = ctx.stage_reports.get(stage, {})
    from_report = {r: n for r, n in _int_map(report.get("dropped_by_rule")).items() if n}
    if not from_table:
        return from_report, None
    mismatch = None
    if "dropped_by_rule" in report and from_report != from_table:
        mismatch = (f"{stage}: reports/{stage}.json counts {fmt_int(sum(from_report.values()))} drops, the dropped "
                    f"table holds {fmt_int(sum(from_table.values()))}")
    return from_table, mismatch


def funnel_section(ctx: Ctx) -> Section:
    raw, kept = ctx.count("raw_rows"), ctx.count("kept")
    remaining = raw
    rows: list[list[Any]] = [["raw units", "", "", fmt_int(raw)]]
    classes: list[str | None] = ["total"]
    bars: list[tuple[str, int, str]] = [("raw units", raw, "")]
    notes = []
    for stage in ctx.stages:
        label = "ingest (quarantine)" if stage == "ingest" else stage
        if stage not in ctx.enabled:
            rows.append([label, NOT_ENABLED, "–", "–"])
            classes.append("off")
            continue
        counts, mismatch = _stage_rule_counts(ctx, stage)
        if mismatch:
            notes.append(mismatch)
        for rule in sorted(counts):
            rows.append([label, rule, fmt_int(counts[rule]), ""])
            classes.append(None)
        removed = sum(counts.values())
        remaining -= removed
        rows.append([label, "all rules" if counts else "no drops", fmt_int(removed), fmt_int(remaining)])
        classes.append("subtotal")
        bars.append((f"after {stage}", remaining, ""))
    rows.append(["kept", "", "", fmt_int(kept)])
    classes.append("total")
    for split, n in ctx.kept_by_split().items():
        rows.append(["kept", split, "", f"{fmt_int(n)} ({fmt_share(n, kept)})"])
        classes.append(None)
        bars.append((f"kept · {split}", n, "bar-kept"))
    if remaining != kept:
        notes.append(f"units left after the last stage ({fmt_int(remaining)}) differ from the kept count "
                     f"({fmt_int(kept)})")
    body = [
        table(["stage", "rule", "removed", "remaining"], rows, numeric=(2, 3), row_classes=classes, class_="funnel"),
        svg.hbar_chart(bars, title="Units remaining after each stage, then kept per split"),
    ]
    body += [note(n, kind="warn") for n in notes]
    return Section("funnel", "Funnel", h("div", body),
                   "Every raw unit, where it was removed and by which rule, and where the rest went.")


# --- stage reports -------------------------------------------------------------------------------

def stages_section(ctx: Ctx) -> Section:
    parts = []
    for stage in ctx.stages:
        inner: list[Any] = [h("h3", stage)]
        if stage not in ctx.enabled:
            inner.append(not_enabled(stage))
        else:
            report = ctx.stage_reports.get(stage)
            counts, mismatch = _stage_rule_counts(ctx, stage)
            if report is None:
                inner.append(note(f"No reports/{stage}.json was given; counts come from the dropped table."))
            else:
                r_in, r_out = tally.int_or_none(report.get("rows_in")), tally.int_or_none(report.get("rows_out"))
                pairs = [("rows in", fmt_int(r_in) if r_in is not None else "–"),
                         ("rows out", fmt_int(r_out) if r_out is not None else "–")]
                if r_in is not None and r_out is not None:
                    pairs.append(("removed", fmt_int(r_in - r_out)))
                inner.append(kv_table(pairs))
            if counts:
                inner.append(table(["rule", "dropped"], [[r, fmt_int(counts[r])] for r in sorted(counts)],
                                   numeric=(1,)))
            else:
                inner.append(note("No drops."))
            if mismatch:
                inner.append(note(mismatch, kind="warn"))
            extra = [(k, v) for k, v in flatten({k: v for k, v in (report or {}).items() if k not in REPORT_KEYS})]
            if extra:
                inner.append(h("details", h("summary", f"Other metrics ({len(extra)})"),
                               kv_table([(k, _value_text(v)) for k, v in extra]), open=len(extra) <= 12))
        parts.append(h("div", inner, class_="stage", id=f"stage-{stage}"))
    return Section("stages", "Stage reports", h("div", parts, class_="stages"),
                   "What each stage's reports/<stage>.json says.")


# --- split balance -------------------------------------------------------------------------------

def split_balance_section(ctx: Ctx) -> Section:
    counts = tally.split_kind_counts(ctx.manifest)
    groups: dict[str, set[str]] = {}
    for s, g in zip(tally.text_column(ctx.manifest, col.SPLIT, "(none)"), tally.text_column(ctx.manifest, col.GROUP_ID)):
        groups.setdefault(s, set()).add(g)
    total = len(ctx.manifest)
    kind_total = {k: sum(counts.get((s, k), 0) for s in ctx.splits) for k in ctx.kinds}
    header = ["split"]
    for k in ctx.kinds:
        header += [k, f"{k} share"]
    header += ["total", "share", "groups"]
    rows = []
    for s in ctx.splits:
        row: list[Any] = [s]
        for k in ctx.kinds:
            n = counts.get((s, k), 0)
            row += [fmt_int(n), fmt_share(n, kind_total[k])]
        n_split = sum(counts.get((s, k), 0) for k in ctx.kinds)
        row += [fmt_int(n_split), fmt_share(n_split, total), fmt_int(len(groups.get(s, ())))]
        rows.append(row)
    rows.append(["all", *[x for k in ctx.kinds for x in (fmt_int(kind_total[k]), fmt_share(kind_total[k], total))],
                 fmt_int(total), fmt_share(total, total), fmt_int(len(set().union(*groups.values())) if groups else 0)])
    body = [table(header, rows, numeric=range(1, len(header)), row_classes=[None] * len(ctx.splits) + ["total"])]
    if total == 0:
        body.append(note("No kept examples."))
    else:
        bars = [(f"{s} · {k}", counts.get((s, k), 0), "bar-kept") for s in ctx.splits for k in ctx.kinds
                if counts.get((s, k), 0) or k in col.KINDS]
        body.append(svg.hbar_chart(bars, title="Kept examples per split and kind"))
    return Section("split-balance", "Split balance", h("div", body),
                   "Kept examples per split and kind; shares are of the kind's total and of all kept examples.")


# --- sources ------------------------------------------------------------------------------------

def sources_section(ctx: Ctx) -> Section:
    m, d = ctx.manifest, ctx.dropped
    kept: Counter[tuple[str, str]] = Counter(zip(tally.text_column(m, col.SOURCE, "(unknown)"),
                                                 tally.text_column(m, col.SPLIT, "(none)")))
    gone: Counter[tuple[str, bool]] = Counter(zip(tally.text_column(d, col.SOURCE, "(unknown)"),
                                                  (s == "ingest" for s in tally.text_column(d, col.STAGE))))
    licenses: dict[str, set[str]] = {}
    origins: dict[str, set[str]] = {}
    for src, lic, org in zip(tally.text_column(m, col.SOURCE, "(unknown)"), tally.text_column(m, col.LICENSE, "?"),
                             tally.text_column(m, col.ORIGIN, "?")):
        licenses.setdefault(src, set()).add(lic)
        origins.setdefault(src, set()).add(org)
    for src, org in zip(tally.text_column(d, col.SOURCE, "(unknown)"), tally.text_column(d, col.ORIGIN, "?")):
        origins.setdefault(src, set()).add(org)
    names = sorted({s for s, _ in kept} | {s for s, _ in gone})
    if not names:
        return Section("sources", "Sources and licenses", note("No sources: nothing was read."))
    rows = []
    for src in names:
        rows.append([h("strong", src), ", ".join(sorted(origins.get(src, ()))) or "?",
                     ", ".join(sorted(licenses.get(src, ()))) or "(no kept examples)",
                     *[fmt_int(kept.get((src, s), 0)) for s in ctx.splits],
                     fmt_int(gone.get((src, False), 0)), fmt_int(gone.get((src, True), 0))])
    header = ["source", "origin", "license", *ctx.splits, "dropped", "quarantined"]
    return Section("sources", "Sources and licenses",
                   table(header, rows, numeric=range(3, len(header))),
                   "Where the units came from, under which license, and where they went.")


# --- token lengths -------------------------------------------------------------------------------

def token_section(ctx: Ctx) -> Section:
    hist = tally.token_hist(ctx.manifest)
    if not hist.bins:
        body = [note("No kept examples with a token count.")]
        if hist.missing:
            body.append(note(f"{fmt_int(hist.missing)} kept examples have no n_tokens.", kind="warn"))
        return Section("token-lengths", "Token lengths", h("div", body))
    rows, charts = [], []
    for (s, k), values in hist.values.items():
        rows.append([s, k, fmt_int(len(values)), fmt_int(values[0]), fmt_int(tally.quantile(values, 0.5)),
                     fmt_int(tally.quantile(values, 0.95)), fmt_int(values[-1]), fmt_int(sum(values))])
        charts.append(h("figure", svg.histogram(hist.bins[(s, k)], bin_width=hist.bin_width,
                                                title=f"Token lengths, {s} {k}", x_label="tokens",
                                                overflow_at=hist.overflow_at),
                        h("figcaption", f"{s} · {k} ({fmt_int(len(values))})"), class_="hist-fig"))
    body = [
        table(["split", "kind", "examples", "min", "median", "p95", "max", "total tokens"], rows,
              numeric=range(2, 8)),
        note(f"Bins of {fmt_int(hist.bin_width)} tokens, the same for every chart."
             + (f" The last bar (≥ {fmt_int(hist.overflow_at)}) gathers the "
                f"{plural(sum(1 for vs in hist.values.values() for v in vs if v >= hist.overflow_at), 'longer example')}"
                f" (the longest has {fmt_int(max(vs[-1] for vs in hist.values.values()))} tokens)."
                if hist.overflow_at is not None else "")),
        h("div", charts, class_="grid"),
    ]
    if hist.missing:
        body.append(note(f"{fmt_int(hist.missing)} kept examples have no n_tokens and are not counted.", kind="warn"))
    return Section("token-lengths", "Token lengths", h("div", body),
                   "Tokens per kept example (manifest n_tokens), per split and kind.")


# --- turns ---------------------------------------------------------------------------------------

def turns_section(ctx: Ctx) -> Section:
    counts = tally.turn_counts(ctx.examples)
    lead = "Non-system prompt messages, plus the chosen continuation for preference pairs."
    if not counts:
        return Section("turns", "Turn counts", note("No kept examples."), lead)
    by_turn: Counter[int] = Counter()
    by_turn_split: Counter[tuple[int, str]] = Counter()
    for (s, _k, t), n in counts.items():
        by_turn[t] += n
        by_turn_split[(t, s)] += n
    top, low = max(by_turn), min(by_turn)
    width = tally.nice_width(top)
    bins: Counter[int] = Counter()
    bins_split: Counter[tuple[int, str]] = Counter()
    for (t, s), n in by_turn_split.items():
        bins[t // width * width] += n
        bins_split[(t // width * width, s)] += n
    rows = []
    for start in sorted(bins):
        label = str(start) if width == 1 else f"{start}–{start + width - 1}"
        rows.append([label, *[fmt_int(bins_split.get((start, s), 0)) for s in ctx.splits], fmt_int(bins[start])])
    chart = svg.histogram([(b * width, bins.get(b * width, 0)) for b in range(low // width, top // width + 1)],
                          bin_width=width,
                          title="Turns per example", x_label="turns", width=520)
    return Section("turns", "Turn counts", h("div", table(["turns", *ctx.splits, "total"], rows,
                                                          numeric=range(1, len(ctx.splits) + 2)), chart), lead)


# --- labels and coverage ---------------------------------------------------------------------------

def labels_section(ctx: Ctx) -> Section:
    stats = ctx.labels
    if not stats.counts:
        return Section("labels", "Labels", note("No labels on the kept examples."))
    summary = []
    for name, counter in stats.counts.items():
        summary.append([h("a", name, href=f"#label-{_slug(name)}"), fmt_int(len(value_set(counter))),
                        fmt_int(stats.total - stats.unlabeled[name]), fmt_int(stats.unlabeled[name])])
    body = [table(["label", "distinct values", "labeled examples", "without the label"], summary, numeric=(1, 2, 3))]
    for name, counter in stats.counts.items():
        totals = tally.value_totals(counter)
        rows = [[_label_value(value), *[fmt_int(counter.get((value, s), 0)) for s in ctx.splits],
                 fmt_int(n)] for value, n in totals[:TOP_LABEL_VALUES]]
        rest = totals[TOP_LABEL_VALUES:]
        if rest:
            rows.append([h("em", f"… {fmt_int(len(rest))} more values"), *["" for _ in ctx.splits],
                         fmt_int(sum(n for _, n in rest))])
        body += [h("h3", name, id=f"label-{_slug(name)}"),
                 table(["value", *ctx.splits, "total"], rows, numeric=range(1, len(ctx.splits) + 2))]
    return Section("labels", "Labels", h("div", body),
                   f"Top {TOP_LABEL_VALUES} values of every label, per split.")


def _label_value(value: str, limit: int = 80) -> Any:
    """A label value as shown in a table cell: ``(empty)`` when empty, long values cut with a tooltip."""
    if value == "":
        return h("em", "(empty)")
    cut, more = truncate(value, limit)
    return h("span", cut + "…", title=value) if more else value


def value_set(counter: Counter[tuple[str, str]]) -> set[str]:
    return {v for v, _ in counter}


def _slug(name: str) -> str:
    """An id-safe form of a label name (a hash suffix keeps distinct names distinct)."""
    base = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in name).strip("-")[:40] or "label"
    return f"{base}-{hashing.sha256_text(name)[:6]}"


def coverage_section(ctx: Ctx) -> Section:
    stats = ctx.labels
    lead = "Examples per label value and split; an empty cell is a gap (a value some split never sees)."
    if not stats.counts:
        return Section("coverage", "Coverage", h("div", note("No labels on the kept examples: there is no coverage "
                                                             "to show."), _coverage_targets(ctx)), lead)
    names = [n for n in COVERAGE_LABELS if n in stats.counts] or [next(iter(stats.counts))]
    body = []
    for name in names:
        counter = stats.counts[name]
        totals = tally.value_totals(counter)
        shown = totals[:COVERAGE_MAX_ROWS]
        gaps = 0
        header: list[Any] = [h("span", name, class_="lbl-name"), *ctx.splits, "total"]
        rows = []
        for value, n in shown:
            cells: list[Any] = [_label_value(value)]
            for s in ctx.splits:
                c = counter.get((value, s), 0)
                gaps += c == 0
                cells.append(h("span", fmt_int(c), class_="gap" if c == 0 else "cell"))
            cells.append(fmt_int(n))
            rows.append(cells)
        body += [h("h3", "by ", name),
                 table(header, rows, numeric=range(1, len(ctx.splits) + 2), class_="coverage"),
                 note(f"{plural(gaps, 'empty cell')} (gaps) across {plural(len(shown), 'value')} × "
                      f"{plural(len(ctx.splits), 'split')}.", kind="warn" if gaps else "muted")]
        if len(totals) > len(shown):
            body.append(note(f"Showing the {fmt_int(len(shown))} most frequent of {fmt_int(len(totals))} values."))
    body += _coverage_targets(ctx)
    return Section("coverage", "Coverage", h("div", body), lead)


def _coverage_targets(ctx: Ctx) -> list[Any]:
    """reports/coverage.json (filter stage): fill rates of the configured targets and the gaps."""
    report = ctx.extras.get("coverage")
    out: list[Any] = [h("h3", "Coverage targets")]
    if report is None:
        if "filter" not in ctx.enabled:
            return out + [not_enabled("filter"), note("Coverage targets and gaps come from the filter stage "
                                                      "(reports/coverage.json).")]
        return out + [note("No coverage report (reports/coverage.json) was given.")]
    if not isinstance(report, Mapping):
        return out + [json_view(report)]
    gaps = report.get("gaps")
    if isinstance(gaps, (list, Mapping)):
        n = len(gaps)
        out.append(note(f"{plural(n, 'gap')}: label cells below their target." if n else "No gaps: every target is met.",
                        kind="warn" if n else "muted"))
        if n:
            out.append(h("div", json_view(gaps), class_="gaps"))
    rest = {k: v for k, v in report.items() if k != "gaps"}
    if rest:
        out.append(h("details", h("summary", "Everything else in reports/coverage.json"), json_view(rest)))
    return out


# --- quality filter ------------------------------------------------------------------------------

SCORE_KEYS = ("score", "value")
THRESHOLD_KEYS = ("threshold", "min", "max", "limit")
_NOT_SCORES = frozenset(col.RECORD_COLUMNS) | frozenset(col.MANIFEST_COLUMNS) | {col.SPLIT}


def _threshold_text(details: Mapping[str, Any]) -> str:
    """A drop's threshold: ``threshold``/``min``/``max`` in its details, else its rule ``params``."""
    found = [(k, details[k]) for k in THRESHOLD_KEYS if details.get(k) is not None]
    if not found and isinstance(details.get("params"), Mapping):
        found = [(str(k), v) for k, v in sorted(details["params"].items(), key=lambda kv: str(kv[0]))
                 if not isinstance(v, (Mapping, list))]
    if len(found) == 1 and found[0][0] == "threshold":
        return _value_text(found[0][1], 40)
    return ", ".join(f"{k}={_value_text(v, 40)}" for k, v in found)


def score_columns(df: pd.DataFrame) -> list[str]:
    """Numeric columns a stage added to the kept examples (rule scores, counts), sorted by name."""
    out = []
    for name in sorted(str(c) for c in df.columns):
        if name in _NOT_SCORES:
            continue
        values = [v for v in tally.column(df, name) if v is not None]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out.append(name)
    return out


def _numbers(values: list[Any]) -> list[float]:
    return sorted(float(v) for v in (tally.clean(x) for x in values)
                  if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v)


def _spread(values: list[float]) -> list[str]:
    """min, median, p95, max as text ("–" when empty)."""
    if not values:
        return ["–"] * 4
    return [_scalar_text(x) for x in (values[0], tally.quantile(values, 0.5), tally.quantile(values, 0.95), values[-1])]


def filter_section(ctx: Ctx) -> Section:
    lead = ("Quality rules of the filter stage: what each dropped, with the scores and thresholds it recorded, "
            "and the score columns kept on the examples (so thresholds can move without recomputing).")
    title = "Quality filter"
    if "filter" not in ctx.enabled:
        return Section("filter", title, not_enabled("filter"), lead)
    d = ctx.dropped
    stages = tally.text_column(d, col.STAGE)
    idx = [i for i, s in enumerate(stages) if s == "filter"]
    rules = tally.text_column(d, col.RULE)
    details = {i: tally.parse_json(d[col.DETAILS].iat[i]) for i in idx} if col.DETAILS in d.columns else {}
    by_rule: dict[str, list[int]] = {}
    for i in idx:
        by_rule.setdefault(rules[i], []).append(i)
    report = ctx.stage_reports.get("filter", {})
    counts = {r: n for r, n in _int_map(report.get("dropped_by_rule")).items()}
    failed = _int_map(report.get("failed_by_rule"))
    names = sorted(set(by_rule) | set(counts) | set(failed))
    body: list[Any] = []
    if names:
        rows = []
        for rule in names:
            rows_i = by_rule.get(rule, [])
            scores = _numbers([_first(details.get(i, {}), SCORE_KEYS) for i in rows_i])
            rows.append([rule, fmt_int(len(rows_i) if rows_i else counts.get(rule, 0)),
                         fmt_int(failed[rule]) if rule in failed else "–",
                         ", ".join(sorted({_threshold_text(details.get(i, {})) for i in rows_i} - {""})) or "–",
                         f"{_scalar_text(scores[0])} – {_scalar_text(scores[-1])}" if scores else "–"])
        body.append(table(["rule", "dropped", "failed (any)", "threshold / params", "scores of the dropped"], rows,
                          numeric=(1, 2)))
        if failed:
            body.append(note("dropped: the rule was the first to fail; failed (any): every example it failed, "
                             "from reports/filter.json failed_by_rule."))
    else:
        body.append(note("No drops by the filter stage."))
    extra = {k: v for k, v in report.items() if "score" in str(k).lower()}
    if extra:
        body += [h("h3", "Score distributions (reports/filter.json)"), json_view(extra)]
    cols = score_columns(ctx.examples)
    if cols:
        splits = tally.text_column(ctx.examples, col.SPLIT, "(none)")
        rows = []
        for name in cols:
            values = tally.column(ctx.examples, name)
            for split in ctx.splits:
                nums = _numbers([v for v, s in zip(values, splits) if s == split])
                rows.append([name, split, fmt_int(len(nums)), *_spread(nums)])
        body += [h("h3", "Score columns on the kept examples"),
                 table(["column", "split", "examples", "min", "median", "p95", "max"], rows, numeric=range(2, 7))]
    else:
        body.append(note("The kept examples carry no score columns."))
    return Section("filter", title, h("div", body), lead)


# --- PII -----------------------------------------------------------------------------------------

def pii_section(ctx: Ctx) -> Section:
    lead = "Replacements made by the scrub stage, by PII/secret type (values are never shown)."
    if "scrub" not in ctx.enabled:
        return Section("pii", "PII", not_enabled("scrub"), lead)
    report = ctx.stage_reports.get("scrub", {})
    key = next((k for k in PII_KEYS if isinstance(report.get(k), Mapping)), None)
    if key is None:
        return Section("pii", "PII", note("The scrub report has no per-type counts (expected a mapping under one of: ",
                                          ", ".join(PII_KEYS), ").", kind="warn"), lead)
    counts = _by_count(_int_map(report[key]))
    if not counts or not any(n for _, n in counts):
        return Section("pii", "PII", h("div", note("No PII or secrets found by the scrub stage."), _pii_setup(report)),
                       lead)
    total = sum(n for _, n in counts)
    body = [table(["type", "replacements", "share"], [[t, fmt_int(n), fmt_share(n, total)] for t, n in counts]
                  + [[h("strong", "total"), fmt_int(total), ""]], numeric=(1, 2)),
            svg.hbar_chart([(t, n, "bar-pii") for t, n in counts], title="PII replacements by type"),
            note(f"From reports/scrub.json key {key}.")]
    per_source = report.get("pii_by_source")
    if isinstance(per_source, Mapping) and per_source:
        types = [t for t, _ in counts]
        rows = []
        for src in sorted(per_source, key=str):
            row = _int_map(per_source[src]) if isinstance(per_source[src], Mapping) else {}
            types += [t for t in sorted(row) if t not in types]
            rows.append((str(src), row))
        body += [h("h3", "By source"),
                 table(["source", *types, "total"],
                       [[src, *[fmt_int(row.get(t, 0)) for t in types], fmt_int(sum(row.values()))] for src, row in rows],
                       numeric=range(1, len(types) + 2))]
    body.append(_pii_setup(report))
    return Section("pii", "PII", h("div", body), lead)


def _pii_setup(report: Mapping[str, Any]) -> Safe:
    """How scrub looked: mode, whether name/place detection (NER) ran, and a demo salt, in plain words."""
    out: list[Any] = []
    pairs = [(k, _value_text(report[k], 80)) for k in ("mode", "consistency", "examples_with_pii") if k in report]
    detection = report.get("detection") if isinstance(report.get("detection"), Mapping) else {}
    ner = detection.get("ner") if isinstance(detection.get("ner"), Mapping) else None
    if ner is not None:
        if ner.get("enabled") and ner.get("loaded", True):
            pairs.append(("names and places (NER)", f"on, model {ner.get('model') or '?'}"))
        else:
            out.append(note("Names and places (NER) were not detected: ", str(ner.get("message") or "NER is off"),
                            kind="warn"))
    if detection.get("entities"):
        pairs.append(("entity types looked for", _value_text(detection.get("entities"), 400)))
    salt = report.get("salt") if isinstance(report.get("salt"), Mapping) else {}
    if salt.get("demo"):
        out.append(note(str(salt.get("note") or "A demo salt was used: surrogates protect nothing."), kind="warn"))
    return h("div", kv_table(pairs) if pairs else None, out)


# --- PII by source --------------------------------------------------------------------------------

def _rate(value: Any) -> float | None:
    value = tally.clean(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _source_edits(entry: Any) -> dict[str, Any]:
    """One ``scrub.by_source`` entry, normalized: counts as ints, the rate computed when absent."""
    entry = entry if isinstance(entry, Mapping) else {}
    examples = tally.int_or_none(entry.get("examples")) or 0
    edited = tally.int_or_none(entry.get("examples_edited")) or 0
    rate = _rate(entry.get("edit_rate"))
    if rate is None and examples:
        rate = edited / examples
    warning = entry.get("warning")
    return {"origin": tally.clean(entry.get("origin")), "profile": tally.clean(entry.get("profile")),
            "examples": examples, "edited": edited, "rate": rate,
            "values": _int_map(entry.get("values_by_type")), "by_type": _int_map(entry.get("examples_by_type")),
            "warning": str(warning) if warning else ""}


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def pii_sources_section(ctx: Ctx) -> Section:
    """Per source: how many examples scrub edited, the values it replaced and the share of examples
    edited by type, and scrub's warnings (a source edited far more than expected usually has the
    wrong PII profile). Older scrub reports without ``by_source`` get a note, not an error."""
    sid, title = "pii-sources", "PII by source"
    lead = ("How much scrub changed each source: examples edited, values replaced and the share of examples "
            "edited, by type (values are never shown).")
    if "scrub" not in ctx.enabled:
        return Section(sid, title, not_enabled("scrub"), lead)
    report = ctx.stage_reports.get("scrub", {})
    by_source = report.get("by_source")
    warnings = [str(w) for w in report.get("warnings") or [] if w] if isinstance(report.get("warnings"), list) else []
    if not isinstance(by_source, Mapping) or not by_source:
        body: list[Any] = [note("This scrub report has no per-source edit rates (", code("by_source"),
                                "); it was written by an older scrub stage. Re-run scrub for them"
                                + ("; replacements by source are in the PII section." if report.get("pii_by_source")
                                   else "."))]
        body += [note("Warning: ", w, kind="warn") for w in warnings]
        return Section(sid, title, h("div", body), lead)
    sources = {str(k): _source_edits(v) for k, v in by_source.items()}
    names = sorted(sources)
    if not warnings:  # an older report with per-source warnings only
        warnings = [w if w.startswith(f"source {n}") else f"source {n}: {w}"
                    for n in names if (w := sources[n]["warning"])]
    body = [note("Warning: ", w, kind="warn") for w in warnings]
    total_ex = sum(s["examples"] for s in sources.values())
    total_ed = sum(s["edited"] for s in sources.values())
    body.append(table(
        ["source", "origin", "PII profile", "examples", "edited", "edit rate", "warning"],
        [[n, sources[n]["origin"] or "?", sources[n]["profile"] or "?", fmt_int(sources[n]["examples"]),
          fmt_int(sources[n]["edited"]), _pct(sources[n]["rate"]), sources[n]["warning"] or ""] for n in names]
        + [[h("strong", "total"), "", "", fmt_int(total_ex), fmt_int(total_ed),
            _pct(total_ed / total_ex if total_ex else None), ""]],
        numeric=(3, 4, 5), row_classes=["warn" if sources[n]["warning"] else None for n in names] + [None]))
    type_totals: Counter[str] = Counter()
    for s in sources.values():
        type_totals.update(s["values"])
        type_totals.update({t: 0 for t in s["by_type"]})
    types = [t for t, _ in _by_count(dict(type_totals))]
    if types:
        body += [h("h3", "Values replaced, by type"),
                 table(["source", *types, "total"],
                       [[n, *[fmt_int(sources[n]["values"].get(t, 0)) for t in types],
                         fmt_int(sum(sources[n]["values"].values()))] for n in names],
                       numeric=range(1, len(types) + 2)),
                 h("h3", "Share of examples edited, by type"),
                 table(["source", *types, "any type"],
                       [[n, *[fmt_share(sources[n]["by_type"].get(t, 0), sources[n]["examples"]) for t in types],
                         _pct(sources[n]["rate"])] for n in names],
                       numeric=range(1, len(types) + 2)),
                 note("An example counts once per type it had replaced, so a row's shares can add up to more "
                      "than its edit rate.")]
    else:
        body.append(note("No values were replaced in any source."))
    return Section(sid, title, h("div", body), lead)


# --- duplicates ----------------------------------------------------------------------------------

def _rows_by_origin(df: pd.DataFrame, wanted: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not wanted or df.empty:
        return out
    for i, oid in enumerate(tally.text_column(df, col.ORIGIN_ID)):
        if oid in wanted and oid not in out:
            out[oid] = {c: tally.clean(df[c].iat[i]) for c in df.columns}
    return out


def _excerpt(row: Mapping[str, Any] | None, limit: int = 160) -> str:
    if not row:
        return ""
    text = make_preview(record_text(row) if row.get(col.MESSAGES) is not None else row.get(col.PREVIEW))
    cut, more = truncate(text, limit)
    return cut + ("…" if more else "")


SIMILARITY_KEYS = ("similarity", "jaccard", "ratio", "score", "cosine")
MEMBERS_SHOWN = 12
CONTRADICTIONS_SHOWN = 10


def _similarity(details: Mapping[str, Any]) -> str:
    for key in SIMILARITY_KEYS:
        value = tally.clean(details.get(key))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{key} {_scalar_text(value)}"
    return "–"


def _cluster_members(c: tally.Cluster, kept_rows: Mapping[str, Mapping[str, Any]],
                     dropped_rows: Mapping[str, Mapping[str, Any]], split_of: Mapping[str, str]) -> Safe:
    """The members of one cluster: the kept ones (representative first), then the dropped duplicates."""
    kept = sorted(c.kept, key=lambda o: (o != c.representative, o))
    rows, classes = [], []
    for oid in kept[:MEMBERS_SHOWN]:
        row = kept_rows.get(oid, {})
        rows.append([h("span", "kept" + (" · representative" if oid == c.representative else ""), class_="ok"),
                     short_id(oid), _where(row) if row else "?", split_of.get(oid, "–"), "–",
                     h("span", _excerpt(row), class_="excerpt")])
        classes.append(None)
    for oid in c.dropped[:max(MEMBERS_SHOWN - len(kept), 3)]:
        row = dropped_rows.get(oid, {})
        rows.append([h("span", "dropped", class_="bad"), short_id(oid), _where(row) if row else "?",
                     row.get(col.RULE) or "–", _similarity(tally.parse_json(row.get(col.DETAILS))),
                     h("span", _excerpt(row), class_="excerpt")])
        classes.append("off")
    shown = len(rows)
    body = [table(["member", "unit", "where", "split / rule", "similarity", "excerpt"], rows, row_classes=classes)]
    if c.size > shown:
        body.append(note(f"… and {plural(c.size - shown, 'more member')}."))
    return h("div", body)


def _contradictions(ctx: Ctx) -> list[Any]:
    """reports/contradictions.json (dedup), when given: the conflict sets, rendered as they are."""
    report = ctx.extras.get("contradictions")
    if report is None:
        return [h("h3", "Contradictions"), note("No contradictions report (reports/contradictions.json) was given.")]
    sets = _conflict_sets(report)
    body: list[Any] = [h("h3", "Contradictions"),
                       note("The same prompt with materially different answers: a model trained on both learns "
                            "inconsistency.")]
    if isinstance(report, Mapping):
        scalars = [(k, _value_text(v)) for k, v in flatten({k: v for k, v in report.items()
                                                             if not isinstance(v, (list, tuple))})]
        if scalars:
            body.append(kv_table(scalars))
    if sets is None:
        body.append(json_view(report))
    elif not sets:
        body.append(note("No contradictions found."))
    else:
        body.append(note(f"{plural(len(sets), 'conflict set')}; the first {fmt_int(min(len(sets), CONTRADICTIONS_SHOWN))} "
                         "as recorded:"))
        shown = sets[:CONTRADICTIONS_SHOWN]
        if all(isinstance(x, Mapping) and isinstance(x.get("members"), list) for x in shown):
            body.append(h("div", [_conflict_set(i, x) for i, x in enumerate(shown, 1)], class_="clusters"))
        else:
            body.append(json_view(shown))
    return body


def _conflict_set(i: int, conflict: Mapping[str, Any]) -> Safe:
    """One conflict set of dedup's contradictions report: its prompt, then each member's answer."""
    members = [m for m in conflict.get("members") or () if isinstance(m, Mapping)]
    rows, classes = [], []
    for m in members[:MEMBERS_SHOWN]:
        decision = str(m.get("decision") or "?")
        sim = tally.clean(m.get("answer_similarity"))
        rows.append([h("span", decision, class_="ok" if decision == "kept" else "bad"), short_id(m.get(col.ORIGIN_ID)),
                     _where(m), _scalar_text(sim) if sim is not None else "–",
                     "yes" if m.get("conflicts") else "", h("span", _value_text(m.get("answer"), 200), class_="excerpt")])
        classes.append(None if decision == "kept" else "off")
    extra = f", prompt match: {conflict.get('prompt_match')}" if conflict.get("prompt_match") else ""
    summary = f"Set {i}: {plural(len(members), 'member')}{extra}"
    return h("details",
             h("summary", summary, " · ", h("span", _value_text(conflict.get("prompt"), 120), class_="excerpt")),
             table(["decision", "unit", "where", "answer similarity", "conflicts", "answer"], rows, row_classes=classes),
             note(f"… and {plural(len(members) - MEMBERS_SHOWN, 'more member')}.") if len(members) > MEMBERS_SHOWN
             else None,
             open=i <= 3)


def _conflict_sets(report: Any) -> list[Any] | None:
    """The list of conflict sets in a contradictions report (a list, or the first list value), else None."""
    if isinstance(report, list):
        return report
    if isinstance(report, Mapping):
        for key in ("sets", "conflicts", "contradictions", "conflict_sets", "groups"):
            if isinstance(report.get(key), list):
                return report[key]
        lists = [v for _, v in sorted(report.items(), key=lambda kv: str(kv[0])) if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def duplicates_section(ctx: Ctx) -> Section:
    lead = ("Near-duplicate clusters, largest first: kept members share a cluster_id; dropped members name the "
            "row they duplicate.")
    title = "Duplicate clusters"
    if "dedup" not in ctx.enabled:
        return Section("duplicates", title, not_enabled("dedup"), lead)
    found = tally.clusters(ctx.manifest, ctx.dropped)
    if not found:
        body: list[Any] = [note("No cluster has more than one member.")]
        return Section("duplicates", title, h("div", body, _contradictions(ctx)), lead)
    top = found[:TOP_CLUSTERS]
    wanted = {o for c in top for o in c.kept}
    kept_rows = _rows_by_origin(ctx.examples, wanted)
    for oid, row in _rows_by_origin(ctx.manifest, wanted - set(kept_rows)).items():
        kept_rows[oid] = row
    dropped_rows = _rows_by_origin(ctx.dropped, {o for c in top for o in c.dropped})
    split_of = {o: str(row.get(col.SPLIT) or "–") for o, row in kept_rows.items()}
    rows, classes, blocks = [], [], []
    for i, c in enumerate(top, 1):
        rep = kept_rows.get(c.representative, {})
        leak = len(c.splits) > 1
        rows.append([h("a", fmt_int(i), href=f"#cluster-{i}"), short_id(c.representative),
                     _where(rep) if rep else "(not kept)",
                     fmt_int(c.size), fmt_int(len(c.kept)), fmt_int(len(c.dropped)),
                     h("span", ", ".join(c.splits) or "–", class_="bad" if leak else None),
                     ", ".join(c.rules) or "–", h("span", _excerpt(rep), class_="excerpt")])
        classes.append("warn" if leak else None)
        blocks.append(h("details", h("summary", f"Cluster {i}: {plural(c.size, 'member')} "
                                               f"({fmt_int(len(c.kept))} kept, {fmt_int(len(c.dropped))} dropped)"),
                        _cluster_members(c, kept_rows, dropped_rows, split_of), id=f"cluster-{i}", open=i <= 3))
    units = sum(c.size for c in found)
    leaks = sum(1 for c in found if len(c.splits) > 1)
    body = [note(f"{plural(len(found), 'cluster')} with more than one member, holding {plural(units, 'unit')}; "
                 f"the largest has {fmt_int(found[0].size)}."),
            table(["#", "representative", "where", "size", "kept", "dropped", "splits", "rules", "excerpt"], rows,
                  numeric=(0, 3, 4, 5), row_classes=classes)]
    if len(found) > len(top):
        body.append(note(f"Showing the {TOP_CLUSTERS} largest."))
    if leaks:
        body.append(note(f"{plural(leaks, 'cluster')} with kept members in more than one split.", kind="warn"))
    body += [h("h3", "Members"), h("div", blocks, class_="clusters")]
    body += _contradictions(ctx)
    return Section("duplicates", title, h("div", body), lead)


# --- contamination -------------------------------------------------------------------------------

def _first(d: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((d[k] for k in keys if d.get(k) not in (None, "")), None)


def contamination_section(ctx: Ctx) -> Section:
    lead = "Candidates dropped for overlapping a benchmark/eval set."
    if "decontaminate" not in ctx.enabled:
        return Section("contamination", "Contamination", not_enabled("decontaminate"), lead)
    stages = tally.text_column(ctx.dropped, col.STAGE)
    idx = [i for i, s in enumerate(stages) if s == "decontaminate"]
    if not idx:
        return Section("contamination", "Contamination", note("No contamination hits."), lead)
    hits = ctx.dropped.iloc[idx]
    details = [tally.parse_json(x) for x in tally.column(hits, col.DETAILS)]
    benchmarks = Counter(str(_first(d, BENCHMARK_KEYS) or "(unnamed)") for d in details)
    rules = Counter(tally.text_column(hits, col.RULE))
    by_source = Counter(zip(tally.text_column(hits, col.SOURCE, "(unknown)"),
                            (str(_first(d, BENCHMARK_KEYS) or "(unnamed)") for d in details)))
    oids = tally.text_column(hits, col.ORIGIN_ID)
    order = sorted(range(len(hits)), key=lambda i: (oids[i], i))[:CONTAMINATION_SAMPLES]
    sample_rows = []
    for i in order:
        row = {c: tally.clean(hits[c].iat[i]) for c in hits.columns}
        ngram = _first(details[i], NGRAM_KEYS)
        item = _first(details[i], ITEM_KEYS)
        sample_rows.append([short_id(row.get(col.ORIGIN_ID)), _where(row),
                            str(_first(details[i], BENCHMARK_KEYS) or "–"),
                            _value_text(item, 120) if item is not None else "–",
                            _value_text(ngram, 200) if ngram is not None else "–",
                            row.get(col.REASON) or "", h("span", row.get(col.PREVIEW) or "", class_="excerpt")])
    body = [note(f"{plural(len(hits), 'hit')}."),
            table(["benchmark", "hits"], [[b, fmt_int(n)] for b, n in _by_count(benchmarks)], numeric=(1,)),
            table(["rule", "hits"], [[r, fmt_int(n)] for r, n in _by_count(rules)], numeric=(1,)),
            h("h3", "Hits per source"),
            table(["source", "benchmark", "hits"],
                  [[src, b, fmt_int(n)] for (src, b), n in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))],
                  numeric=(2,)),
            h("h3", f"First {plural(len(order), 'hit')} by origin_id"),
            table(["unit", "where", "benchmark", "item", "overlap", "reason", "preview"], sample_rows)]
    return Section("contamination", "Contamination", h("div", body), lead)


# --- samples -------------------------------------------------------------------------------------

def samples_section(ctx: Ctx) -> Section:
    ex = ctx.examples
    scrub = "scrub" not in ctx.enabled
    lead = f"The {SAMPLES_PER_SPLIT} examples with the smallest example_id in each split."
    body: list[Any] = []
    if scrub:
        body.append(note("The scrub stage is not enabled: sample text below is passed through the preview "
                         "secret/PII patterns before it is shown.", kind="warn"))
    eids = tally.text_column(ex, col.EXAMPLE_ID)
    oids = tally.text_column(ex, col.ORIGIN_ID)
    splits = tally.text_column(ex, col.SPLIT, "(none)")
    n_tokens = dict(zip(tally.text_column(ctx.manifest, col.ORIGIN_ID), tally.column(ctx.manifest, col.N_TOKENS)))
    for split in ctx.splits:
        idx = sorted((i for i, s in enumerate(splits) if s == split), key=lambda i: (eids[i], oids[i], i))
        body.append(h("h3", f"{split} ", h("span", f"({plural(len(idx), 'example')})", class_="muted")))
        if not idx:
            body.append(note("No examples in this split."))
            continue
        cards = []
        for i in idx[:SAMPLES_PER_SPLIT]:
            row = {c: tally.clean(ex[c].iat[i]) for c in ex.columns}
            if row.get(col.N_TOKENS) is None:
                row[col.N_TOKENS] = n_tokens.get(oids[i])
            cards.append(chat.example_card(row, scrub=scrub))
        body.append(h("div", cards, class_="examples"))
    return Section("samples", "Sample examples", h("div", body), lead)


def drop_samples_section(ctx: Ctx) -> Section:
    lead = "For every rule, the first three dropped units by origin_id, with the reason and a scrubbed preview."
    samples = tally.drop_samples(ctx.dropped)
    if not samples:
        return Section("drop-samples", "Dropped samples", note("Nothing was dropped or quarantined."), lead)
    counts = tally.drop_counts(ctx.dropped)
    body = []
    for (stage, rule), rows in samples.items():
        fps = sorted({str(r.get(col.RULE_FINGERPRINT)) for r in rows if r.get(col.RULE_FINGERPRINT)})
        body.append(h("h3", h("span", stage, class_="badge"), " ", rule, " ",
                      h("span", f"({plural(counts[(stage, rule)], 'unit')})", class_="muted")))
        if fps:
            body.append(note("fingerprint ", [code(f) for f in fps]))
        items = []
        for r in rows:
            details = tally.parse_json(r.get(col.DETAILS))
            detail_text = json.dumps(details, indent=2, sort_keys=True, ensure_ascii=False) if details else ""
            detail_cut, more = truncate(detail_text, 600)
            meta = [short_id(r.get(col.ORIGIN_ID)), _where(r)]
            if r.get(col.KIND):
                meta.append(h("span", r.get(col.KIND), class_="badge"))
            if r.get(col.DUPLICATE_OF):
                meta.append(h("span", "duplicate of ", short_id(r.get(col.DUPLICATE_OF))))
            items.append(h(
                "div",
                h("div", meta, class_="ex-meta"),
                h("p", h("strong", "reason: "), r.get(col.REASON) or "", class_="reason"),
                h("pre", r.get(col.PREVIEW) or "(no preview)", class_="preview"),
                h("details", h("summary", "details"), h("pre", detail_cut + (f"\n… ({fmt_int(more)} more characters)"
                                                                             if more else ""))) if details else None,
                class_="drop"))
        body.append(h("div", items, class_="drops"))
    return Section("drop-samples", "Dropped samples", h("div", body), lead)


SECTIONS = (
    version_section, funnel_section, split_balance_section, sources_section, token_section, turns_section,
    labels_section, coverage_section, filter_section, pii_section, pii_sources_section, duplicates_section,
    contamination_section,
    stages_section,
    samples_section, drop_samples_section,
)


def all_sections(ctx: Ctx) -> list[Section]:
    return [f(ctx) for f in SECTIONS]


__all__ = ["NOT_ENABLED", "SECTIONS", "Ctx", "Section", "all_sections", "not_enabled"]
