"""Rebuild ``dvc_plots.html``: the offline page template for ``dvc plots show/diff --html-template``.

DVC's default page loads vega, vega-lite and vega-embed from a CDN and stays blank offline. This
template inlines the exact files that CDN serves (each package's ``jsdelivr`` entry) and has no
``{scripts}`` placeholder, so DVC's CDN ``<script src>`` tags are dropped and the page needs no
network. Run it only to upgrade the vendored versions (then update README.md beside it)::

    cd /tmp && npm pack vega@5.20.2 vega-lite@5.2.0 vega-embed@6.18.2
    python src/tuneset/report/vendor/build_template.py /tmp

Each file is inlined byte for byte except its last line, the ``//# sourceMappingURL=`` comment:
the ``.map`` files are not vendored, and a browser with developer tools open would try to fetch
them. The build refuses a file whose sha256 is not the one pinned below, and writes each
package's LICENSE to ``licenses/``.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "dvc_plots.html"

# (package, version, file inside the npm tarball, sha256 of that file)
PACKAGES = (
    ("vega", "5.20.2", "build/vega.min.js", "4794d0169cb1f3ebad8117fe98ba5bd652dd725905ec0384e832391dbccb03be"),
    ("vega-lite", "5.2.0", "build/vega-lite.min.js", "d73157451b3978015ab31dacd55ff90d986ab8663fc0abed50f97b3cd90002cb"),
    ("vega-embed", "6.18.2", "build/vega-embed.min.js",
     "1ba9826431ddc9805e815ad92acc811c819f2bfd32bda2a128b8c4b5070fab5e"),
)
SOURCE_MAP_PREFIX = "//# sourceMappingURL="

# Nothing may be fetched: scripts and styles are inline, charts are SVG, images only data:/blob:.
# Vega compiles its expressions with Function(), hence 'unsafe-eval'.
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:")

HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{refresh_tag}}
<title>tuneset · dvc plots</title>
<style>
body {{ margin: 0; background: #f6f7f9; color: #1f2328;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }}
header {{ max-width: 1400px; margin: 0 auto; padding: 20px 16px 0; }}
header h1 {{ margin: 0; font-size: 1.5em; }}
header p {{ margin: 4px 0 0; color: #656d76; font-size: 0.9em; }}
main {{ max-width: 1400px; margin: 0 auto; padding: 16px; display: flex; flex-wrap: wrap; gap: 16px; }}
main > div {{ background: #fff; border: 1px solid #d8dee4; border-radius: 12px; padding: 12px 16px; }}
</style>
"""

WRAPPER = """<script>
/* tuneset: render every plot as SVG, and drop vega-embed's "Open in Vega Editor" action (it posts the
   spec to a web page); export (SVG/PNG download) and "View source" stay. */
(function () {{
  var embed = window.vegaEmbed;
  window.vegaEmbed = function (el, spec, opt) {{
    var defaults = {{renderer: "svg", actions: {{export: true, source: true, compiled: false, editor: false}}}};
    return embed(el, spec, Object.assign(defaults, opt || {{}}));
  }};
  Object.assign(window.vegaEmbed, embed);
}})();
</script>
</head>
<body>
<header>
<h1>Dataset plots</h1>
<p>Rendered offline by {versions}, vendored in src/tuneset/report/vendor/.</p>
</header>
<main>
{{plot_divs}}
</main>
</body>
</html>
"""


def strip_source_map(text: str) -> str:
    """``text`` without its trailing ``//# sourceMappingURL=`` line (the only change made to a file)."""
    body, _, last = text.rstrip("\n").rpartition("\n")
    if not last.startswith(SOURCE_MAP_PREFIX):
        raise ValueError("expected the file to end with a sourceMappingURL comment")
    return body


def read_member(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball) as tar:
        member = tar.extractfile(f"package/{name}")
        if member is None:
            raise FileNotFoundError(f"{tarball}: no package/{name}")
        return member.read()


def build(tarball_dir: Path) -> str:
    parts = [HEAD.format(csp=CSP)]
    licenses = HERE / "licenses"
    licenses.mkdir(exist_ok=True)
    for package, version, path, sha256 in PACKAGES:
        tarball = tarball_dir / f"{package}-{version}.tgz"
        data = read_member(tarball, path)
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise SystemExit(f"{tarball}:{path}: sha256 {actual}, expected {sha256}")
        text = data.decode("utf-8")
        if "</script" in text.lower() or "<!--" in text:
            raise SystemExit(f"{tarball}:{path}: cannot be inlined in a <script> element as is")
        parts.append(f'<script data-package="{package}@{version}" data-file="{path}" data-sha256="{sha256}">\n'
                     f"{strip_source_map(text)}\n</script>\n")
        (licenses / f"{package}.LICENSE").write_bytes(read_member(tarball, "LICENSE"))
    versions = ", ".join(f"{p} {v}" for p, v, _, _ in PACKAGES)
    parts.append(WRAPPER.format(versions=versions))
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    page = build(Path(args[0]))
    with io.open(TEMPLATE, "w", encoding="utf-8", newline="\n") as f:
        f.write(page)
    print(f"wrote {TEMPLATE} ({len(page.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
