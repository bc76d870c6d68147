"""The data card's stylesheet: system fonts, cards, a small palette, light and dark."""

from __future__ import annotations

from tuneset.report.html import Safe

CSS = Safe("""
:root {
  --bg: #f6f7f9; --card: #ffffff; --ink: #1f2328; --muted: #656d76; --line: #d8dee4;
  --accent: #2f6feb; --kept: #1a7f37; --drop: #cf222e; --warn: #9a6700; --warn-bg: #fff8c5;
  --gap-bg: #ffebe9; --pii: #8250df; --code-bg: #eff1f3;
  --user: #ddf4ff; --assistant: #dafbe1; --system: #eaeef2; --tool: #fff1e5; --other: #f6f8fa;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --ink: #e6edf3; --muted: #8d96a0; --line: #30363d;
    --accent: #4493f8; --kept: #3fb950; --drop: #f85149; --warn: #d29922; --warn-bg: #3b2e0a;
    --gap-bg: #4a1c1f; --pii: #a371f7; --code-bg: #262c36;
    --user: #0c2d4d; --assistant: #0f3321; --system: #262c36; --tool: #3d2410; --other: #21262d;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
}
code, pre, .tool-calls { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.86em; }
code { background: var(--code-bg); padding: 0.05em 0.35em; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code-bg); padding: 0.6em 0.8em; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.4em 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 16px 64px; }
header.top h1 { margin: 0 0 4px; font-size: 1.8em; }
header.top .sub { color: var(--muted); margin: 0 0 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin: 16px 0; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.tile .n { font-size: 1.45em; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .k { color: var(--muted); font-size: 0.85em; }
.tile.kept .n { color: var(--kept); } .tile.drop .n { color: var(--drop); }
nav.toc { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 18px; margin-bottom: 18px; }
nav.toc ol { columns: 2 220px; margin: 6px 0; padding-left: 1.4em; }
nav.toc a { color: var(--accent); text-decoration: none; } nav.toc a:hover { text-decoration: underline; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 18px 22px; margin: 18px 0; }
section.card > h2 { margin: 0 0 2px; font-size: 1.3em; }
section.card > .lead { color: var(--muted); margin: 0 0 12px; }
h3 { font-size: 1.05em; margin: 20px 0 8px; }
.table-wrap { overflow-x: auto; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 0.82em; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); border-bottom: 2px solid var(--line); }
.num { text-align: right; white-space: nowrap; }
table.kv th { width: 14em; color: var(--muted); font-weight: 500; }
tr.total td { font-weight: 650; border-top: 2px solid var(--line); }
tr.subtotal td { color: var(--muted); font-style: italic; }
tr.off td { color: var(--muted); }
tr.warn td { background: var(--warn-bg); }
.coverage .gap { display: inline-block; min-width: 2.4em; background: var(--gap-bg); color: var(--drop); font-weight: 650; border-radius: 4px; padding: 0 4px; }
.note { margin: 8px 0; } .note.muted, .muted { color: var(--muted); }
.note.off { color: var(--muted); background: var(--system); border-radius: 6px; padding: 8px 12px; }
.note.warn { background: var(--warn-bg); color: var(--warn); border-radius: 6px; padding: 8px 12px; }
.ok { color: var(--kept); font-weight: 650; } .bad { color: var(--drop); font-weight: 650; }
.excerpt { color: var(--muted); font-size: 0.9em; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; background: var(--system); font-size: 0.8em; font-weight: 600; }
.badge.kind-sft { background: var(--user); } .badge.kind-preference { background: var(--tool); }
.chip { display: inline-block; margin: 2px 6px 2px 0; padding: 0 8px; border: 1px solid var(--line); border-radius: 999px; font-size: 0.8em; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 10px 0; }
svg.chart text { fill: var(--ink); font-size: 11px; font-family: inherit; }
svg.chart text.tick { fill: var(--muted); font-size: 10px; }
svg.chart .bar { fill: var(--accent); } svg.chart .bar-kept { fill: var(--kept); }
svg.chart .bar-drop { fill: var(--drop); } svg.chart .bar-pii { fill: var(--pii); }
svg.chart .bar-over { fill: var(--warn); }
svg.chart .axis { stroke: var(--line); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
figure.hist-fig { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
figure.hist-fig figcaption { color: var(--muted); font-size: 0.85em; text-align: center; }
.stage { border-top: 1px solid var(--line); padding-top: 4px; }
.stage:first-child { border-top: 0; }
details summary { cursor: pointer; color: var(--muted); }
.examples { display: grid; gap: 14px; }
article.example { border: 1px solid var(--line); border-radius: 10px; padding: 12px; }
.ex-meta { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; color: var(--muted); font-size: 0.88em; margin-bottom: 6px; }
.chips { margin-bottom: 8px; }
.thread { display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 85%; border-radius: 12px; padding: 8px 12px; border: 1px solid var(--line); }
.msg .msg-head { display: flex; gap: 8px; font-size: 0.75em; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.msg .role { font-weight: 700; }
.msg .content { white-space: pre-wrap; overflow-wrap: anywhere; }
.msg .content.empty { color: var(--muted); font-style: italic; }
.msg.user { background: var(--user); align-self: flex-start; border-bottom-left-radius: 3px; }
.msg.assistant { background: var(--assistant); align-self: flex-end; border-bottom-right-radius: 3px; }
.msg.system { background: var(--system); align-self: stretch; max-width: 100%; font-style: italic; }
.msg.tool { background: var(--tool); align-self: flex-start; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.86em; }
.msg.other { background: var(--other); }
.more { color: var(--warn); font-size: 0.85em; margin: 4px 0 0; font-style: italic; }
.sub { font-size: 0.78em; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); margin: 8px 0 4px; font-weight: 600; }
.pref { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 8px; }
.pref .side { border-radius: 8px; padding: 6px 8px; border: 2px solid var(--line); }
.pref .side.chosen { border-color: var(--kept); } .pref .side.rejected { border-color: var(--drop); }
.pref .msg { max-width: 100%; }
.drops { display: grid; gap: 10px; }
.drop { border-left: 3px solid var(--drop); padding: 4px 12px; }
.drop .reason { margin: 4px 0; }
footer { color: var(--muted); font-size: 0.85em; text-align: center; margin-top: 28px; }
@media (max-width: 720px) {
  .pref { grid-template-columns: 1fr; }
  .msg { max-width: 100%; }
  section.card { padding: 14px; }
}
@media print {
  body { background: #fff; } section.card { break-inside: avoid-page; border-color: #ccc; }
  nav.toc { display: none; }
}
""")
