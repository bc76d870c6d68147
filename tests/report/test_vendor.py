"""The vendored ``dvc plots`` page template and our vega-lite plot templates, without a browser.

The browser test (test_browser.py) shows the page drawing offline; these tests pin what it is made
of: the exact upstream files, their licenses, and specs that match the tables the report writes.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from dvc_render.html import render_html
from dvc_render.vega import VegaRenderer
from report_world import make_world

from tuneset.report import plot_tables

REPORT = Path(__file__).resolve().parents[2] / "src" / "tuneset" / "report"
VENDOR = REPORT / "vendor"
TEMPLATE = VENDOR / "dvc_plots.html"
PLOT_TEMPLATES = REPORT / "plot_templates"
REPO = Path(__file__).resolve().parents[2]
SCRIPT_RE = re.compile(r'<script data-package="([^"]+)" data-file="([^"]+)" data-sha256="([0-9a-f]{64})">\n(.*?)\n</script>',
                       re.S)


def _pinned() -> list[tuple[str, str, str, str]]:
    """PACKAGES from build_template.py, read as text (the script is not part of the package)."""
    text = (VENDOR / "build_template.py").read_text(encoding="utf-8")
    return re.findall(r'\("([a-z-]+)", "([0-9.]+)", "([^"]+)",\s*"([0-9a-f]{64})"\)', text)


def test_inlined_libraries_are_the_pinned_upstream_files():
    page = TEMPLATE.read_text(encoding="utf-8")
    scripts = SCRIPT_RE.findall(page)
    pinned = _pinned()
    assert [p for p, _, _, _ in scripts] == [f"{name}@{version}" for name, version, _, _ in pinned] == \
        ["vega@5.20.2", "vega-lite@5.2.0", "vega-embed@6.18.2"]
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for (package, file, sha, text), (_, _, pinned_file, pinned_sha) in zip(scripts, pinned):
        assert (file, sha) == (pinned_file, pinned_sha)
        # The only change made: the trailing source-map comment was removed.
        upstream = f"{text}\n//# sourceMappingURL={Path(file).name}.map\n".encode()
        assert hashlib.sha256(upstream).hexdigest() == sha, package
        assert sha in readme and package.replace("@", " ") in readme
        license_text = (VENDOR / "licenses" / f"{package.split('@')[0]}.LICENSE").read_text(encoding="utf-8")
        assert "University of Washington Interactive Data Lab" in license_text and "Redistribution" in license_text


def test_template_loads_nothing_and_keeps_dvc_out_of_the_head():
    page = TEMPLATE.read_text(encoding="utf-8")
    assert page.count("{plot_divs}") == 1
    assert "{scripts}" not in page  # DVC's CDN <script src> tags have nowhere to go
    markup = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)  # the page, not the libraries
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", markup, re.I)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src" not in csp
    assert "editor: false" in page and 'renderer: "svg"' in page


def _template_fields(spec) -> tuple[set[str], set[str]]:
    """(fields read by encodings/transforms, fields computed by transforms) of a vega-lite spec."""
    read, made = set(), set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("field"), str):
                read.add(node["field"])
            if isinstance(node.get("as"), str):
                made.add(node["as"])
            for key in ("groupby",):
                read.update(node.get(key) or [])
            expr = node.get("calculate")
            if isinstance(expr, str):
                read.update(re.findall(r"datum\.([A-Za-z_][A-Za-z0-9_]*)", expr))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(spec)
    return read, made


@pytest.mark.parametrize("name", ["drops_by_rule", "split_balance", "token_hist", "turn_hist"])
def test_plot_templates_read_only_columns_the_report_writes(name):
    spec = json.loads((PLOT_TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))
    assert spec["data"] == {"values": "<DVC_METRIC_DATA>"}
    assert spec["$schema"].endswith("/vega-lite/v5.json")
    world = make_world()
    table = plot_tables(manifest=world.manifest, examples=world.examples, dropped=world.dropped)[name]
    read, made = _template_fields(spec)
    missing = read - made - set(table.columns) - {"rev"}  # DVC adds rev (the git revision) to every row
    assert not missing, f"{name}.json reads {sorted(missing)}, which reports/plots/{name}.csv does not have"


def test_dvc_renders_our_templates_into_the_offline_page(tmp_path):
    """DVC's own renderer fills every plot template and the page template, as `dvc plots show` does."""
    world = make_world()
    renderers = []
    for name, table in plot_tables(manifest=world.manifest, examples=world.examples, dropped=world.dropped).items():
        # As DVC reads a CSV: every value a string, plus the revision.
        rows = [{**{k: str(v) for k, v in r.items()}, "rev": "workspace"} for r in table.to_dict("records")]
        renderers.append(VegaRenderer(rows, f"reports/plots/{name}.csv", template=str(PLOT_TEMPLATES / f"{name}.json"),
                                      title=name))
    out = render_html(renderers, tmp_path / "index.html", html_template=str(TEMPLATE))
    page = Path(out).read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in page and "{plot_divs}" not in page
    specs = re.findall(r"var spec = (\{.*?\});\n", page)
    assert len(specs) == 4
    for spec in map(json.loads, specs):
        assert spec["data"]["values"] and "<DVC_METRIC" not in json.dumps(spec)


def test_dvc_yaml_plots_are_report_tables_with_existing_templates():
    plots = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8")).get("plots") or []
    tables = set(plot_tables(manifest=make_world().manifest, examples=make_world().examples,
                             dropped=make_world().dropped))
    assert plots, "dvc.yaml declares no plots"
    for entry in plots:
        (path, props), = entry.items()
        assert Path(path).parent.as_posix() == "reports/plots" and Path(path).stem in tables, path
        template = (props or {}).get("template", "linear")
        if template.endswith(".json"):
            assert (REPO / template).is_file(), template
