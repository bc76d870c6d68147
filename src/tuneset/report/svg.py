"""Static inline SVG charts: horizontal bars and histograms, no script, no external resource.

Colors come from the page's CSS classes (``bar``, ``bar-drop``, ``bar-kept``...), so the charts
follow the page palette. Coordinates are written with one decimal so the output is byte-stable.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuneset.report.html import Safe, fmt_int, h


def _n(x: float) -> str:
    return f"{x:.1f}"


def hbar_chart(items: Sequence[tuple[str, int, str]], *, title: str, width: int = 720, bar_h: int = 20,
               gap: int = 6, label_w: int = 230) -> Safe:
    """One horizontal bar per ``(label, value, css_class)``, scaled to the largest value."""
    if not items:
        return Safe("")
    value_w = 70
    plot_w = width - label_w - value_w
    top = max(max(v for _, v, _ in items), 1)
    height = len(items) * (bar_h + gap) + gap
    rows = []
    max_chars = max(8, label_w // 7)
    for i, (label, value, cls) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = plot_w * max(value, 0) / top
        rows.append(h(
            "g",
            h("title", f"{label}: {fmt_int(value)}"),
            h("text", label if len(label) <= max_chars else label[: max_chars - 1] + "…", x=_n(label_w - 8), y=_n(y + bar_h * 0.7), text_anchor="end", class_="lbl"),
            h("rect", x=_n(label_w), y=_n(y), width=_n(max(w, 1.0 if value > 0 else 0.0)), height=_n(bar_h),
              rx="3", class_=f"bar {cls}".strip()),
            h("text", fmt_int(value), x=_n(label_w + w + 6), y=_n(y + bar_h * 0.7), class_="val"),
        ))
    # No xmlns: inline SVG in HTML needs none, and the page holds no URL of any kind.
    return h("svg", h("title", title), rows, viewBox=f"0 0 {width} {height}", width=str(width), height=str(height), role="img",
             aria_label=title, class_="chart hbar", preserveAspectRatio="xMinYMin meet")


def histogram(bins: Sequence[tuple[int, int]], *, bin_width: int, title: str, x_label: str,
              width: int = 340, height: int = 170, overflow_at: int | None = None) -> Safe:
    """Vertical bars for ``(bin_start, count)`` pairs of equal ``bin_width``, in the order given.

    A bin starting at or after ``overflow_at`` is the open-ended last bin (``≥ overflow_at``), drawn
    in the warning color.
    """
    if not bins:
        return Safe("")
    left, right, top_pad, bottom = 36, 8, 10, 34
    plot_w = width - left - right
    plot_h = height - top_pad - bottom
    top = max(max(c for _, c in bins), 1)
    slot = plot_w / len(bins)
    bars = []
    for i, (start, count) in enumerate(bins):
        bh = plot_h * count / top
        x = left + i * slot
        over = overflow_at is not None and start >= overflow_at
        if over:
            label = f"≥ {fmt_int(start)}"
        else:
            label = f"{fmt_int(start)}–{fmt_int(start + bin_width - 1)}" if bin_width > 1 else fmt_int(start)
        bars.append(h(
            "rect",
            h("title", f"{label} {x_label}: {fmt_int(count)}"),
            x=_n(x + 0.5), y=_n(top_pad + plot_h - bh), width=_n(max(slot - 1, 0.5)), height=_n(bh),
            class_="bar bar-over" if over else "bar",
        ))
    # Ticks: the first bin, the last, and about three in between.
    step = max(1, len(bins) // 4)
    tick_idx = sorted(set(range(0, len(bins), step)) | {len(bins) - 1})
    ticks = [h("text", ("≥" if overflow_at is not None and bins[i][0] >= overflow_at else "") + fmt_int(bins[i][0]),
               x=_n(left + i * slot + slot / 2), y=_n(top_pad + plot_h + 13),
               text_anchor="middle", class_="tick") for i in tick_idx]
    axes = [
        h("line", x1=_n(left), y1=_n(top_pad + plot_h), x2=_n(left + plot_w), y2=_n(top_pad + plot_h), class_="axis"),
        h("text", fmt_int(top), x=_n(left - 4), y=_n(top_pad + 8), text_anchor="end", class_="tick"),
        h("text", "0", x=_n(left - 4), y=_n(top_pad + plot_h), text_anchor="end", class_="tick"),
        h("text", x_label, x=_n(left + plot_w / 2), y=_n(height - 4), text_anchor="middle", class_="lbl"),
    ]
    return h("svg", h("title", title), bars, axes, ticks, viewBox=f"0 0 {width} {height}", width=str(width),
             height=str(height), role="img", aria_label=title, class_="chart hist")
