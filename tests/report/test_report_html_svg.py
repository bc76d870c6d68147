"""The markup helpers: escaping by default, and charts that carry no script or URL."""

from __future__ import annotations

from tuneset.report.html import Safe, esc, frag, h, table
from tuneset.report.svg import hbar_chart, histogram


def test_text_is_escaped_unless_marked_safe():
    assert h("p", "<b>&\"'") == "<p>&lt;b&gt;&amp;&quot;&#x27;</p>"
    assert h("p", Safe("<b>x</b>")) == "<p><b>x</b></p>"
    assert h("a", "x", href='"><script>', class_="c", hidden=True, title=None) == \
        '<a href="&quot;&gt;&lt;script&gt;" class="c" hidden>x</a>'
    assert frag("a<", ["b", None, 3], Safe("<i>")) == "a&lt;b3<i>"
    assert esc(esc("<")) == "&lt;"  # Safe is never escaped twice


def test_urls_in_text_are_no_urls_in_the_bytes():
    out = h("p", "see https://x.example and ftp://y")
    assert "://" not in out and "https:&#47;&#47;x.example" in out


def test_table_cells_are_escaped():
    out = table(["<h>"], [["<c>"]], numeric=(0,))
    assert "&lt;h&gt;" in out and "&lt;c&gt;" in out and "<c>" not in out and 'class="num"' in out


def test_charts_escape_labels_and_scale():
    svg = hbar_chart([("<script>", 10, "bar-kept"), ("b", 5, "")], title="t<")
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert 'width="420.0"' in svg and 'width="210.0"' in svg  # 10 fills the plot, 5 half of it
    assert "http" not in svg
    hist = histogram([(0, 2), (10, 0), (20, 4)], bin_width=10, title="h", x_label="tokens")
    assert hist.count("<rect") == 3 and "0–9 tokens: 2" in hist and "http" not in hist
    assert hbar_chart([], title="x") == "" and histogram([], bin_width=1, title="x", x_label="y") == ""


def test_control_characters_and_lone_surrogates_become_visible():
    out = esc("a\x00b\x1bc\td\ne\ud800f")
    assert out == "a\\x00b\\x1bc\td\ne\ufffdf"
    out.encode("utf-8")  # the page can always be written as UTF-8
