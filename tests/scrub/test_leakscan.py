"""The leak scan: a clean export passes; an original value, an unscrubbed value or a changed key fails."""

from __future__ import annotations

import json

from tuneset import schema as col
from tuneset.config import PiiConfig
from tuneset.export import export_lines
from tuneset.config import ExportConfig
from tuneset.scrub import leak_scan, scrub
from tuneset.scrub.detectors import Detector

from .conftest import SALT, cfg

EMAIL = "marisol.q@example.com"


def exported(df) -> list[tuple[str, int, str]]:
    df = df.assign(**{col.SPLIT: "train"})
    lines = [line for chunk in export_lines(df, ExportConfig()).values() for line in chunk]
    return [("train.jsonl", i, line) for i, line in enumerate(lines, 1)]


def scrubbed(frame, **overrides):
    df = frame((f"I am Marisol Quenneville, mail {EMAIL}, call me on +44 20 7946 0958.", "Noted, Marisol Quenneville."),
               ("My card is 4111 1111 1111 1111.", "Thanks."))
    c = cfg(**overrides)
    return scrub(df, c, SALT, detector=Detector(c)), c


def test_a_scrubbed_export_passes_in_both_modes(frame):
    for mode in ("surrogate", "redact"):
        r, c = scrubbed(frame, mode=mode)
        scan = leak_scan(exported(r.examples), r.vault, SALT, c)
        assert scan.passed, scan.report


def test_original_values_and_unscrubbed_values_fail_without_showing_them(frame):
    r, c = scrubbed(frame)
    lines = exported(r.examples)
    lines.append(("train.jsonl", 99, json.dumps({"messages": [{"role": "user", "content": "hi MARISOL  quenneville"}]})))
    lines.append(("train.jsonl", 100, json.dumps({"messages": [{"role": "user", "content": "card 4111-1111-1111-1111"}]})))
    lines.append(("train.jsonl", 101, json.dumps({"messages": [{"role": "user", "content": "new: someone@else.org"}]})))
    scan = leak_scan(lines, r.vault, SALT, c)
    assert not scan.passed
    got = {(f.line, f.check, f.type) for f in scan.findings}
    assert (99, "original_value", "PERSON") in got
    assert (100, "original_digits", "CREDIT_CARD") in got
    assert (101, "unscrubbed_value", "EMAIL") in got
    text = json.dumps(scan.report)
    assert "marisol" not in text.lower() and "4111" not in text and "someone" not in text


def test_allow_list_accepts_a_known_false_positive(frame):
    r, c = scrubbed(frame)
    extra = [("t.jsonl", 1, json.dumps({"messages": [{"role": "user", "content": "write to help@northwind.example.com"}]}))]
    assert not leak_scan(extra, r.vault, SALT, c).passed
    allowed = PiiConfig(**{**c.__dict__, "allow_list": ["help@northwind.example.com"]})
    assert leak_scan(extra, r.vault, SALT, allowed).passed


def test_another_key_cannot_vouch_for_surrogates(frame):
    r, c = scrubbed(frame)
    assert not leak_scan(exported(r.examples), r.vault, "not-the-key", c).passed
