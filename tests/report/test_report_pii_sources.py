"""The data card's "PII by source" section: per source and type, the values scrub replaced and the share
of examples it edited, and scrub's warnings; built from a hand-written reports/scrub.json."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tuneset.report import NOT_ENABLED, build_datacard

WARNING = "source alpaca: 41% of examples edited (PERSON 30%, LOCATION 12%): check its PII profile in conf/sources"

SCRUB = {
    "rows_in": 16, "rows_out": 16, "dropped_by_rule": {},
    "pii_by_type": {"PERSON": 34, "LOCATION": 12, "EMAIL": 5},
    "by_source": {
        "alpaca": {"origin": "unknown", "profile": "full", "examples": 100, "examples_edited": 41, "edit_rate": 0.41,
                   "values_by_type": {"PERSON": 33, "LOCATION": 12},
                   "examples_by_type": {"PERSON": 30, "LOCATION": 12},
                   "warning": "41% of examples edited (PERSON 30%, LOCATION 12%): check its PII profile in conf/sources"},
        "tickets<b>": {"origin": "production", "profile": "full", "examples": 40, "examples_edited": 4,
                       "edit_rate": 0.1, "values_by_type": {"EMAIL": 5, "PERSON": 1},
                       "examples_by_type": {"EMAIL": 4, "PERSON": 1}, "warning": None},
        "gsm8k": {"origin": "public", "profile": "public", "examples": 7, "examples_edited": 0, "edit_rate": 0.0,
                  "values_by_type": {}, "examples_by_type": {}, "warning": None},
    },
    "warnings": [WARNING],
}


def _text(fragment: str) -> str:
    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)
    p = P()
    p.feed(fragment)
    return " ".join(" ".join(p.parts).split())


def _cells(fragment: str) -> list[list[str]]:
    return [[_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)]


def _tables(fragment: str) -> list[str]:
    return re.findall(r"<table.*?</table>", fragment, re.S)


def test_values_and_shares_by_source_and_type(world, section):
    world.stage_reports["scrub"] = SCRUB
    page = build_datacard(**world.kwargs())
    assert 'href="#pii-sources"' in page  # in the table of contents, after the PII section
    assert page.index('<section id="pii"') < page.index('<section id="pii-sources"')
    body = section(page, "pii-sources")
    summary, values, shares = (_cells(t) for t in _tables(body))

    assert summary[0] == ["source", "origin", "PII profile", "examples", "edited", "edit rate", "warning"]
    assert ["alpaca", "unknown", "full", "100", "41", "41.0%", SCRUB["by_source"]["alpaca"]["warning"]] in summary
    assert ["gsm8k", "public", "public", "7", "0", "0.0%", ""] in summary
    assert ["tickets<b>", "production", "full", "40", "4", "10.0%", ""] in summary
    assert ["total", "", "", "147", "45", "30.6%", ""] in summary
    assert "tickets&lt;b&gt;" in body and "tickets<b>" not in body  # source names are escaped

    # types ordered by values replaced over all sources: PERSON 34, LOCATION 12, EMAIL 5
    assert values[0] == ["source", "PERSON", "LOCATION", "EMAIL", "total"]
    assert ["alpaca", "33", "12", "0", "45"] in values and ["tickets<b>", "1", "0", "5", "6"] in values
    assert ["gsm8k", "0", "0", "0", "0"] in values
    assert shares[0] == ["source", "PERSON", "LOCATION", "EMAIL", "any type"]
    assert ["alpaca", "30.0%", "12.0%", "0.0%", "41.0%"] in shares
    assert ["tickets<b>", "2.5%", "0.0%", "10.0%", "10.0%"] in shares
    assert ["gsm8k", "0.0%", "0.0%", "0.0%", "0.0%"] in shares

    # the warning is shown once, as a warning, and its source's row is marked
    assert body.count('class="note warn"') == 1 and _text(body).count(WARNING) == 1
    assert re.search(r'<tr class="warn"><td>alpaca</td>', body)


def test_missing_fields_are_tolerated(world, section):
    world.stage_reports["scrub"] = {
        "rows_in": 3, "rows_out": 3, "dropped_by_rule": {},
        "by_source": {"a": {"examples": 4, "examples_edited": 1, "values_by_type": {"EMAIL": 2}},  # no edit_rate
                      "b": "not a mapping", "c": {"warning": "all edited"}}}
    body = section(build_datacard(**world.kwargs()), "pii-sources")
    summary = _cells(_tables(body)[0])
    assert ["a", "?", "?", "4", "1", "25.0%", ""] in summary
    assert ["b", "?", "?", "0", "0", "–", ""] in summary
    # per-source warnings stand in for a missing top-level list
    assert "source c: all edited" in _text(body)


def test_older_report_without_by_source(world, section):
    world.stage_reports["scrub"] = {"rows_in": 16, "rows_out": 16, "dropped_by_rule": {},
                                    "pii_by_type": {"EMAIL": 7}, "pii_by_source": {"tickets": {"EMAIL": 7}}}
    body = section(build_datacard(**world.kwargs()), "pii-sources")
    text = _text(body)
    assert "no per-source edit rates" in text and "replacements by source are in the PII section" in text
    assert "<table" not in body
    world.stage_reports["scrub"]["warnings"] = [WARNING]
    assert WARNING in _text(section(build_datacard(**world.kwargs()), "pii-sources"))


def test_scrub_not_run(world, section):
    world.stage_reports.pop("scrub", None)
    assert NOT_ENABLED in section(build_datacard(**world.kwargs()), "pii-sources")
