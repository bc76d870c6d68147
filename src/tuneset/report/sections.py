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
    shown = {"raw_rows", "quarantined", "dropped", "kept", "by_split", "dropped_by_stage", "balanced"}
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
                                                title=f"Token lengths, {s} {k}", x_label="tokens"),
                        h("figcaption", f"{s} · {k} ({fmt_int(len(values))})"), class_="hist-fig"))
    body = [
        table(["split", "kind", "examples", "min", "median", "p95", "max", "total tokens"], rows,
              numeric=range(2, 8)),
        note(f"Bins of {fmt_int(hist.bin_width)} tokens, the same for every chart."),
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
        return Section("coverage", "Coverage", note("No labels on the kept examples: there is no coverage to show."), lead)
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
    return Section("coverage", "Coverage", h("div", body), lead)


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
        return Section("pii", "PII", note("No PII or secrets found by the scrub stage."), lead)
    total = sum(n for _, n in counts)
    body = [table(["type", "replacements", "share"], [[t, fmt_int(n), fmt_share(n, total)] for t, n in counts]
                  + [[h("strong", "total"), fmt_int(total), ""]], numeric=(1, 2)),
            svg.hbar_chart([(t, n, "bar-pii") for t, n in counts], title="PII replacements by type"),
            note(f"From reports/scrub.json key {key}.")]
    return Section("pii", "PII", h("div", body), lead)


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


def duplicates_section(ctx: Ctx) -> Section:
    lead = "Near-duplicate clusters: kept members share a cluster_id; dropped members name the row they duplicate."
    if "dedup" not in ctx.enabled:
        return Section("duplicates", "Duplicate clusters", not_enabled("dedup"), lead)
    found = tally.clusters(ctx.manifest, ctx.dropped)
    if not found:
        return Section("duplicates", "Duplicate clusters", note("No cluster has more than one member."), lead)
    top = found[:TOP_CLUSTERS]
    reps = {c.representative for c in top}
    kept_rows = _rows_by_origin(ctx.examples, reps)
    for oid, row in _rows_by_origin(ctx.manifest, reps - set(kept_rows)).items():
        kept_rows[oid] = row
    rows, classes = [], []
    for i, c in enumerate(top, 1):
        rep = kept_rows.get(c.representative, {})
        leak = len(c.splits) > 1
        rows.append([fmt_int(i), short_id(c.representative), _where(rep) if rep else "(not kept)",
                     fmt_int(c.size), fmt_int(len(c.kept)), fmt_int(len(c.dropped)),
                     h("span", ", ".join(c.splits) or "–", class_="bad" if leak else None),
                     ", ".join(c.rules) or "–", h("span", _excerpt(rep), class_="excerpt")])
        classes.append("warn" if leak else None)
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
    return Section("duplicates", "Duplicate clusters", h("div", body), lead)


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
    oids = tally.text_column(hits, col.ORIGIN_ID)
    order = sorted(range(len(hits)), key=lambda i: (oids[i], i))[:CONTAMINATION_SAMPLES]
    sample_rows = []
    for i in order:
        row = {c: tally.clean(hits[c].iat[i]) for c in hits.columns}
        ngram = _first(details[i], NGRAM_KEYS)
        sample_rows.append([short_id(row.get(col.ORIGIN_ID)), _where(row),
                            str(_first(details[i], BENCHMARK_KEYS) or "–"),
                            _value_text(ngram, 200) if ngram is not None else "–",
                            row.get(col.REASON) or "", h("span", row.get(col.PREVIEW) or "", class_="excerpt")])
    body = [note(f"{plural(len(hits), 'hit')}."),
            table(["benchmark", "hits"], [[b, fmt_int(n)] for b, n in _by_count(benchmarks)], numeric=(1,)),
            table(["rule", "hits"], [[r, fmt_int(n)] for r, n in _by_count(rules)], numeric=(1,)),
            h("h3", f"First {plural(len(order), 'hit')} by origin_id"),
            table(["unit", "where", "benchmark", "overlap", "reason", "preview"], sample_rows)]
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
    labels_section, coverage_section, pii_section, duplicates_section, contamination_section, stages_section,
    samples_section, drop_samples_section,
)


def all_sections(ctx: Ctx) -> list[Section]:
    return [f(ctx) for f in SECTIONS]


__all__ = ["NOT_ENABLED", "SECTIONS", "Ctx", "Section", "all_sections", "not_enabled"]
